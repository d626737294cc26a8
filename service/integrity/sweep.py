"""The sweep: objects stored but never logged (a process died with leaves in its queue, or
storage refused its pending batch) are found by listing storage against the log, and logged."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

from service.integrity.archive import IntegrityLog
from service.integrity.leaves import vouched
from service.integrity.logged import logged_entries, unsettled_keys


def sweep(
    integrity: IntegrityLog,
    now: datetime,
    grace: timedelta = timedelta(minutes=5),
    advance: Callable[[int], None] = lambda n: None,
) -> list[str]:
    """Queue every vouched-for object older than `grace` that the log lacks; return their keys.
    (A younger one may still be in some process's queue.)"""
    storage = integrity.storage
    size = integrity.sequencer.size()
    known = {key for _, _, _, key in logged_entries(integrity.tiles, 0, size)}
    known |= unsettled_keys(storage, size)
    found = []
    for root in ("authority/", "sites/"):
        for key in storage.list(root):
            advance(1)
            if key in known or not vouched(key):
                continue
            if storage.stat(key).last_modified > now - grace:
                continue
            integrity.queue.add(key, hashlib.sha256(storage.get(key)).hexdigest())
            found.append(key)
    integrity.queue.flush()
    return found
