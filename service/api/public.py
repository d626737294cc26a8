"""`/public/channels`: the channel register for anyone, without a token — a page in Swedish or
English, and the same list as JSON and CSV. Nothing on the page comes from another origin."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, render_template, request
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.channels import PublicPageArgsSchema, PublicRegisterSchema
from service.api.context import services
from service.channels.public import (
    WORDS,
    as_csv,
    heading,
    language,
    platform_name,
    public_channels,
)

blp = Blueprint(
    "public",
    __name__,
    url_prefix="/public",
    description="For anyone, no token: the authority's channel register (DOMAIN rule 7).",
)
CACHE_CONTROL = "public, max-age=300"


@blp.after_request
def _cacheable(response: Response) -> Response:
    if response.status_code == 200:
        response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def _listed() -> list[dict[str, Any]]:
    return public_channels(services().channels.all())


def _authority() -> str:
    return str(current_app.config.get("AUTHORITY_NAME") or "")


@blp.route("/channels")
class ChannelsPage(MethodView):
    @blp.doc(security=[])
    @blp.arguments(PublicPageArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, content_type="text/html", description="The register as a web page.")
    def get(self, lang: str | None = None) -> Response:
        """The channel register as an accessible page (sv or en)"""
        chosen = language(lang, request.accept_languages.best_match)
        other = "en" if chosen == "sv" else "sv"
        page = render_template(
            "public/channels.html",
            lang=chosen,
            other=other,
            words=WORDS[chosen],
            heading=heading(_authority(), chosen),
            channels=_listed(),
            platform_name=lambda p: platform_name(p, chosen),
        )
        response = Response(page, mimetype="text/html")
        response.headers["Content-Language"] = chosen
        response.vary.add("Accept-Language")
        return response


@blp.route("/channels.json")
class ChannelsJSON(MethodView):
    @blp.doc(security=[])
    @blp.response(200, PublicRegisterSchema)
    def get(self) -> dict[str, Any]:
        """The channel register as JSON"""
        return {"authority": _authority(), "channels": _listed()}


@blp.route("/channels.csv")
class ChannelsCSV(MethodView):
    @blp.doc(security=[])
    @blp.response(
        200,
        content_type="text/csv",
        description="UTF-8 with a byte-order mark, `;`-separated, CRLF lines (Excel, Swedish "
        "regional settings).",
    )
    def get(self) -> Response:
        """The channel register as CSV"""
        response = Response(as_csv(_listed()), mimetype="text/csv")
        response.headers["Content-Disposition"] = "inline; filename=kanaler.csv"
        return response
