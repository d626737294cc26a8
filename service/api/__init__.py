"""The REST API: one flask-smorest Blueprint per resource, OpenAPI 3 at /openapi.json."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from schemas.webhook import CommentDataSchema, PingAnswerSchema, PostDataSchema
from service.api import (
    admin,
    audit,
    backfill,
    changes,
    channels,
    docs,
    errors,
    events,
    exports,
    health,
    jobs,
    log,
    public,
    record_exports,
    records,
    registration,
    replay,
    retention,
    review,
    snapshots,
    stats,
)

API_SPEC = {
    "API_TITLE": "Offentlig",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": docs.ASSETS_URL,
    "API_SPEC_OPTIONS": {
        "info": {
            "description": (
                "Public records captured from WordPress: the webhook ingest for the plugin, and "
                "search, versions and a change feed for the authority's registry system."
            )
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "webhookSignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "webhook-signature",
                    "description": "Standard Webhooks 1.0; see docs/webhooks.md.",
                },
            }
        },
    },
}


def init_api(app: Flask) -> Api:
    for key, value in API_SPEC.items():
        app.config.setdefault(key, value)
    api = Api(app)
    # The shapes of `data`, per event type, for whoever writes a sender.
    api.spec.components.schema("PostData", schema=PostDataSchema)
    api.spec.components.schema("CommentData", schema=CommentDataSchema)
    api.spec.components.schema("PingAnswer", schema=PingAnswerSchema)
    errors.install(app, api)
    docs.install(app)
    for blueprint in (
        events.blp,
        records.blp,
        record_exports.blp,
        changes.blp,
        stats.blp,
        review.blp,
        registration.blp,
        admin.sites_blp,
        admin.tokens_blp,
        channels.blp,
        public.blp,
        jobs.blp,
        audit.blp,
        retention.rules_blp,
        retention.holds_blp,
        retention.runs_blp,
        retention.log_blp,
        log.blp,
        snapshots.blp,
        backfill.blp,
        exports.blp,
    ):
        api.register_blueprint(blueprint)
    app.register_blueprint(replay.blp)  # for browsers, outside the OpenAPI document
    health.install(app)
    return api
