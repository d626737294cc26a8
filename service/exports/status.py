"""An export as the API and the CLI show it: its document, with its job's state and progress
while it is being made."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from service.errors import NotFound
from service.exports.register import FAILED, FINISHED

if TYPE_CHECKING:
    from service.services import Services


def as_view(svc: Services, document: dict[str, Any]) -> dict[str, Any]:
    result = document.get("result") or {}
    view: dict[str, Any] = {
        "id": document["id"],
        "kind": document["kind"],
        "state": document["state"],
        "requested_at": document["requested_at"],
        "requested_by": document["requested_by"],
        "request": document["request"],
        "progress": None,
        "counts": result.get("counts"),
        "unavailable": result.get("unavailable"),
        "manifest_sha256": result.get("manifest_sha256"),
        "objid": result.get("objid"),
        "mets_sha256": result.get("mets_sha256"),
        "file": dict(result["file"]) if result.get("file") else None,
        "error": document.get("error"),
        "finished_at": document.get("finished_at"),
    }
    if document["state"] in (FINISHED, FAILED):
        return view
    try:
        job = svc.jobs.get(document["id"])
    except NotFound:  # the jobs table was lost: the request waits for nobody
        view["state"] = "queued"
        return view
    # queued | running, or how the job ended if the document could not say so
    view["state"] = job.state if job.state != "succeeded" else FINISHED
    view["error"] = view["error"] or job.error
    view["progress"] = {
        "done": job.progress_done,
        "total": job.progress_total,
        "note": job.progress_note,
    }
    return view
