"""A stored version or event as the rows the index keeps of it. One place for the mapping, so
capture (either database) and `reindex` write the same rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Table, bindparam

from service.index.search_vector import SearchDocument
from service.index.text import plain_text
from service.records.model import DELETED_STATUS, parse_record_id


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def bind_parameters(
    prefix: str, table: Table, names: Iterable[str]
) -> dict[str, BindParameter[Any]]:
    """A bind parameter for each column in `names`, named `prefix` + column and typed like it."""
    return {name: bindparam(f"{prefix}{name}", type_=table.c[name].type) for name in names}


def prefixed(prefix: str, row: dict[str, Any]) -> dict[str, Any]:
    """`row` as the values of the parameters `bind_parameters(prefix, …)` makes."""
    return {f"{prefix}{name}": value for name, value in row.items()}


# The columns of `records` a later version sets: what `record_values` gives. (Others are set
# by register entries about the record, such as its review and registration.)
RECORD_COLUMNS = (
    "site_id",
    "kind",
    "source_id",
    "origin",
    "status",
    "deleted",
    "title",
    "body",
    "author",
    "parent_id",
    "permalink",
    "published_at",
    "occurred_at",
    "last_captured_at",
    "latest_version",
    "latest_sha256",
    "content_sha256",
    "personal_sha256",
    "terms",
    "search_vector",
)


def terms_text(terms: dict[str, list[str]]) -> str:
    """A version's terms as the `records.terms` column keeps them: one `{taxonomy}:{name}`
    per line, framed by newlines, so `LIKE '%\ncategory:Trafik\n%'` finds exactly one term."""
    lines = [f"{taxonomy}:{name}" for taxonomy, names in sorted(terms.items()) for name in names]
    return "\n" + "\n".join(lines) + "\n" if lines else ""


def record_values(document: dict[str, Any]) -> dict[str, Any]:
    """A version's values for the `RECORD_COLUMNS` of its record's row."""
    personal = document.get("personal_data") or {}
    body, author = plain_text(document["content"]), document["author"]["name"]
    return {
        "site_id": document["site"]["id"],
        "kind": document["kind"],
        "source_id": document["source_id"],
        "origin": document["origin"],
        "status": document["status"],
        "deleted": document["status"] == DELETED_STATUS,
        "title": document["title"],
        "body": body,
        "author": author,
        "parent_id": document["parent"],
        "permalink": document["permalink"],
        "published_at": parse_time(document["published_at"]),
        "occurred_at": parse_time(document["occurred_at"]),
        "last_captured_at": parse_time(document["captured_at"]),
        "latest_version": document["version"],
        "latest_sha256": document["sha256"],
        "content_sha256": document["content_sha256"],
        "personal_sha256": personal.get("sha256"),
        "terms": terms_text(document.get("terms") or {}),
        "search_vector": SearchDocument(document["title"], body, author),
    }


def record_row(document: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The whole `records` row a version makes when its record is new."""
    return {"id": document["record_id"], "first_captured_at": values["last_captured_at"], **values}


def version_row(document: dict[str, Any], key: str) -> dict[str, Any]:
    return {
        "record_id": document["record_id"],
        "version": document["version"],
        "sha256": document["sha256"],
        "content_sha256": document["content_sha256"],
        "webhook_id": document["event"]["id"],
        "event_type": document["event"]["type"],
        "kind": document["kind"],
        "site_id": document["site"]["id"],
        "occurred_at": parse_time(document["occurred_at"]),
        "captured_at": parse_time(document["captured_at"]),
        "storage_key": key,
    }


def event_row(document: dict[str, Any], key: str) -> dict[str, Any]:
    return {
        "id": document["id"],
        "record_id": document["record_id"],
        "webhook_id": document["event"]["id"],
        "type": document["event"]["type"],
        "status": document["status"],
        "previous_status": document["previous_status"],
        "version": document["version"],
        "occurred_at": parse_time(document["occurred_at"]),
        "captured_at": parse_time(document["captured_at"]),
        "sha256": document["sha256"],
        "storage_key": key,
    }


STATUS_COLUMNS = ("status", "deleted", "occurred_at", "last_captured_at")


def status_values(document: dict[str, Any]) -> dict[str, Any]:
    """What a status event changes on its record's row (when it is the latest capture)."""
    return {
        "status": document["status"],
        "deleted": document["status"] == DELETED_STATUS,
        "occurred_at": parse_time(document["occurred_at"]),
        "last_captured_at": parse_time(document["captured_at"]),
    }


def change_row(document: dict[str, Any], change: str) -> dict[str, Any]:
    """The change feed's entry (without its position) for a new "version" or "event"."""
    if change == "version":
        site_id, event_id = document["site"]["id"], None
    else:
        site_id, event_id = document["site_id"], document["id"]
    return {
        "site_id": site_id,
        "record_id": document["record_id"],
        "change": change,
        "version": document["version"],
        "event_id": event_id,
        "event_type": document["event"]["type"],
        "captured_at": parse_time(document["captured_at"]),
    }


def register_change_row(document: dict[str, Any], change: str, event_type: str) -> dict[str, Any]:
    """The change feed's entry for a register revision about one record (a review, a
    registration): its record's latest version when it was written, at `recorded_at`."""
    site_id, _, _ = parse_record_id(document["id"])
    return {
        "site_id": site_id,
        "record_id": document["id"],
        "change": change,
        "version": document["version"],
        "event_id": None,
        "event_type": event_type,
        "captured_at": parse_time(document["recorded_at"]),
    }
