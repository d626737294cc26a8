"""`/v1/exports`: ask for an export — a disclosure for a public-access request, or an
e-archive transfer (`/v1/exports/sip`) — follow its job, and download its ZIP.

An export is seen only by tokens that could have asked for it: within the same site limit,
and holding the scopes its options needed (`records:read-secret` for one with secret records,
`records:read-personal` for an unmasked one; `admin` and `records:read-secret` for a
transfer); to anyone else it does not exist (404).
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.common import PageArgsSchema
from schemas.exports import (
    DisclosureRequestSchema,
    ExportPageSchema,
    ExportSchema,
    SipRequestSchema,
)
from service.api.auth import actor, principal, require
from service.api.context import services
from service.api.downloads import download
from service.auth.tokens import ADMIN, READ
from service.errors import Conflict, NotFound
from service.exports.asking import Requester, request_disclosure
from service.exports.register import FINISHED
from service.exports.status import as_view
from service.exports.transfer import Authority, request_transfer

blp = Blueprint(
    "exports",
    __name__,
    url_prefix="/v1/exports",
    description="Exports of records: disclosures for public-access requests, and transfers "
    "to the e-archive (SIP).",
)


def _visible(document: dict[str, Any]) -> bool:
    caller = principal()
    access = document["access"]
    same_sites = caller.site_id is None or caller.site_id == access["site_id"]
    return same_sites and set(access["scopes"]) <= caller.scopes


def _export(export_id: str) -> dict[str, Any]:
    document = services().exports.get(export_id)
    if not _visible(document):
        raise NotFound(f"No export {export_id!r}.")
    return document


def _shown(document: dict[str, Any]) -> dict[str, Any]:
    view = as_view(services(), document)
    if view.get("file"):
        view["file"]["url"] = url_for("exports.ExportDownload", export_id=document["id"])
    return view


@blp.route("")
class Exports(MethodView):
    @require(READ)
    @blp.arguments(DisclosureRequestSchema)
    @blp.response(202, ExportSchema)
    def post(self, body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Ask for an export: the records named or found, as they are now; its job makes it"""
        caller = principal()
        requester = Requester(actor(), frozenset(caller.scopes), caller.site_id)
        document, _job = request_disclosure(services(), requester, body, g.get("request_id"))
        where = url_for("exports.ExportDetail", export_id=document["id"])
        return _shown(document), 202, {"Location": where}

    @require(READ)
    @blp.arguments(PageArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, ExportPageSchema)
    def get(self, limit: int, cursor: str | None) -> dict[str, Any]:
        """Exports this token may see, newest first; follow `next_cursor`"""
        caller = principal()
        found = services().exports.list(site_ids=caller.site_ids(), limit=limit + 1, before=cursor)
        page = found[:limit]
        return {
            "items": [_shown(d) for d in page if _visible(d)],
            "next_cursor": page[-1]["id"] if len(found) > limit else None,
        }


@blp.route("/sip")
class Transfers(MethodView):
    @require(ADMIN)
    @blp.arguments(SipRequestSchema)
    @blp.response(202, ExportSchema)
    def post(self, body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Ask for an e-archive transfer (SIP): a site's records of a period; its job makes it

        Secret records are included and marked, so this needs `admin`, `records:read` and
        `records:read-secret` (and `records:read-personal` for `personal_data`)."""
        caller = principal()
        requester = Requester(actor(), frozenset(caller.scopes), caller.site_id)
        authority = Authority.from_config(current_app.config)
        document, _job = request_transfer(
            services(), requester, body, authority, g.get("request_id")
        )
        where = url_for("exports.ExportDetail", export_id=document["id"])
        return _shown(document), 202, {"Location": where}


@blp.route("/<export_id>")
class ExportDetail(MethodView):
    @require(READ)
    @blp.response(200, ExportSchema)
    def get(self, export_id: str) -> dict[str, Any]:
        """One export: its state and progress, then its file and counts"""
        return _shown(_export(export_id))


@blp.route("/<export_id>/download")
class ExportDownload(MethodView):
    @require(READ)
    @blp.response(200, content_type="application/zip", description="The export's ZIP.")
    @blp.alt_response(409, description="Not finished yet.")
    def get(self, export_id: str) -> Response:
        """Download the export's ZIP (audited); its ETag is the SHA-256 of its bytes"""
        document = _export(export_id)
        if document["state"] != FINISHED:
            raise Conflict(f"Export {export_id} is not finished yet.")
        svc = services()
        file = document["result"]["file"]
        svc.audit.record(
            "read-export",
            export_id,
            actor=actor(),
            details={"sha256": file["sha256"]},
            request_id=g.get("request_id"),
        )
        return download(
            svc.storage,
            file["key"],
            size=file["size"],
            sha256=file["sha256"],
            content_type="application/zip",
            filename=file["name"],
        )
