"""The `snapshot` job: one crawl of a site into `sites/{site}/snapshots/{job id}/`.

The snapshot's id is its job's id. A run that is stopped (the job was cancelled, its lease
was lost, its worker is shutting down) ends the crawl at once and uploads nothing. A run
that dies half way leaves at most a WARC and an index without a manifest; the manifest is
written last, only if none is there yet, so such a snapshot is never listed as finished.
The next run (a retry, or the job taken up by another worker once the lease ran out)
starts the crawl afresh and overwrites those files; a run that finds the manifest already
stored (its predecessor finished but could not record it) only shows it in the index.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from service.auth.actor import Actor
from service.errors import ObjectLocked
from service.jobs.context import JobContext
from service.jobs.control import request_once
from service.jobs.handlers import register, register_schedule
from service.jobs.model import Job
from service.records.canonical import verify
from service.snapshots.crawler import CrawlStopped
from service.snapshots.index import snapshot_prefix
from service.snapshots.schedule import KIND, plan_snapshots
from service.snapshots.settings import CrawlProgress
from service.snapshots.snapshot import INDEX_NAME, MANIFEST_NAME, WARC_NAME, take_snapshot

if TYPE_CHECKING:
    from service.services import Services

log = logging.getLogger("offentlig.snapshots")

PROGRESS_FIELDS = ("pages", "requisites", "bytes", "errors", "refusals", "queued")
_PROGRESS_ITEM = re.compile(r"(\w+) (\d+)")


def progress_note(progress: CrawlProgress) -> str:
    """What the job's progress note says: readable, and parsed back by `progress_of`."""
    return " · ".join(f"{name} {getattr(progress, name)}" for name in PROGRESS_FIELDS)


def progress_of(job: Job) -> dict[str, int]:
    counts = dict.fromkeys(PROGRESS_FIELDS, 0)
    for name, value in _PROGRESS_ITEM.findall(job.progress_note or ""):
        if name in counts:
            counts[name] = int(value)
    return {"fetched": job.progress_done, **counts}


def run_snapshot(ctx: JobContext) -> dict[str, Any]:
    svc = ctx.services
    archive = svc.snapshots
    if ctx.site_id is None:
        raise ValueError("a snapshot job needs a site")
    site = archive.site(ctx.site_id)
    prefix = snapshot_prefix(site.id, ctx.job.id)
    manifest_key = f"{prefix}{MANIFEST_NAME}"
    try:
        stored = svc.storage.get(manifest_key)
    except FileNotFoundError:
        _forget_earlier_attempt(svc, prefix)
    else:
        log.info("snapshot already stored", extra={"job": ctx.job.id})
        return _finished(svc, manifest_key, verify(stored))

    def report(progress: CrawlProgress) -> None:
        ctx.progress(progress.fetched, None, progress_note(progress))

    try:
        manifest = take_snapshot(
            site.url,
            svc.storage,
            prefix,
            archive.crawl,
            progress=report,
            clock=svc.clock,
            stop=ctx.should_stop,
        )
    except CrawlStopped:
        ctx.stop_point()
        raise
    return _finished(svc, manifest.key, manifest.document)


def _forget_earlier_attempt(svc: Services, prefix: str) -> None:
    """A crashed attempt's WARC and index, which its manifest never vouched for."""
    for name in (WARC_NAME, INDEX_NAME):
        try:
            svc.storage.delete(f"{prefix}{name}")
        except ObjectLocked as exc:  # a default retention: the next upload replaces it anyway
            log.warning("cannot remove an earlier attempt's file: %s", exc)


def _finished(svc: Services, key: str, document: dict[str, Any]) -> dict[str, Any]:
    row = svc.snapshots.index.show(key, document)
    return {
        "snapshot_id": row["id"],
        "manifest_key": key,
        "manifest_sha256": row["manifest_sha256"],
        **{name: row[name] for name in ("pages", "requisites", "bytes", "errors", "refusals")},
        "limits_hit": [limit["limit"] for limit in row["limits_hit"]],
    }


def request_snapshot(
    svc: Services, site_id: str, actor: Actor, request_id: str | None = None
) -> tuple[Job, bool]:
    """An on-demand snapshot: a new job, or the one already queued or running for the site
    (two crawls of one site at once help nobody). True if the job is new."""
    svc.snapshots.site(site_id)
    return request_once(svc, KIND, site_id, actor, "request-snapshot", request_id=request_id)


register(KIND, run_snapshot)
register_schedule(plan_snapshots)
