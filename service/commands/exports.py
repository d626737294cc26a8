"""`offentlig export disclosure|sip`: a disclosure for a public-access request, or a transfer
to the e-archive, made now in this process with a progress bar, and written to a local file
(a transfer also to a folder)."""

from __future__ import annotations

import hashlib
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
    """Records leaving the archive: disclosures for public-access requests, transfers to the
    e-archive."""


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
    from service.exports.asking import Requester, request_disclosure
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


@export.command("sip")
@click.option("--site", required=True, help="The site whose records go.")
@click.option("--from", "first_day", required=True, help="The period's first day: 2026-01-01.")
@click.option("--to", "last_day", required=True, help="Its last day, included: 2026-06-30.")
@click.option("--personal-data", is_flag=True, help="Commenters' e-mail, IP, user agent too.")
@click.option("--submission-agreement", default=None, help="Leveransöverenskommelse.")
@click.option("--reference-code", default=None, help="Referenskod in the archive.")
@click.option(
    "--zip",
    "zip_path",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write the package as this ZIP file.",
)
@click.option(
    "--folder",
    type=click.Path(file_okay=False, writable=True),
    default=None,
    help="Write the package as a folder (named by its id) in this folder.",
)
@json_option
def sip(
    site: str,
    first_day: str,
    last_day: str,
    personal_data: bool,
    submission_agreement: str | None,
    reference_code: str | None,
    zip_path: str | None,
    folder: str | None,
    as_json: bool,
) -> None:
    """A transfer to the e-archive (FGS Paketstruktur 2.0, E-ARK SIP): SITE's records of the
    period with every version and event, their HTML pages and the snapshots, secret records
    included and marked. Kept in storage as an export; --zip or --folder writes it here too."""
    from marshmallow import ValidationError

    from schemas.exports import SipRequestSchema
    from service.cli import _config
    from service.commands.jobs import run_in_foreground
    from service.exports.asking import Requester
    from service.exports.job import run_export  # noqa: F401 - registers the kind
    from service.exports.register import KIND
    from service.exports.status import as_view
    from service.exports.transfer import Authority, request_transfer

    if zip_path and folder:
        raise click.UsageError("Give --zip or --folder, not both.")
    body = {"site": site, "from": first_day, "to": last_day, "personal_data": personal_data}
    body.update(submission_agreement=submission_agreement, reference_code=reference_code)
    try:
        options = SipRequestSchema().load({k: v for k, v in body.items() if v is not None})
    except ValidationError as exc:
        raise click.ClickException(f"invalid request: {exc.messages}") from None
    authority = Authority.from_config(_config())
    with opened() as svc:
        requester = Requester(operator(), frozenset(SCOPES))
        document, job = request_transfer(svc, requester, options, authority)
        run_in_foreground(
            svc, KIND, description=f"Transfer {document['id']}", as_json=as_json, queued=job
        )
        view = as_view(svc, svc.exports.get(document["id"]))
        written = _written(svc, view, zip_path, folder)
        if written:
            svc.audit.record(
                "read-export", document["id"], actor=requester.actor, details={"file": written}
            )
    view["file"]["path"] = written

    def render(v: dict[str, Any]) -> None:
        counts = v["counts"]
        console.print(
            f"Transfer {v['objid']}: {counts['records']} records, {counts['versions']} "
            f"versions, {counts['events']} events, {counts['snapshots']} snapshots; "
            f"{counts['secret']} secret (marked)."
        )
        console.print(f"Stored as {v['file']['key']} (sha256 {v['file']['sha256']}).")
        if v["file"]["path"]:
            console.print(f"Written to {v['file']['path']}.")

    emit(view, as_json, render)


def _written(svc: Any, view: dict[str, Any], zip_path: str | None, folder: str | None) -> str:
    """Copy the stored ZIP to `zip_path`, or unpack it into `folder`, checking its SHA-256
    against the export's document; where it went."""
    import tempfile
    import zipfile

    if zip_path:
        with Path(zip_path).open("wb") as out:
            _copy_checked(svc, view["file"], out)
        return zip_path
    if not folder:
        return ""
    root = Path(folder)
    objid = str(view["objid"])
    if root.joinpath(objid).exists():
        raise click.ClickException(f"{root / objid} exists already.")
    with tempfile.TemporaryFile() as local:
        _copy_checked(svc, view["file"], local)
        with zipfile.ZipFile(local) as package:
            for name in package.namelist():
                parts = name.split("/")
                if parts[0] != objid or ".." in parts or name.startswith("/"):
                    raise click.ClickException(f"unexpected name in the package: {name!r}")
            root.mkdir(parents=True, exist_ok=True)
            package.extractall(root)  # noqa: S202 - every name checked above
    return str(root / objid)


def _copy_checked(svc: Any, file: dict[str, Any], out: Any) -> None:
    digest = hashlib.sha256()
    with svc.storage.open(file["key"]) as source:
        while chunk := source.read(1024 * 1024):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != file["sha256"]:
        raise click.ClickException(f"{file['key']} does not match its SHA-256 {file['sha256']}")
