"""The audit log: every read of personal data leaves a row (DOMAIN rule 9)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, insert

from service.index import tables as t
from service.index.db import unavailable_on_db_error, writing

log = logging.getLogger("offentlig.audit")


class AuditLog:
    def __init__(self, engine: Engine, clock: Callable[[], datetime]):
        self.engine = engine
        self.clock = clock

    @unavailable_on_db_error
    def record(
        self, token_id: str | None, action: str, subject: str, request_id: str | None
    ) -> None:
        """Written before the data is returned: no audit row, no personal data."""
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
