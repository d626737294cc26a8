"""Swagger UI served from the swagger-ui-bundle wheel: the docs work without internet."""

from __future__ import annotations

from flask import Blueprint, Flask
from swagger_ui_bundle import swagger_ui_path

ASSETS_URL = "/docs/assets/"


def install(app: Flask) -> None:
    assets = Blueprint(
        "swagger_ui_assets", __name__, static_folder=swagger_ui_path, static_url_path=ASSETS_URL
    )
    app.register_blueprint(assets)
