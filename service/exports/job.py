"""The `export` job: make the export its document asks for, then record what was made.

The export's id is its job's id. A run works in a local temporary folder and uploads the ZIP
only when it is complete, so a run that dies or is stopped leaves nothing behind; the next
attempt starts again from the request. A run that finds the export already finished (its
predecessor stored the document but could not record the job) returns that result.
"""

from __future__ import annotations

from typing import Any

from service.auth.actor import SERVICE, Actor
from service.exports import disclosure, transfer
from service.exports.register import DISCLOSURE, FINISHED, KIND, SIP
from service.jobs.context import JobContext
from service.jobs.handlers import register

BUILDERS = {DISCLOSURE: disclosure.build, SIP: transfer.build}


def run_export(ctx: JobContext) -> dict[str, Any]:
    svc = ctx.services
    document = svc.exports.document(ctx.job.id)
    if document["state"] == FINISHED:
        svc.exports.register.project(document)
        return dict(document["result"])
    try:
        result = BUILDERS[document["kind"]](
            svc,
            document,
            progress=ctx.progress,
            stop_point=ctx.stop_point,
            actor=Actor.from_dict(document["recorded_by"]),
        )
    except Exception as exc:
        if ctx.job.attempts >= ctx.job.max_attempts and not ctx.should_stop():
            svc.exports.conclude(document, actor=SERVICE, error=f"{type(exc).__name__}: {exc}")
        raise
    svc.exports.conclude(document, actor=SERVICE, result=result)
    return result


register(KIND, run_export)
