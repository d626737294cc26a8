"""`/replay/{link}/…`: a snapshot's pages in a browser, from its WARC alone.

The link comes from `POST /v1/sites/{site}/snapshots/{id}/replay-sessions` and is the only
credential (a browser cannot send a bearer token); it expires. Everything a replayed page
refers to on its own site is rewritten to a path under the same link, so styles, images and
fonts come from the archive; the Content Security Policy forbids loading anything from
elsewhere, and `Referrer-Policy` keeps the link from leaking to sites a visitor follows.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, request, url_for

from service.api.context import services
from service.snapshots.replay.access import ReplayDenied
from service.snapshots.replay.lookup import Capture, find
from service.snapshots.replay.records import ArchivedResponse, open_response
from service.snapshots.replay.rewrite import UrlMap, banner, rewrite_css, rewrite_html

blp = Blueprint("replay", __name__, url_prefix="/replay")

REWRITE_LIMIT = 16 * 1024 * 1024  # larger documents are replayed as archived
KEPT_HEADERS = ("content-type", "content-language", "last-modified")
SCRIPT_TYPES = ("application/javascript", "text/javascript", "application/json")
CSP = (
    "default-src 'self' data: blob:; script-src 'self' 'unsafe-inline' 'unsafe-eval' data: "
    "blob:; style-src 'self' 'unsafe-inline' data:; connect-src 'self'; form-action 'none'; "
    "frame-ancestors 'self'; base-uri 'self'"
)
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.IGNORECASE)


@blp.route("/<token>/", defaults={"path": ""}, endpoint="start")
@blp.route("/<token>/<path:path>", endpoint="page")
def replay(token: str, path: str) -> Response:
    svc = services()
    archive = svc.snapshots
    try:
        grant = archive.access.check(token)
    except ReplayDenied as exc:
        return _notice(403, exc.reason, "Be om en ny länk. / Ask for a new link.")
    row = archive.index.get(grant.site_id, grant.snapshot_id)
    if row is None:
        return _notice(404, "No such snapshot.", "")
    root = url_for("replay.start", token=token)
    urls = UrlMap(row.site_url, root)
    url = urls.archived(path, request.query_string.decode("latin-1"))
    index = archive.copies.path(row.cdxj_key, row.cdxj_size, row.cdxj_sha256)
    capture = find(index, url)
    site_name = archive.site(grant.site_id).name
    top = banner(site_name, row.site_url, row.ended_at, archive.zone, root)
    if capture is None:
        return _notice(404, "Not in this snapshot.", f"{html.escape(url)} was not archived.", top)
    warc = archive.copies.path(row.warc_key, row.warc_size, row.warc_sha256)
    return _replayed(warc, capture, urls, top)


def _replayed(warc: Path, capture: Capture, urls: UrlMap, top: str) -> Response:
    archived = open_response(warc, capture)
    headers = [(k, v) for k, v in archived.headers if k.lower() in KEPT_HEADERS]
    location = archived.header("location")
    if location:
        headers.append(("Location", urls.replayed(location, capture.url)))
    if archived.encoded:
        headers.append(("Content-Encoding", archived.encoded))
    mime = (archived.header("content-type") or capture.mime).split(";")[0].strip().lower()
    body: Any = archived.chunks()
    if not archived.encoded and _rewritten(mime):
        data = archived.read(REWRITE_LIMIT)
        archived.close()
        if data is not None:
            text = data.decode(_charset(archived, data), errors="replace")
            body = _rewrite(mime, text, capture.url, urls, top).encode("utf-8")
            headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
            headers.append(("Content-Type", f"{mime}; charset=utf-8"))
        else:  # too large to rewrite: served as archived
            archived = open_response(warc, capture)
            body = archived.chunks()
    response = Response(body, status=archived.status, headers=headers)
    if "content-type" not in {k.lower() for k, _ in headers}:
        response.headers.pop("Content-Type", None)
    moment = datetime.strptime(capture.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    response.headers["Memento-Datetime"] = format_datetime(moment, usegmt=True)
    response.headers["Link"] = f'<{capture.url}>; rel="original"'
    return _guarded(response)


def _rewritten(mime: str) -> bool:
    return mime in ("text/html", "application/xhtml+xml", "text/css") or mime in SCRIPT_TYPES


def _rewrite(mime: str, text: str, url: str, urls: UrlMap, top: str) -> str:
    if mime == "text/css":
        return rewrite_css(text, url, urls)
    if mime in SCRIPT_TYPES:
        return urls.in_script(text)
    return rewrite_html(text, url, urls, top)


def _charset(archived: ArchivedResponse, data: bytes) -> str:
    declared = (archived.header("content-type") or "").lower().partition("charset=")[2]
    if declared.strip(" \"'"):
        return declared.strip(" \"';")
    found = _CHARSET.search(data[:4096])
    return found.group(1).decode("ascii") if found else "utf-8"


def _notice(status: int, title: str, text: str, top: str = "") -> Response:
    page = (
        '<!doctype html><html lang="sv"><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><body>{top}<main><h1>{html.escape(title)}</h1>"
        f"<p>{text}</p></main></body></html>"
    )
    return _guarded(Response(page, status=status, mimetype="text/html"))


def _guarded(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
