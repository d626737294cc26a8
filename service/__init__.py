"""Offentlig: WordPress posts, pages and comments kept as public records."""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin

from service import config as settings
from service import services
from service.logs import configure_logging, current_request_id, install_request_ids


class NoSessions(SessionInterface):
    """A cookie-free API: no request opens a session. (`SECRET_KEY` encrypts the sites'
    webhook secrets; it signs no cookies.)"""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        return None

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        return None


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(settings.load(test_config))
    app.session_interface = NoSessions()

    configure_logging(app.config["LOG_LEVEL"])
    install_request_ids(app)
    built = services.build(
        app.config,
        clock=app.config.get("CLOCK") or services.utc_now,
        id_factory=app.config.get("ID_FACTORY") or services.new_id,
    )
    built.audit.request_ids = current_request_id
    app.extensions["offentlig"] = built

    from service.integrity.archive import start_checkpointer

    if app.extensions["offentlig"].integrity and not app.config.get("TESTING"):
        start_checkpointer(
            app.extensions["offentlig"].integrity, app.config["LOG_CHECKPOINT_SECONDS"]
        )

    from service.api import init_api

    init_api(app)
    app.extensions["offentlig"].repairs.start(float(app.config["INDEX_REPAIR_SECONDS"]))
    return app
