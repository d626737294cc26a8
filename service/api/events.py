"""`POST /v1/sites/{site_id}/events`: the webhook ingest the WordPress plugin calls."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from schemas.webhook import EventAcceptedSchema, PingAnswerSchema, WebhookEventSchema
from service import metrics
from service.api.context import services
from service.capture import signature
from service.capture.provenance import Provenance
from service.capture.snapshot import snapshot
from service.errors import InvalidInput
from service.records.model import PING, EventType

blp = Blueprint(
    "events",
    __name__,
    url_prefix="/v1/sites",
    description="Signed webhooks from WordPress (Standard Webhooks 1.0; see docs/webhooks.md).",
)


# Shared: a schema instance keeps no state between loads, and creating one costs more than a load.
_EVENT_SCHEMA = WebhookEventSchema()


def _body() -> bytes:
    """The request body, or 413 when it is over MAX_CONTENT_LENGTH.

    Werkzeug refuses a too-long Content-Length up front, but cuts a chunked body at the limit
    without a word: one that fills the limit is taken to be over it.
    """
    body = request.get_data(cache=False)
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(body) >= limit:
        raise RequestEntityTooLarge()
    return body


def _parse(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, RecursionError):
        raise InvalidInput(
            "The body is not valid JSON.", errors={"json": ["Body must be a JSON object."]}
        ) from None
    if not isinstance(document, dict):
        raise InvalidInput(
            "The body is not a JSON object.", errors={"json": ["Body must be a JSON object."]}
        )
    try:
        loaded: dict[str, Any] = _EVENT_SCHEMA.load(document)
    except ValidationError as exc:
        raise InvalidInput("Invalid webhook payload.", errors={"json": exc.messages}) from None
    return loaded


@blp.route("/<site_id>/events")
class Events(MethodView):
    @blp.doc(
        operationId="receiveEvent",
        security=[{"webhookSignature": []}],
        requestBody={
            "required": True,
            "content": {"application/json": {"schema": WebhookEventSchema}},
        },
        parameters=[
            {"in": "header", "name": name, "required": True, "schema": {"type": "string"}}
            for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
        ],
    )
    @blp.response(201, EventAcceptedSchema, description="Something new was recorded.")
    @blp.alt_response(
        200,
        schema=EventAcceptedSchema,
        description="Redelivery or unchanged content (the answer to `offentlig.ping` is a "
        "`PingAnswer`).",
    )
    @blp.alt_response(401, description="Missing, malformed, expired or wrong signature.")
    @blp.alt_response(404, description="Unknown site.")
    @blp.alt_response(413, description="Body over the size limit.")
    @blp.alt_response(422, description="Invalid payload; `errors` names the fields at fault.")
    @blp.alt_response(503, description="Storage or database unreachable; see Retry-After.")
    def post(self, site_id: str) -> tuple[dict[str, Any], int] | Response:
        """Record one WordPress event"""
        svc = services()
        site, secret = svc.sites.with_secret(site_id)
        body = _body()
        webhook_id = signature.verify(secret, body, dict(request.headers.items()))
        event = _parse(body)
        if event["type"] == PING:
            # Not the 201 schema's shape, so answered directly.
            return jsonify(
                PingAnswerSchema().dump({"ok": True, "site_id": site.id, "site_name": site.name})
            )
        event_type = EventType.parse(event["type"])
        outcome = svc.recorder.record(
            site,
            Provenance.webhook(webhook_id),
            event["timestamp"],
            snapshot(site.id, event_type, event["data"]),
        )
        metrics.EVENTS.labels(type=event["type"], created=str(outcome.created).lower()).inc()
        answer = {
            "record_id": outcome.record_id,
            "version": outcome.version,
            "event_id": outcome.event_id,
        }
        return answer, 201 if outcome.created else 200
