"""`offentlig reindex`: the whole database rebuilt from object storage alone.

One listing of the bucket feeds every part, in an order where each part finds what it
refers to: the authority's registers (sites, tokens, …), then the records, then the
registers about records (reviews, registrations, …), then the audit trail's batches and
the snapshots' manifests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine

from service.audit.projection import batch_keys, rebuild_audit
from service.index.rebuild import RebuildReport, rebuild, rebuild_feed, record_keys
from service.registers.catalog import authority_families, record_families
from service.registers.family import Family
from service.registers.rebuild import rebuild_registers
from service.snapshots.index import rebuild_snapshots, snapshot_manifests
from service.storage.port import ObjectStore

Step = Callable[[str, int], Callable[[int], None]]  # (description, total) → advance(n)


@dataclass
class ReindexReport:
    records: RebuildReport
    entries: dict[str, int] = field(default_factory=dict)
    audit: int = 0  # audit entries shown
    snapshots: int = 0
    corrupt: list[str] = field(default_factory=list)


def reindex(engine: Engine, storage: ObjectStore, step: Step) -> ReindexReport:
    everything = list(storage.list(""))
    found_records = record_keys(everything)
    authority, about_records = authority_families(), record_families()

    first = rebuild_registers(
        engine, storage, authority, everything, step("Registers", _count(authority, everything))
    )
    records = rebuild(engine, storage, found_records, step("Records", len(found_records)))
    then = rebuild_registers(
        engine,
        storage,
        about_records,
        everything,
        step("Record registers", _count(about_records, everything)),
    )
    rebuild_feed(engine, [*first.feed, *then.feed])
    batches = batch_keys(everything)
    audit = rebuild_audit(engine, storage, batches, step("Audit trail", len(batches)))
    manifests = snapshot_manifests(everything)
    snapshots = rebuild_snapshots(engine, storage, manifests, step("Snapshots", len(manifests)))
    assert records.corrupt is not None
    return ReindexReport(
        records=records,
        entries={**first.entries, **then.entries},
        audit=audit.entries,
        snapshots=snapshots.shown,
        corrupt=[
            *first.corrupt,
            *records.corrupt,
            *then.corrupt,
            *audit.corrupt,
            *snapshots.corrupt,
        ],
    )


def _count(families: Sequence[Family], keys: list[str]) -> int:
    return sum(1 for key in keys for f in families if f.entry_of(key) is not None)
