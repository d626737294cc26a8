"""`/v1/review` and `/v1/records/{id}/review`: the secrecy review queue and reviewers'
decisions (DOMAIN rule 5)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import Row

from schemas.records import ReviewSchema
from schemas.review import ReviewDecisionSchema, ReviewPageSchema, ReviewQueueArgsSchema
from service.api.auth import actor, require, sees_secret, site_filter
from service.api.context import services
from service.api.records import as_record, visible_record
from service.auth.tokens import REVIEW
from service.secrecy.review import ReviewState, document_view, review_view

blp = Blueprint(
    "review", __name__, url_prefix="/v1", description="Secrecy review: the queue and decisions."
)

PREFIX = "review_"


def _item(row: Row[Any]) -> dict[str, Any]:
    """A queue row (the record's columns and the review's, prefixed) as record + review."""
    columns = row._mapping
    review = {k.removeprefix(PREFIX): v for k, v in columns.items() if k.startswith(PREFIX)}
    record = {k: v for k, v in columns.items() if not k.startswith(PREFIX)}
    return {"record": as_record(record), "review": review_view(review)}


@blp.route("/review")
class ReviewQueue(MethodView):
    @require(REVIEW)
    @blp.arguments(ReviewQueueArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, ReviewPageSchema)
    def get(self, state: str, site: str | None, limit: int, cursor: str | None) -> dict[str, Any]:
        """Records by review state (default `pending`), longest waiting first; follow
        `next_cursor`. Records marked secret only with `records:read-secret`"""
        page = services().queries.review_queue(
            state, site_filter(site), limit, cursor, secret=sees_secret()
        )
        return {"items": [_item(row) for row in page.items], "next_cursor": page.next_cursor}


@blp.route("/records/<record_id>/review")
class RecordReview(MethodView):
    @require(REVIEW)
    @blp.arguments(ReviewDecisionSchema)
    @blp.response(201, ReviewSchema)
    @blp.alt_response(404, description="No such record (or another site's).")
    @blp.alt_response(409, description="The review changed meanwhile; read it and decide again.")
    @blp.alt_response(422, description="Not a decision; `errors` names the field.")
    def post(self, body: dict[str, Any], record_id: str) -> dict[str, Any]:
        """Decide a record's review: `cleared`, `register` or `secret` (a later decision may
        reverse it); the record is then shown (or hidden) accordingly"""
        svc = services()
        # Reviewers decide about secret records too, so the record is looked up with them.
        row = visible_record(record_id, secret=True)
        decision = ReviewState(body["decision"])
        document = svc.reviews.decide(
            record_id, decision, body["note"], row.latest_version, actor=actor()
        )
        svc.audit.record(
            f"review.{decision}",
            record_id,
            actor=actor(),
            details={"note": body["note"]},
            decision=True,
        )
        return document_view(document)
