"""Replay links: browsers cannot send bearer tokens, so a caller with a token asks for a
link (`POST …/replay-sessions`) and gets a signed, expiring path scoped to one snapshot.

The link carries `{site, snapshot}` signed with a key derived from the service's secret key
(itsdangerous, HMAC-SHA1 over a salt of its own); its age is checked on every request
against the service's clock, so every instance with the same key honours it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

SALT = "offentlig.snapshot-replay/1"


class ReplayDenied(Exception):  # noqa: N818 - a refusal, shown to the browser as a page
    """The link is not one we signed, or it has expired."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ReplayGrant:
    site_id: str
    snapshot_id: str


class ReplayAccess:
    def __init__(self, secret_key: bytes, clock: Callable[[], datetime], seconds: int):
        self.clock = clock
        self.lifetime = timedelta(seconds=seconds)

        class ClockedSigner(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(clock().timestamp())

        self._serializer = URLSafeTimedSerializer(secret_key, salt=SALT, signer=ClockedSigner)

    def issue(self, site_id: str, snapshot_id: str) -> tuple[str, datetime]:
        """A token for one snapshot, and when it stops working."""
        token = self._serializer.dumps({"site": site_id, "snapshot": snapshot_id})
        return str(token), self.clock() + self.lifetime

    def check(self, token: str) -> ReplayGrant:
        try:
            data: Any = self._serializer.loads(token, max_age=int(self.lifetime.total_seconds()))
        except SignatureExpired:
            raise ReplayDenied("This replay link has expired.") from None
        except BadSignature:
            raise ReplayDenied("This is not a valid replay link.") from None
        return ReplayGrant(str(data["site"]), str(data["snapshot"]))
