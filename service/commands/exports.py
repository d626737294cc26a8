"""`offentlig export disclosure`: a disclosure for a public-access request, made now in this
process with a progress bar, and written to a local file."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import click

from service.auth.actor import operator
from service.auth.tokens import SCOPES
from service.cli import console, emit, json_option, opened

# The CLI's query options: the filters of `GET /v1/records` (and --site).
QUERY_OPTIONS = (
    "q",
    "site",
    "kind",
    "origin",
    "status",
    "author",
    "parent",
    "published_after",
    "published_before",
    "captured_after",
    "captured_before",
    "case_number",
)


@click.group("export")
def export() -> None:
    """Records leaving the archive: disclosures for public-access requests."""


@export.command("disclosure")
@click.option("--record", "record_ids", multiple=True, help="A record id (repeat for more).")
@click.option("--q", default=None, help="Free text: every word must occur.")
@click.option("--site", default=None)
@click.option("--kind", default=None, help="post, page or comment.")
@click.option("--origin", default=None, help="drawn_up or received.")
@click.option("--status", default=None)
@click.option("--author", default=None)
@click.option("--parent", default=None)
@click.option("--published-after", default=None, help="ISO 8601 date-time with offset.")
@click.option("--published-before", default=None)
@click.option("--captured-after", default=None)
@click.option("--captured-before", default=None)
@click.option("--case-number", default=None)
@click.option("--registered/--unregistered", default=None)
@click.option(
    "--no-mask",
    is_flag=True,
    help="Show personal data as stored (commenters' e-mail, IP, user agent; audited).",
)
@click.option("--events", is_flag=True, help="Each record's status events too.")
@click.option("--include-secret", is_flag=True, help="Records marked secret too.")
@click.option("--language", default="sv", show_default=True, help="sv or en.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Where to write the ZIP (default: ./offentlig-<id>.zip).",
)
@json_option
def disclosure(
    record_ids: tuple[str, ...],
    registered: bool | None,
    no_mask: bool,
    events: bool,
    include_secret: bool,
    language: str,
    output: str | None,
    as_json: bool,
    **filters: Any,
) -> None:
    """Export records (by id, or every record the filters find) as a ZIP of HTML pages, a
    PDF, a CSV, proofs and a manifest."""
    from marshmallow import ValidationError

    from schemas.exports import DisclosureRequestSchema
    from service.commands.jobs import run_in_foreground
    from service.exports.disclosure import Requester, request_disclosure
    from service.exports.job import run_export  # noqa: F401 - registers the kind
    from service.exports.register import KIND
    from service.exports.status import as_view

    query = {name: value for name, value in filters.items() if value is not None}
    if registered is not None:
        query["registered"] = registered
    body: dict[str, Any] = {
        "mask_personal_data": not no_mask,
        "include_events": events,
        "include_secret": include_secret,
        "language": language,
    }
    if record_ids:
        body["record_ids"] = list(record_ids)
    else:
        body["query"] = query
    try:
        options = DisclosureRequestSchema().load(body)
    except ValidationError as exc:
        raise click.ClickException(f"invalid request: {exc.messages}") from None
    with opened() as svc:
        requester = Requester(operator(), frozenset(SCOPES))
        document, job = request_disclosure(svc, requester, options)
        run_in_foreground(
            svc, KIND, description=f"Export {document['id']}", as_json=as_json, queued=job
        )
        view = as_view(svc, svc.exports.get(document["id"]))
        target = Path(output or f"offentlig-{document['id']}.zip")
        with svc.storage.open(view["file"]["key"]) as source, target.open("wb") as out:
            shutil.copyfileobj(source, out)
        svc.audit.record(
            "read-export", document["id"], actor=requester.actor, details={"file": str(target)}
        )
    view["file"]["path"] = str(target)

    def render(v: dict[str, Any]) -> None:
        counts = v["counts"]
        console.print(
            f"Export {v['id']}: {counts['records']} records, {counts['versions']} versions, "
            f"{counts['pdf_pages']} PDF pages; secret withheld: {counts['withheld_secret']}."
        )
        console.print(f"Written to {v['file']['path']} (sha256 {v['file']['sha256']}).")

    emit(view, as_json, render)
