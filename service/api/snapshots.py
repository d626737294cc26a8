"""`/v1/sites/{site}/snapshots`: a site's snapshots (finished, queued, running), asking for
one now, its schedule, downloads of its files, and replay links."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from flask import Response, g, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.jobs import JobSchema
from schemas.snapshots import (
    ReplaySessionSchema,
    ScheduleAnswerSchema,
    ScheduleSchema,
    SnapshotDetailSchema,
    SnapshotListSchema,
)
from service.api.auth import actor, check_site, require
from service.api.context import services
from service.api.downloads import download
from service.auth.tokens import ADMIN, READ, SNAPSHOTS_REQUEST
from service.errors import NotFound
from service.records.canonical import verify
from service.snapshots.job import request_snapshot
from service.snapshots.listing import finished, overview, unfinished
from service.snapshots.schedule import KIND, change_schedule
from service.snapshots.snapshot import INDEX_NAME, MANIFEST_NAME, WARC_NAME

blp = Blueprint(
    "snapshots",
    __name__,
    url_prefix="/v1/sites",
    description="Whole-site snapshots (WARC): list, request, download, replay.",
)
SITE = "/<site_id>/snapshots"
ONE = f"{SITE}/<snapshot_id>"
# name → (the prefix of its row's columns: `{prefix}_key`, `_size`, `_sha256`; content type)
FILES = {
    WARC_NAME: ("warc", "application/warc"),
    INDEX_NAME: ("cdxj", "text/plain; charset=utf-8"),
    MANIFEST_NAME: ("manifest", "application/json"),
}


def _files(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for name, (column, _type) in FILES.items():
        endpoint = {WARC_NAME: "Warc", INDEX_NAME: "Cdxj", MANIFEST_NAME: "ManifestFile"}[name]
        found[name] = {
            "url": url_for(f"snapshots.{endpoint}", site_id=row["site_id"], snapshot_id=row["id"]),
            "size": row.get(f"{column}_size"),
            "sha256": row.get(f"{column}_sha256"),
        }
    return found


def _with_files(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "files": _files(item)} if item["state"] == "finished" else item


def _finished_row(site_id: str, snapshot_id: str) -> Any:
    check_site(site_id)
    row = services().snapshots.index.get(site_id, snapshot_id)
    if row is None:
        raise NotFound(f"No finished snapshot {snapshot_id!r} of site {site_id!r}.")
    return row


@blp.route(SITE)
class Snapshots(MethodView):
    @require(READ)
    @blp.response(200, SnapshotListSchema)
    def get(self, site_id: str) -> dict[str, Any]:
        """A site's snapshots: queued and running ones with their progress, then finished"""
        check_site(site_id)
        found = overview(services(), site_id)
        last = found["last"] and _with_files(found["last"])
        return {**found, "last": last, "items": [_with_files(i) for i in found["items"]]}

    @require(SNAPSHOTS_REQUEST, ADMIN)
    @blp.response(202, JobSchema)
    def post(self, site_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Take a snapshot now (or the one already queued or running): its job"""
        check_site(site_id)
        job, _new = request_snapshot(services(), site_id, actor(), g.get("request_id"))
        where = url_for("snapshots.SnapshotDetail", site_id=site_id, snapshot_id=job.id)
        return job.as_dict(), 202, {"Location": where}


@blp.route(ONE)
class SnapshotDetail(MethodView):
    @require(READ)
    @blp.response(200, SnapshotDetailSchema)
    def get(self, site_id: str, snapshot_id: str) -> dict[str, Any]:
        """One snapshot: its manifest's summary, or its job's state and progress"""
        check_site(site_id)
        svc = services()
        row = svc.snapshots.index.get(site_id, snapshot_id)
        if row is not None:
            manifest = verify(svc.storage.get(row.manifest_key))
            extra = {n: manifest.get(n) for n in ("settings", "software", "user_agent", "address")}
            shown = _with_files(finished(row))
            return {**shown, **extra, "by_status": manifest["counts"]["by_status"]}
        try:
            job = svc.jobs.get(snapshot_id)
        except NotFound:
            job = None
        if job is None or job.kind != KIND or job.site_id != site_id:
            raise NotFound(f"No snapshot {snapshot_id!r} of site {site_id!r}.")
        return {**unfinished(job), "error": job.error}


def _download(site_id: str, snapshot_id: str, name: str) -> Response:
    """A snapshot's file streamed from storage; its ETag is the SHA-256 of its bytes."""
    row = _finished_row(site_id, snapshot_id)
    svc = services()
    column, content_type = FILES[name]
    key = getattr(row, f"{column}_key")
    svc.audit.record(
        "read-snapshot",
        snapshot_id,
        actor=actor(),
        details={"file": name},
        request_id=g.get("request_id"),
    )
    data = None
    if name == MANIFEST_NAME:
        data = svc.storage.get(key)
        size, sha256 = len(data), hashlib.sha256(data).hexdigest()
    else:
        size, sha256 = getattr(row, f"{column}_size"), getattr(row, f"{column}_sha256")
    return download(
        svc.storage,
        key,
        size=size,
        sha256=sha256,
        content_type=content_type,
        filename=f"{snapshot_id}-{name}",
        data=data,
    )


@blp.route(f"{ONE}/{WARC_NAME}")
class Warc(MethodView):
    @require(READ)
    @blp.response(200, content_type="application/warc", description="The WARC 1.1 file.")
    def get(self, site_id: str, snapshot_id: str) -> Response:
        """Download the snapshot's WARC (audited)"""
        return _download(site_id, snapshot_id, WARC_NAME)


@blp.route(f"{ONE}/{INDEX_NAME}")
class Cdxj(MethodView):
    @require(READ)
    @blp.response(200, content_type="text/plain", description="The pywb CDXJ index.")
    def get(self, site_id: str, snapshot_id: str) -> Response:
        """Download the snapshot's CDXJ index (audited)"""
        return _download(site_id, snapshot_id, INDEX_NAME)


@blp.route(f"{ONE}/{MANIFEST_NAME}")
class ManifestFile(MethodView):
    @require(READ)
    @blp.response(200, content_type="application/json", description="The sealed manifest.")
    def get(self, site_id: str, snapshot_id: str) -> Response:
        """Download the snapshot's manifest, byte for byte as stored (audited)"""
        return _download(site_id, snapshot_id, MANIFEST_NAME)


@blp.route(f"{ONE}/replay-sessions")
class ReplaySessions(MethodView):
    @require(READ)
    @blp.response(201, ReplaySessionSchema)
    def post(self, site_id: str, snapshot_id: str) -> dict[str, Any]:
        """A short-lived link that replays the snapshot in a browser, without a token"""
        row = _finished_row(site_id, snapshot_id)
        svc = services()
        token, expires_at = svc.snapshots.access.issue(site_id, snapshot_id)
        svc.audit.record(
            "replay-snapshot", snapshot_id, actor=actor(), request_id=g.get("request_id")
        )
        start = url_for("replay.start", token=token, _external=True)
        return {"url": start + _start_path(row.site_url), "expires_at": expires_at}


def _start_path(site_url: str) -> str:
    return urlsplit(site_url).path.lstrip("/")


@blp.route("/<site_id>/snapshot-schedule")
class SnapshotSchedule(MethodView):
    @require(ADMIN)
    @blp.arguments(ScheduleSchema)
    @blp.response(200, ScheduleAnswerSchema)
    def put(self, body: dict[str, Any], site_id: str) -> dict[str, Any]:
        """Set how often the site is snapshotted ("P6M", or "off"; audited)"""
        check_site(site_id)
        return change_schedule(services(), site_id, body["every"], actor(), g.get("request_id"))
