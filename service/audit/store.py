"""Audit batches in object storage: where they live and what one holds.

    authority/audit/{YYYY}/{MM}/{DD}/{HHMMSSffffff}-{ulid}.json

named after the UTC time of the batch's first entry, so a bucket browser lists them by day
and in order. Each is written once (`put_new`) and never changed: a sealed document
`{"schema", "process", "entries", "sha256"}` whose `sha256` anyone can check like a record's.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from typing import Any

from ulid import ULID

from service.records.canonical import seal
from service.storage.port import ObjectStore

SCHEMA = "offentlig.audit-batch/1"
PREFIX = "authority/audit/"


def new_ulid(moment: datetime | None = None) -> str:
    """A lower-case ULID (like every id here), from `moment` when given."""
    made = ULID.from_datetime(moment) if moment is not None else ULID()
    return str(made).lower()


def batch_key(first_at: datetime, batch_id: str) -> str:
    moment = first_at.astimezone(UTC)
    return f"{PREFIX}{moment:%Y/%m/%d/%H%M%S%f}-{batch_id}.json"


def is_batch_key(key: str) -> bool:
    parts = key.split("/")
    return len(parts) == 6 and key.startswith(PREFIX) and parts[-1].endswith(".json")


def process_name() -> str:
    """Which process wrote a batch (asked at each write: a worker is a fork)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def write_batch(storage: ObjectStore, entries: list[dict[str, Any]]) -> str:
    """Seal `entries` into a new batch object and return its key."""
    key = batch_key(datetime.fromisoformat(entries[0]["at"]), new_ulid())
    _, data = seal({"schema": SCHEMA, "process": process_name(), "entries": entries})
    storage.put_new(key, data)
    return key
