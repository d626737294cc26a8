"""Backfill: everything a site published (and every comment it received) before live
capture began, captured as `{kind}.backfilled` versions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from service.backfill.pipeline import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_WORKERS,
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

    def count(self, captured: Captured) -> None:
        tally = self.kinds[str(captured.kind)]
        tally.read += 1
        if captured.outcome is None:
            tally.errors += 1
            if len(self.errors) < MAX_LISTED_ERRORS:
                self.errors.append({"record_id": captured.record_id, "error": captured.error or ""})
        elif captured.outcome.created:
            tally.captured += 1
        else:
            tally.unchanged += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "site_id": self.site_id,
            "kinds": {kind: vars(tally) for kind, tally in self.kinds.items()},
            "errors": self.errors,
        }


def run_backfill(
    site: Site,
    wordpress: WordPressSite,
    recorder: Recorder,
    run_id: str,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
    resume_from: Mapping[str, int] | None = None,
    *,
    personal_data: tuple[str, ...] = DEFAULT_PERSONAL,
    page_size: int = DEFAULT_PAGE_SIZE,
    workers: int = DEFAULT_WORKERS,
) -> BackfillReport:
    """Every published post and page and every comment (approved, held, spam, trash), each
    captured with `Provenance(Via.BACKFILL, "{run_id}.{record_id}")` at WordPress's time.

    What the archive holds with the same content stays as it is; a rerun with the same
    `run_id` captures nothing twice (a job resumes it from `resume_from`, the last dict it
    gave `checkpoint`)."""
    report = BackfillReport(run_id, site.id)
    capture_site(
        site, wordpress, recorder, Via.BACKFILL, run_id, report.count,
        personal_data=personal_data, progress=progress, checkpoint=checkpoint,
        resume_from=resume_from, page_size=page_size, workers=workers,
    )  # fmt: skip
    return report
