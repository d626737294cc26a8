"""Reconciliation: the site against the archive, for what no webhook reported.

Every object on the site is captured as `{kind}.reconciled` (the capture rules decide: a
new version only where the content differs); what the archive shows as on the site but the
site no longer has gets a `{kind}.gone` status event, never a delete. The report says
which records were missing, changed or gone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from service.backfill.pipeline import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_WORKERS,
    Captured,
    Progress,
    capture_site,
)
from service.backfill.reading import Remote, capture
from service.capture.ports import Site
from service.capture.provenance import Provenance, Via
from service.capture.recorder import Recorder
from service.capture.snapshot import PersonalData, Snapshot, iso
from service.index import tables as t
from service.index.db import unavailable_on_db_error
from service.records.model import GONE_STATUS, Action, EventType, Kind, parse_record_id
from service.sites.account import DEFAULT_PERSONAL
from service.wordpress.port import COMMENT_STATUSES, WordPressSite

REPORT_SCHEMA = "offentlig.reconciliation-report/1"
MAX_LISTED_ERRORS = 100
# The statuses of a record the site still shows in the listings reconciliation reads.
ON_THE_SITE: dict[str, frozenset[str]] = {
    str(Kind.POST): frozenset({"publish"}),
    str(Kind.PAGE): frozenset({"publish"}),
    str(Kind.COMMENT): frozenset(COMMENT_STATUSES),
}


@unavailable_on_db_error
def archived_records(engine: Engine, site_id: str) -> dict[str, tuple[str, bool]]:
    """Every record of the site the archive has: id → (status, deleted)."""
    r = t.records
    query = select(r.c.id, r.c.status, r.c.deleted).where(r.c.site_id == site_id)
    with engine.connect() as conn:
        return {row.id: (row.status, bool(row.deleted)) for row in conn.execute(query)}


@dataclass
class Findings:
    archived: Mapping[str, tuple[str, bool]]
    read: int = 0
    unchanged: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def sort(self, captured: Captured) -> None:
        self.read += 1
        self.seen.add(captured.record_id)
        if captured.outcome is None:
            self.errors.append({"record_id": captured.record_id, "error": captured.error or ""})
        elif not captured.outcome.created:
            self.unchanged += 1
        elif captured.record_id in self.archived:
            self.changed.append(captured.record_id)
        else:
            self.missing.append(captured.record_id)

    def unseen(self) -> list[tuple[str, str]]:
        """Records the archive shows as on the site that no listing had: (id, status)."""
        return sorted(
            (record_id, status)
            for record_id, (status, deleted) in self.archived.items()
            if not deleted
            and status in ON_THE_SITE[str(parse_record_id(record_id)[1])]
            and record_id not in self.seen
        )

    def counts(self) -> dict[str, int]:
        return {
            "read": self.read,
            "unchanged": self.unchanged,
            "missing": len(self.missing),
            "changed": len(self.changed),
            "gone": len(self.gone),
            "errors": len(self.errors),
        }


def run_reconciliation(
    site: Site,
    wordpress: WordPressSite,
    recorder: Recorder,
    archived: Mapping[str, tuple[str, bool]],
    run_id: str,
    progress: Progress | None = None,
    *,
    personal_data: tuple[str, ...] = DEFAULT_PERSONAL,
    page_size: int = DEFAULT_PAGE_SIZE,
    workers: int = DEFAULT_WORKERS,
) -> dict[str, Any]:
    """Compare and capture; the report (`REPORT_SCHEMA`, unsealed). `archived` is the
    archive's view of the site (`archived_records`) taken before the site is read."""
    started_at = recorder.clock()
    findings = Findings(archived)
    capture_site(
        site, wordpress, recorder, Via.RECONCILE, run_id, findings.sort,
        personal_data=personal_data, progress=progress, page_size=page_size, workers=workers,
    )  # fmt: skip
    for record_id, status in findings.unseen():
        _, kind, source_id = parse_record_id(record_id)
        if kind is Kind.COMMENT:
            remote: Remote | None = wordpress.comment(source_id)
        else:
            remote = wordpress.post(kind, source_id)
        if remote is not None and (kind is Kind.COMMENT or remote.status == "publish"):
            # Moved between two pages of its listing while it was read: still on the site.
            outcome = capture(recorder, site, Via.RECONCILE, run_id, remote, personal_data)
            findings.sort(Captured(record_id, kind, outcome))
            continue
        _gone(recorder, site, run_id, kind, source_id, status)
        findings.gone.append(record_id)
    return {
        "schema": REPORT_SCHEMA,
        "id": run_id,
        "site_id": site.id,
        "started_at": iso(started_at),
        "finished_at": iso(recorder.clock()),
        "counts": findings.counts(),
        "missing": findings.missing,
        "changed": findings.changed,
        "gone": findings.gone,
        "errors": findings.errors[:MAX_LISTED_ERRORS],
    }


def _gone(
    recorder: Recorder, site: Site, run_id: str, kind: Kind, source_id: int, status: str
) -> None:
    """A status event: the record keeps its last version, its status becomes "gone"."""
    snap = Snapshot(
        site_id=site.id,
        event_type=EventType(kind, Action.GONE),
        source_id=source_id,
        status=GONE_STATUS,
        previous_status=status,
        content={},
        personal=PersonalData(None, None, None),
    )
    provenance = Provenance(Via.RECONCILE, f"{run_id}.{snap.record_id}")
    recorder.record(site, provenance, recorder.clock(), snap)
