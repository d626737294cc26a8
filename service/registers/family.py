"""A family of register entries: its name, its documents' schema, where it lives, and how
the index shows it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table

from service.records import keys
from service.records.model import Kind, parse_record_id, record_id

REVISION_DIGITS = 10
AUTHORITY = "authority/"

Projector = Callable[[Connection, dict[str, Any]], None]
# A revision's entry in the change feed (`index.rows.change_row`'s shape), or None.
FeedEntry = Callable[[dict[str, Any]], dict[str, Any] | None]


@dataclass(frozen=True)
class Family:
    name: str  # the key segment, e.g. "tokens", "retention-rules"
    schema: str  # e.g. "offentlig.api-token/1"
    project: Projector  # show one revision in the index (called in revision order)
    # The tables that show only this family: `reindex` empties them before replaying it.
    tables: tuple[Table, ...] = field(default=())
    # Entries about one record live under the record's prefix and carry its id.
    per_record: bool = False
    # Families a registry system follows in the change feed (reviews, registrations, holds).
    feed: FeedEntry | None = None

    def prefix(self, entry_id: str) -> str:
        if self.per_record:
            site_id, kind, source_id = parse_record_id(entry_id)
            return f"{keys.record_prefix(site_id, kind, source_id)}{self.name}/"
        return f"{AUTHORITY}{self.name}/{entry_id}/"

    def key(self, entry_id: str, revision: int) -> str:
        return f"{self.prefix(entry_id)}{revision:0{REVISION_DIGITS}d}.json"

    def entry_of(self, key: str) -> str | None:
        """The entry id if `key` is one of this family's revisions, else None."""
        parts = key.split("/")
        if not (parts[-1].endswith(".json") and parts[-1][:-5].isdigit()):
            return None
        if self.per_record:
            # sites/{site}/{folder}/{n}/{family}/{revision}.json
            if len(parts) != 6 or parts[0] != "sites" or parts[4] != self.name:
                return None
            kind = Kind.from_folder(parts[2])
            if kind is None or not parts[3].isdigit():
                return None
            return record_id(parts[1], kind, int(parts[3]))
        if len(parts) != 4 or parts[0] + "/" != AUTHORITY or parts[1] != self.name:
            return None
        return parts[2]


def revision_number(key: str) -> int:
    return int(key.rsplit("/", 1)[1].removesuffix(".json"))
