"""Asking for a disclosure export: everything is checked before anything is written — the
records named exist and may be seen by the requester, a query finds at least one record and no
more than the limit, the requester holds the scopes its options need — then the request is
stored and its job queued (`Exports.request`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from schemas.exports import export_query_schema
from service.auth.actor import Actor
from service.auth.tokens import READ, READ_PERSONAL, READ_SECRET
from service.errors import Forbidden, InvalidInput
from service.exports.register import DISCLOSURE
from service.exports.selection import select, stored_request
from service.jobs.model import Job

if TYPE_CHECKING:
    from service.services import Services


@dataclass(frozen=True)
class Requester:
    """Who asks, with what they may see: a token's scopes and site limit (an operator at
    the command line may see everything)."""

    actor: Actor
    scopes: frozenset[str]
    site_id: str | None = None


def request_disclosure(
    svc: Services,
    requester: Requester,
    options: dict[str, Any],
    request_id: str | None = None,
) -> tuple[dict[str, Any], Job]:
    """Check a disclosure request (`DisclosureRequestSchema`, loaded) and queue it; nothing is
    written unless all of it holds."""
    include_secret = bool(options.get("include_secret"))
    masked = bool(options.get("mask_personal_data", True))
    refused = {}
    if include_secret and READ_SECRET not in requester.scopes:
        refused["include_secret"] = [f"Secret records need the {READ_SECRET!r} scope."]
    if not masked and READ_PERSONAL not in requester.scopes:
        refused["mask_personal_data"] = [
            f"An unmasked export shows personal data: it needs the {READ_PERSONAL!r} scope."
        ]
    if refused:
        raise Forbidden("The token lacks a scope these options need.", errors=refused)
    limit = [requester.site_id] if requester.site_id else None
    query = options.get("query")
    stored_query = None
    site_ids = limit
    if query is not None:
        schema = export_query_schema()
        stored_query = {k: v for k, v in schema.dump(query).items() if v is not None}
        asked = query.get("site")
        if asked is not None:
            site_ids = [asked] if limit is None or asked in limit else []
    record_ids = _unique(options.get("record_ids"))
    request = {
        "record_ids": record_ids,
        "query": stored_query,
        "site_ids": site_ids,
        "mask_personal_data": masked,
        "include_events": bool(options.get("include_events")),
        "include_secret": include_secret,
        "language": options.get("language", "sv"),
    }
    _check_selection(svc, requester, request)
    # Who may see the export: who could have asked for it. A requester who sees secret records
    # learns how many were withheld, so only such tokens see the export.
    scopes = {READ}
    if READ_SECRET in requester.scopes:
        scopes.add(READ_SECRET)
    if not masked:
        scopes.add(READ_PERSONAL)
    access = {"site_id": requester.site_id, "scopes": sorted(scopes)}
    return svc.exports.request(
        DISCLOSURE, request, access, actor=requester.actor, request_id=request_id
    )


def _unique(ids: list[str] | None) -> list[str] | None:
    return list(dict.fromkeys(ids)) if ids is not None else None


def _check_selection(svc: Services, requester: Requester, request: dict[str, Any]) -> None:
    limit = svc.exports.max_records
    sees_secret = READ_SECRET in requester.scopes
    wanted = stored_request(request, sees_secret, svc.clock(), limit + 1)
    chosen = select(svc.queries, wanted)
    if chosen.unavailable:
        positions = {i for i, rid in enumerate(request["record_ids"]) if rid in chosen.unavailable}
        raise InvalidInput(
            errors={
                "record_ids": {
                    str(i): [f"No record {request['record_ids'][i]!r}."] for i in sorted(positions)
                }
            }
        )
    field = "query" if request["query"] is not None else "record_ids"
    if len(chosen.records) > limit:
        raise InvalidInput(errors={field: [f"More than {limit} records: narrow it down."]})
    if not chosen.records:
        raise InvalidInput(errors={field: ["No record to export."]})
