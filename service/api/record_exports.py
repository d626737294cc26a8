"""`/v1/records.csv` and `/v1/records.jsonl`: a whole search result, every page, streamed —
for the registry system and for journalists. The same words and filters as `/v1/records`,
newest first unless `sort` says otherwise (relevance then ranks every match, never only the
newest window `/v1/records` ranks for a person). The answer starts once the first page is
read (an invalid query is a 422, not a broken download), and memory stays flat however many
records there are."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.records import RecordFilterArgsSchema, RecordHitSchema
from service.api.auth import require, sees_secret, site_filter
from service.api.context import services
from service.api.records import as_hit
from service.auth.tokens import READ
from service.index.queries import Page, RecordQuery

blp = Blueprint(
    "record-exports",
    __name__,
    url_prefix="/v1",
    description="A whole search result as CSV or JSON Lines.",
)

# The register entry's columns first (OSL 5:2), then the rest of a record.
CSV_COLUMNS = [
    "id",
    "register_entry.date",
    "register_entry.date_kind",
    "register_entry.identifier",
    "register_entry.sender",
    "register_entry.subject",
    "site_id",
    "kind",
    "origin",
    "status",
    "deleted",
    "title",
    "summary",
    "author",
    "parent",
    "permalink",
    "published_at",
    "first_captured_at",
    "last_captured_at",
    "latest_version",
    "latest_sha256",
    "review",
    "secret",
    "case_number",
    "registered_at",
]
PAGE_SIZE = 500  # records read at a time

# A spreadsheet would run a cell that starts with one of these as a formula (CSV injection):
# such a cell gets a leading apostrophe, as OWASP advises.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _pages(args: dict[str, Any]) -> Iterator[Page]:
    site = args.pop("site", None)
    query = RecordQuery(site_ids=site_filter(site), secret=sees_secret(), **args)
    return services().queries.every(query, PAGE_SIZE)


def _records(pages: Iterable[Page]) -> Iterator[dict[str, Any]]:
    schema = RecordHitSchema()
    for page in pages:
        for row in page.items:
            yield schema.dump(as_hit(row._mapping, page.search))


def _cell(record: dict[str, Any], column: str) -> Any:
    value: Any = record
    for part in column.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flushed() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + flushed()  # a byte order mark: spreadsheets then read UTF-8 (å, ä, ö)
    for n, record in enumerate(records, start=1):
        writer.writerow([_cell(record, column) for column in CSV_COLUMNS])
        if n % 100 == 0:
            yield flushed()
    yield flushed()


def _jsonl(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    for record in records:
        yield json.dumps(record, ensure_ascii=False) + "\n"


def _stream(
    args: dict[str, Any], render: Callable[[Iterable[dict[str, Any]]], Iterator[str]], **kw: str
) -> Response:
    pages = _pages(args)
    first = next(pages)  # in the request: its errors are answers, not broken downloads
    body = render(_records(itertools.chain([first], pages)))
    response = Response(body, mimetype=kw["mimetype"])
    response.headers["Content-Disposition"] = f'attachment; filename="{kw["filename"]}"'
    return response


@blp.route("/records.csv")
class RecordsCsv(MethodView):
    @require(READ)
    @blp.arguments(RecordFilterArgsSchema, location="query", as_kwargs=True)
    @blp.response(
        200,
        description="Every record found, one row each (UTF-8 with a byte order mark); the "
        "register entry's columns first. A cell that would start a formula starts with `'`.",
        content_type="text/csv",
    )
    def get(self, **args: Any) -> Response:
        """Everything a search finds, as CSV (newest first unless `sort` says otherwise)"""
        return _stream(args, _csv, mimetype="text/csv", filename="records.csv")


@blp.route("/records.jsonl")
class RecordsJsonLines(MethodView):
    @require(READ)
    @blp.arguments(RecordFilterArgsSchema, location="query", as_kwargs=True)
    @blp.response(
        200,
        description="Every record found, one JSON object per line, as `/v1/records` shows "
        "them (with `snippet` when `q` has words).",
        content_type="application/jsonl",
    )
    def get(self, **args: Any) -> Response:
        """Everything a search finds, as JSON Lines (newest first unless `sort` says
        otherwise)"""
        return _stream(args, _jsonl, mimetype="application/jsonl", filename="records.jsonl")
