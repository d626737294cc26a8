"""`/v1/audit`: the audit trail, newest first."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.audit import AuditArgsSchema, AuditPageSchema
from service.api.auth import require
from service.api.context import services
from service.audit.queries import AuditQuery
from service.auth.tokens import ADMIN

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/v1/audit",
    description="Who captured, read or changed what, and when.",
)


@blp.route("")
class AuditEntries(MethodView):
    @require(ADMIN)
    @blp.arguments(AuditArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, AuditPageSchema)
    def get(self, **args: Any) -> dict[str, Any]:
        """The audit trail, newest first; follow `next_cursor`

        Captures and reads wait in each process's buffer (up to `AUDIT_FLUSH_SECONDS`, 60 s by
        default) before they are written, and show here only then; decisions show at once.
        """
        page = services().audit.entries(AuditQuery(**args))
        return {"items": page.items, "next_cursor": page.next_cursor}
