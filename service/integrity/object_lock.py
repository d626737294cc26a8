"""S3 Object Lock for what the archive keeps: each new record version is stored under
GOVERNANCE retention until `OBJECT_LOCK_DEFAULT_RETENTION` (when set, e.g. P10Y) from now,
on a bucket whose storage itself enforces Object Lock (`capabilities().object_lock`, not
emulated).

GOVERNANCE, not COMPLIANCE: a culling decision may end the retention early — the culling run
shortens or bypasses it with `bypass_governance` (credentials that may), and a culling rule's
earliest allowed date can replace the default here (`retain_until`'s `earliest_cull` hook).
Legal holds on records map to S3 legal holds in the retention feature (service/retention/
holds.py, `storage.set_legal_hold`); both live on the same object versions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from service.jobs.schedules import Period, parse_every
from service.storage.port import ObjectStore

log = logging.getLogger("offentlig.integrity")

# Given a new object's key, the earliest date a culling rule would allow it to go (None: no
# rule covers it, or no rule is known): then retention ends there instead of the default.
EarliestCull = Callable[[str], datetime | None]


def retain_until(
    key: str, now: datetime, default: Period, earliest_cull: EarliestCull | None = None
) -> datetime | None:
    """How long a newly stored object is kept locked; None: not locked."""
    if "/versions/" not in key:
        return None
    until: datetime = now + default
    if earliest_cull is not None:
        allowed = earliest_cull(key)
        if allowed is not None and now < allowed < until:
            until = allowed
    return until


class RetentionOnStore:
    """An observer for `LoggedStore`: retention on each new record version, one request."""

    def __init__(
        self,
        storage: ObjectStore,
        clock: Callable[[], datetime],
        default: str,
        earliest_cull: EarliestCull | None = None,
    ):
        self.storage = storage
        self.clock = clock
        self.default = parse_every(default, "OBJECT_LOCK_DEFAULT_RETENTION")
        self.earliest_cull = earliest_cull

    def __call__(self, key: str, data: bytes) -> None:
        until = retain_until(key, self.clock(), self.default, self.earliest_cull)
        if until is None:
            return
        try:
            if not enforced(self.storage):  # asked of the bucket once, then remembered
                return
            self.storage.set_retention(key, until, mode="GOVERNANCE")
        except Exception:  # noqa: BLE001 - the version is stored; `verify` and the log cover it
            log.exception("could not set Object Lock retention on %s", key)


def enforced(storage: ObjectStore) -> bool:
    capabilities = storage.capabilities()
    return capabilities.object_lock and not capabilities.object_lock_emulated
