"""`/v1/changes`: every new version and event in capture order, for incremental sync."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.feeds import ChangePageSchema, ChangesArgsSchema
from service.api.auth import require, sees_secret, site_filter
from service.api.context import services
from service.auth.tokens import READ

blp = Blueprint(
    "changes", __name__, url_prefix="/v1/changes", description="Feed for registry systems."
)


@blp.route("")
class Changes(MethodView):
    @require(READ)
    @blp.arguments(ChangesArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, ChangePageSchema)
    def get(self, after: int, limit: int, site: str | None) -> dict[str, Any]:
        """Versions, events, reviews and registrations after the cursor, oldest first; no gaps,
        no repeats"""
        items = services().queries.changes(after, limit, site_filter(site), secret=sees_secret())
        return {"items": items, "next_cursor": items[-1].seq if items else after}
