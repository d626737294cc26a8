"""Backfill: everything a site published (and every comment it received) before live
capture began, captured as `{kind}.backfilled` versions."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from service.backfill.pipeline import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_WORKERS,
    RESUME_MARGIN,
    Captured,
    Checkpoint,
    Progress,
    capture_site,
)
from service.capture.ports import Site
from service.capture.provenance import Via
from service.capture.recorder import Recorder
from service.records.model import Kind
from service.sites.account import DEFAULT_PERSONAL
from service.wordpress.port import WordPressSite

MAX_LISTED_ERRORS = 100


@dataclass
class Tally:
    read: int = 0
    captured: int = 0  # new versions
    unchanged: int = 0  # the archive already held this content
    errors: int = 0


@dataclass
class BackfillReport:
    run_id: str
    site_id: str
    kinds: dict[str, Tally] = field(default_factory=lambda: {str(k): Tally() for k in Kind})
    errors: list[dict[str, str]] = field(default_factory=list)  # the first MAX_LISTED_ERRORS
    # The last objects counted: a resumed listing reads a few of them again (its margin),
    # and they are not counted twice.
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=2 * RESUME_MARGIN))
    repeats: frozenset[str] = frozenset()

    def count(self, captured: Captured) -> None:
        if captured.record_id in self.repeats:
            return
        self.recent.append(captured.record_id)
        tally = self.kinds[str(captured.kind)]
        tally.read += 1
        if captured.outcome is None:
            tally.errors += 1
            if len(self.errors) < MAX_LISTED_ERRORS:
                self.errors.append({"record_id": captured.record_id, "error": captured.error or ""})
        elif captured.outcome.created or captured.outcome.made_earlier:
            tally.captured += 1  # by this run (an earlier attempt of it, too)
        else:
            tally.unchanged += 1

    def read(self) -> dict[str, int]:
        return {kind: tally.read for kind, tally in self.kinds.items()}

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "site_id": self.site_id,
            "kinds": {kind: vars(tally) for kind, tally in self.kinds.items()},
            "errors": self.errors,
        }

    def state(self) -> dict[str, Any]:
        """What a job's checkpoint keeps of the report, to carry it on (`resumed`)."""
        return {**self.as_dict(), "recent": list(self.recent)}

    @classmethod
    def resumed(cls, state: Mapping[str, Any]) -> BackfillReport:
        report = cls(state["run_id"], state["site_id"], errors=list(state["errors"]))
        for kind, tally in state["kinds"].items():
            report.kinds[kind] = Tally(**tally)
        report.recent.extend(state["recent"])
        report.repeats = frozenset(state["recent"])
        return report


def run_backfill(
    site: Site,
    wordpress: WordPressSite,
    recorder: Recorder,
    run_id: str,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
    resume_from: Mapping[str, int] | None = None,
    *,
    report: BackfillReport | None = None,
    personal_data: tuple[str, ...] = DEFAULT_PERSONAL,
    page_size: int = DEFAULT_PAGE_SIZE,
    workers: int = DEFAULT_WORKERS,
) -> BackfillReport:
    """Every published post and page and every comment (approved, held, spam, trash), each
    captured with `Provenance(Via.BACKFILL, "{run_id}.{record_id}")` at WordPress's time.

    What the archive holds with the same content stays as it is; a rerun with the same
    `run_id` captures nothing twice (a job resumes it from `resume_from`, the last dict it
    gave `checkpoint`, carrying on the `report` it had then)."""
    report = report or BackfillReport(run_id, site.id)
    capture_site(
        site, wordpress, recorder, Via.BACKFILL, run_id, report.count,
        personal_data=personal_data, progress=progress, checkpoint=checkpoint,
        resume_from=resume_from, page_size=page_size, workers=workers,
    )  # fmt: skip
    return report
