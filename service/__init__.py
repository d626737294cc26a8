"""Offentlig: WordPress posts, pages and comments kept as public records."""

from __future__ import annotations

from typing import Any

from flask import Flask

from service import config as settings
from service import services
from service.logs import configure_logging, install_request_ids


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(settings.load(test_config))

    configure_logging(app.config["LOG_LEVEL"])
    install_request_ids(app)
    app.extensions["offentlig"] = services.build(
        app.config,
        clock=app.config.get("CLOCK") or services.utc_now,
        id_factory=app.config.get("ID_FACTORY") or services.new_id,
    )

    from service.api import init_api

    init_api(app)
    return app
