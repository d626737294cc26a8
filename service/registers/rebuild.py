"""`offentlig reindex` for registers: every family's tables rebuilt from storage alone."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, delete

from service.index.db import writing
from service.records.canonical import verify
from service.registers.family import Family, revision_number
from service.storage.port import ObjectStore


@dataclass
class RegisterReport:
    entries: dict[str, int] = field(default_factory=dict)  # family → entries shown
    corrupt: list[str] = field(default_factory=list)
    feed: list[dict[str, Any]] = field(default_factory=list)  # for `rebuild_feed`


def sort_keys(families: Sequence[Family], keys: Iterable[str]) -> dict[str, dict[str, list[str]]]:
    """family name → entry id → its revision keys, oldest first; other keys are left out."""
    found: dict[str, dict[str, list[str]]] = {f.name: defaultdict(list) for f in families}
    for key in keys:
        for family in families:
            entry = family.entry_of(key)
            if entry is not None:
                found[family.name][entry].append(key)
                break
    for entries in found.values():
        for revisions in entries.values():
            revisions.sort(key=revision_number)
    return found


def rebuild_registers(
    engine: Engine,
    storage: ObjectStore,
    families: Sequence[Family],
    keys: Iterable[str],
    advance: Callable[[int], None] = lambda n: None,
) -> RegisterReport:
    """Empty the families' tables (dependents first) and replay every revision in order."""
    report = RegisterReport()
    found = sort_keys(families, keys)
    with writing(engine, durable=True) as conn:
        for family in reversed(families):
            for table in family.tables:
                conn.execute(delete(table))
        for family in families:
            entries = found[family.name]
            for entry_keys in entries.values():
                for key in entry_keys:
                    try:
                        document = verify(storage.get(key))
                    except (ValueError, json.JSONDecodeError):
                        report.corrupt.append(key)
                        continue
                    family.project(conn, document)
                    entry = family.feed(document) if family.feed else None
                    if entry is not None:
                        report.feed.append(entry)
                advance(len(entry_keys))
            report.entries[family.name] = len(entries)
    return report
