"""Which kinds of job exist: a handler per kind, and the schedules that enqueue them.

A feature registers its kind when its module is imported, and names that module in
FEATURES so that `offentlig worker` imports it:

    def run_snapshot(ctx: JobContext) -> dict[str, Any] | None: ...
    register("snapshot", run_snapshot)
    register_schedule(periodic("snapshot", "P6M", lambda svc: [s["id"] for s in svc.sites.all()]))
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from service.jobs.context import JobContext
from service.jobs.schedules import ScheduleProvider

# Runs one job; returns its result (JSON, or None). Raising fails the attempt (retried
# while attempts remain); `ctx.stop_point()` raises `Stopped` to end the run unfinished.
Handler = Callable[[JobContext], Any]

HANDLERS: dict[str, Handler] = {}
SCHEDULES: list[ScheduleProvider] = []

# Modules that register kinds when imported: "service.snapshots.job", …
FEATURES: tuple[str, ...] = ("service.snapshots.job", "service.exports.job")


def register(kind: str, handler: Handler) -> None:
    if HANDLERS.get(kind, handler) is not handler:
        raise ValueError(f"job kind {kind!r} already has a handler")
    HANDLERS[kind] = handler


def register_schedule(provider: ScheduleProvider) -> None:
    if provider not in SCHEDULES:
        SCHEDULES.append(provider)


def load_features() -> None:
    for module in FEATURES:
        importlib.import_module(module)
