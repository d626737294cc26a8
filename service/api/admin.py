"""`/v1/sites` and `/v1/tokens`: what `offentlig sites` and `offentlig tokens` do, over HTTP."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.admin import (
    SiteCreatedSchema,
    SiteCreateSchema,
    SiteSchema,
    TokenCreatedSchema,
    TokenCreateSchema,
    TokenSchema,
)
from service.api.auth import actor, require
from service.api.context import services
from service.auth.tokens import ADMIN

sites_blp = Blueprint("sites", __name__, url_prefix="/v1/sites", description="Captured sites.")
tokens_blp = Blueprint("tokens", __name__, url_prefix="/v1/tokens", description="API tokens.")


@sites_blp.route("")
class Sites(MethodView):
    @require(ADMIN)
    @sites_blp.response(200, SiteSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Every site"""
        return services().sites.all()

    @require(ADMIN)
    @sites_blp.arguments(SiteCreateSchema)
    @sites_blp.response(201, SiteCreatedSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add a site; its webhook secret is in this answer only"""
        site, secret = services().sites.add(body["name"], body["url"], actor=actor())
        return {**site, "secret": secret}


@tokens_blp.route("")
class Tokens(MethodView):
    @require(ADMIN)
    @tokens_blp.response(200, TokenSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Every token (never the token itself)"""
        return services().tokens.all()

    @require(ADMIN)
    @tokens_blp.arguments(TokenCreateSchema)
    @tokens_blp.response(201, TokenCreatedSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a token; its value is in this answer only"""
        row, token = services().tokens.create(
            body["name"], body["scopes"], body["site_id"], actor=actor()
        )
        return {**row, "token": token}


@tokens_blp.route("/<token_id>")
class Token(MethodView):
    @require(ADMIN)
    @tokens_blp.response(204)
    def delete(self, token_id: str) -> None:
        """Revoke a token"""
        services().tokens.revoke(token_id, actor=actor())
