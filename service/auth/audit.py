"""The audit log: every read of personal data leaves a row (DOMAIN rule 9)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert

from service.auth.actor import Actor
from service.index import tables as t
from service.index.db import unavailable_on_db_error, writing

log = logging.getLogger("offentlig.audit")


class AuditLog:
    def __init__(self, engine: Engine, clock: Callable[[], datetime]):
        self.engine = engine
        self.clock = clock

    @unavailable_on_db_error
    def record(
        self,
        action: str,
        subject: str,
        *,
        actor: Actor,
        details: dict[str, Any] | None = None,
        decision: bool = False,
        request_id: str | None = None,
    ) -> None:
        """One entry of the audit trail. `decision`: a change of the archive's decisions or
        configuration (review, registration, hold, cull, rule, channel, token, site), written
        before the call returns; other entries (captures, reads) may be written in batches.

        Written before the data is returned: no audit row, no personal data."""
        token_id = actor.id
        with writing(self.engine) as conn:
            conn.execute(
                insert(t.audit_log).values(
                    at=self.clock(),
                    token_id=token_id,
                    action=action,
                    subject=subject,
                    request_id=request_id,
                )
            )
        log.info("audit", extra={"action": action, "subject": subject, "token_id": token_id})
