"""Object Lock rules (S3 semantics) in one place.

The filesystem adapter enforces them itself; the S3 adapter leaves enforcement to the server
but applies the same rules to every version before erasing, so nothing is half-erased.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

MODES = ("GOVERNANCE", "COMPLIANCE")


def check_retention_request(until: datetime, mode: str, now: datetime) -> None:
    """Refuse what S3 would refuse, before asking it (its answer is a bare 400)."""
    if mode not in MODES:
        raise ValueError(f"retention mode must be one of {MODES}, not {mode!r}")
    if until.tzinfo is None:
        raise ValueError("retention dates must be timezone-aware")
    if until <= now:
        raise ValueError(f"retention must end in the future, not {until.isoformat()}")


@dataclass(frozen=True)
class Lock:
    """What protects one object version."""

    hold: bool = False
    mode: str | None = None
    until: datetime | None = None

    def active_retention(self, now: datetime) -> bool:
        return self.until is not None and self.until > now

    def refuses_removal(self, *, bypass_governance: bool, now: datetime) -> str | None:
        """Why this version may not be removed now, or None if it may."""
        if self.hold:
            return "under legal hold"
        if not self.active_retention(now):
            return None
        assert self.until is not None
        until = self.until.isoformat()
        if self.mode == "COMPLIANCE":
            return f"under COMPLIANCE retention until {until}"
        if not bypass_governance:
            return f"under GOVERNANCE retention until {until} (needs bypass_governance)"
        return None

    def refuses_retention(
        self, mode: str, until: datetime, *, bypass_governance: bool, now: datetime
    ) -> str | None:
        """Why the retention may not become (`mode`, `until`): only extending is free."""
        if not self.active_retention(now):
            return None
        assert self.until is not None
        if mode == self.mode and until >= self.until:
            return None
        if self.mode == "COMPLIANCE":
            return f"COMPLIANCE retention until {self.until.isoformat()} cannot be shortened"
        if not bypass_governance:
            return "shortening or changing GOVERNANCE retention needs bypass_governance"
        return None
