"""What a register entry shows of every record (OSL 5:2, DOMAIN rule 6): the date it was
received or drawn up, its case number or other identifier, the sender of a received document,
and briefly what it concerns. Registered or not, every record answers these."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service.index.text import shorten
from service.records.model import Origin

SUBJECT_LENGTH = 100


def register_entry(record: Mapping[str, Any]) -> dict[str, Any]:
    """From a record's index row: `origin`, `published_at` (a comment's is when it arrived),
    `case_number`, `id`, `author`, `title` and `body` (plain text)."""
    received = record["origin"] == Origin.RECEIVED
    return {
        "date": record["published_at"],
        "date_kind": record["origin"],  # the date of a received or a drawn-up document
        "identifier": record["case_number"] or record["id"],
        "sender": record["author"] if received else None,
        "subject": shorten(record["title"] or record["body"], SUBJECT_LENGTH),
    }
