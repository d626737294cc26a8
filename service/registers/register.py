"""Writing and reading one family's entries: storage first, then the index."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from service.auth.actor import Actor
from service.capture.snapshot import iso
from service.errors import Conflict, IndexUnavailable, IntegrityError, NotFound, NotProjected
from service.index.db import unavailable_on_db_error, writing
from service.index.writer import append_feed_row
from service.records.canonical import seal, verify_stored
from service.registers.family import Family
from service.storage.port import ObjectStore

log = logging.getLogger(__name__)

# The members every revision has, whatever its family; a family's body must not use them.
ENVELOPE = ("schema", "id", "revision", "recorded_at", "recorded_by", "previous_sha256", "sha256")


class Register:
    def __init__(
        self,
        family: Family,
        storage: ObjectStore,
        engine: Engine,
        clock: Callable[[], datetime],
    ):
        self.family = family
        self.storage = storage
        self.engine = engine
        self.clock = clock

    def write(
        self,
        entry_id: str,
        body: dict[str, Any],
        *,
        actor: Actor,
        previous: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Add a revision after `previous` (None: the entry's first) and show it in the index.

        Two writers that read the same revision race for the next number; the loser gets a
        409 and nothing of its change is kept."""
        clash = sorted(set(body) & set(ENVELOPE))
        if clash:
            raise ValueError(f"register bodies must not set {clash}")
        number = previous["revision"] + 1 if previous else 1
        document = {
            "schema": self.family.schema,
            "id": entry_id,
            "revision": number,
            "recorded_at": iso(self.clock()),
            "recorded_by": actor.as_dict(),
            "previous_sha256": previous["sha256"] if previous else None,
            **body,
        }
        sealed, data = seal(document)
        key = self.family.key(entry_id, number)
        try:
            self.storage.put_new(key, data)
        except FileExistsError:
            raise Conflict(
                f"{self.family.name} {entry_id} was changed meanwhile; read it and try again."
            ) from None
        try:
            self.project(sealed)
        except IndexUnavailable as exc:
            raise NotProjected(key, exc.message) from exc
        return sealed

    def project(self, document: dict[str, Any]) -> None:
        project(self.engine, self.family, document)

    def history(self, entry_id: str) -> list[dict[str, Any]]:
        """Every revision of an entry, oldest first, each checked against its hash."""
        revisions = [self._load(key) for key in self.storage.list(self.family.prefix(entry_id))]
        for earlier, later in zip(revisions, revisions[1:], strict=False):
            if later["previous_sha256"] != earlier["sha256"]:
                raise IntegrityError(f"{self.family.name} {entry_id}: broken revision chain")
        return revisions

    def latest(self, entry_id: str) -> dict[str, Any]:
        key = None
        for key in self.storage.list(self.family.prefix(entry_id)):  # noqa: B007 - the last is newest
            pass
        if key is None:
            raise NotFound(f"No {self.family.name} entry {entry_id!r}.")
        return self._load(key)

    def _load(self, key: str) -> dict[str, Any]:
        return verify_stored(self.storage.get(key), key)


@unavailable_on_db_error
def project(engine: Engine, family: Family, document: dict[str, Any]) -> None:
    """Show one stored revision in the index (and the change feed, for families in it)."""
    with writing(engine) as conn:
        family.project(conn, document)
        entry = family.feed(document) if family.feed else None
        if entry is not None:
            append_feed_row(conn, entry)
