"""`/v1/stats`: captured versions per day and kind, for the dashboard widget."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.feeds import StatsArgsSchema, StatsSchema
from service.api.auth import require, sees_secret, site_filter
from service.api.context import services
from service.auth.tokens import READ

blp = Blueprint("stats", __name__, url_prefix="/v1/stats", description="Capture counts.")


@blp.route("")
class Stats(MethodView):
    @require(READ)
    @blp.arguments(StatsArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, StatsSchema)
    def get(self, site: str | None, days: int) -> dict[str, Any]:
        """Versions captured per local day (Europe/Stockholm) and kind"""
        svc = services()
        sites = site_filter(site)
        next_culling = svc.retention.forecast.next(sites)
        counts = svc.queries.stats(sites, days, svc.zone, svc.clock(), secret=sees_secret())
        return {
            "site_id": site,
            "timezone": svc.zone.key,
            **counts,
            "review_pending": svc.queries.review_pending(sites),
            "next_culling": next_culling.as_dict() if next_culling else None,
        }
