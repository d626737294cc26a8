"""Reconciliation: the site against the archive, for what no webhook reported.

Every object on the site is captured as `{kind}.reconciled` (the capture rules decide: a
new version only where the content differs); what the archive shows as on the site but the
site no longer has gets a `{kind}.gone` status event, never a delete. The report says
which records were missing, changed or gone."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
from service.records.model import (
    GONE_STATUS,
    Action,
    EventType,
    Kind,
    parse_record_id,
)
from service.records.model import record_id as make_record_id
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
    """What a reconciliation found so far; a job's checkpoint keeps it (`state`), so a
    resumed run carries on counting where it stopped."""

    archived: Mapping[str, tuple[str, bool]]
    started_at: str = ""
    read: dict[str, int] = field(default_factory=lambda: {str(k): 0 for k in Kind})
    unchanged: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    error_count: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)  # the first MAX_LISTED_ERRORS
    seen: set[str] = field(default_factory=set)

    def sort(self, captured: Captured) -> None:
        if captured.record_id in self.seen:  # read again where a resumed listing starts
            return
        self.read[str(captured.kind)] += 1
        self.seen.add(captured.record_id)
        outcome = captured.outcome
        if outcome is None:
            self.error_count += 1
            if len(self.errors) < MAX_LISTED_ERRORS:
                self.errors.append({"record_id": captured.record_id, "error": captured.error or ""})
        elif not (outcome.created or outcome.made_earlier):
            self.unchanged += 1
        elif outcome.version == 1:  # this run made its first version
            self.missing.append(captured.record_id)
        else:
            self.changed.append(captured.record_id)

    def unseen(self) -> list[tuple[str, str]]:
        """Records the archive shows as on the site that no listing had: (id, status)."""
        return sorted(
            (record_id, status)
            for record_id, (status, deleted) in self.archived.items()
            if not deleted
            and status in ON_THE_SITE[str(parse_record_id(record_id)[1])]
            and record_id not in self.seen
            and record_id not in self.gone
        )

    def counts(self) -> dict[str, int]:
        return {
            "read": sum(self.read.values()),
            "unchanged": self.unchanged,
            "missing": len(self.missing),
            "changed": len(self.changed),
            "gone": len(self.gone),
            "errors": self.error_count,
        }

    def state(self) -> dict[str, Any]:
        """Everything but `archived` (read again when a run resumes), as JSON."""
        by_kind: dict[str, list[int]] = {str(k): [] for k in Kind}
        for record_id in self.seen:
            _, kind, source_id = parse_record_id(record_id)
            by_kind[str(kind)].append(source_id)
        return {
            "started_at": self.started_at,
            "read": self.read,
            "unchanged": self.unchanged,
            "missing": self.missing,
            "changed": self.changed,
            "gone": self.gone,
            "error_count": self.error_count,
            "errors": self.errors,
            "seen": {kind: sorted(ids) for kind, ids in by_kind.items()},
        }

    @classmethod
    def resumed(
        cls, site_id: str, archived: Mapping[str, tuple[str, bool]], state: Mapping[str, Any]
    ) -> Findings:
        seen = {
            make_record_id(site_id, Kind(kind), source_id)
            for kind, ids in state["seen"].items()
            for source_id in ids
        }
        kept = {name: state[name] for name in _KEPT}
        return cls(archived, seen=seen, **kept)


_KEPT = ("started_at", "read", "unchanged", "missing", "changed", "gone", "error_count", "errors")


def run_reconciliation(
    site: Site,
    wordpress: WordPressSite,
    recorder: Recorder,
    findings: Findings,
    run_id: str,
    progress: Progress | None = None,
    *,
    checkpoint: Callable[[dict[str, Any]], None] | None = None,
    resume_from: Mapping[str, int] | None = None,
    personal_data: tuple[str, ...] = DEFAULT_PERSONAL,
    page_size: int = DEFAULT_PAGE_SIZE,
    workers: int = DEFAULT_WORKERS,
) -> dict[str, Any]:
    """Compare and capture; the report (`REPORT_SCHEMA`, unsealed). `findings` start with
    the archive's view of the site (`archived_records`), taken before the site is read.

    A job carries a run on: `checkpoint` hears `{"offsets", "findings"}` after every page
    and before every record is marked gone; a resumed run (the same `run_id`) gets them
    back as `resume_from` and `Findings.resumed`. What the earlier attempt captured is
    recalled by its key and counted as it was then."""
    offsets: dict[str, int] = dict(resume_from or {})

    def save(now: dict[str, int]) -> None:
        offsets.update(now)
        if checkpoint is not None:
            checkpoint({"offsets": dict(offsets), "findings": findings.state()})

    capture_site(
        site, wordpress, recorder, Via.RECONCILE, run_id, findings.sort,
        personal_data=personal_data, progress=progress, checkpoint=save,
        resume_from=offsets, page_size=page_size, workers=workers,
    )  # fmt: skip
    for record_id in findings.gone:  # listed by the earlier attempt: is its event written?
        status = findings.archived.get(record_id, (GONE_STATUS, False))[0]
        if status != GONE_STATUS:
            _, kind, source_id = parse_record_id(record_id)
            _gone(recorder, site, run_id, kind, source_id, status)
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
        findings.gone.append(record_id)
        save({})  # before the event: a resumed run finds it listed, and writes it if need be
        _gone(recorder, site, run_id, kind, source_id, status)
    return {
        "schema": REPORT_SCHEMA,
        "id": run_id,
        "site_id": site.id,
        "started_at": findings.started_at,
        "finished_at": iso(recorder.clock()),
        "counts": findings.counts(),
        "missing": findings.missing,
        "changed": findings.changed,
        "gone": findings.gone,
        "errors": findings.errors,
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
