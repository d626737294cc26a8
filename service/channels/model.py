"""A channel as the register keeps it: its fields, the rules between them, and its index row.

A channel's document is a register revision (service/registers/); its dates are ISO days
(`2026-11-28`), its status follows from `closed_on`, and its rule ids are a list."""

from __future__ import annotations

from datetime import date
from typing import Any

from service.errors import InvalidInput

PLATFORMS = ("wordpress", "facebook", "instagram", "x", "youtube", "linkedin", "mastodon", "other")
ACTIVE, CLOSED = "active", "closed"
# How a registered WordPress site is captured: by the plugin's webhooks.
SITE_CAPTURE = "Offentlig (webhooks)"

# What an admin sets; `status` follows from `closed_on`, `site_id` only from the site register.
EDITABLE = (
    "platform",
    "name",
    "url",
    "purpose",
    "responsible_unit",
    "contact",
    "started_on",
    "closed_on",
    "capture",
    "rule_ids",
)
# Every member of a channel's revision besides the register's envelope.
FIELDS = (*EDITABLE, "status", "site_id", "note")


def day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def body_of(
    fields: dict[str, Any], *, site_id: str | None, note: str | None, today: date
) -> dict[str, Any]:
    """A revision's body from a channel's fields, checked as a whole: dates become ISO days,
    the status is set, and `closed_on` lies between `started_on` and today."""
    started = _as_day(fields.get("started_on"))
    closed = _as_day(fields.get("closed_on"))
    if closed is not None and started is not None and closed < started:
        raise InvalidInput(
            "A channel cannot close before it started.",
            errors={"closed_on": [f"Must be on or after started_on ({started.isoformat()})."]},
        )
    if closed is not None and closed > today:
        raise InvalidInput(
            "A channel is closed once it has closed.",
            errors={"closed_on": [f"Must not be after today ({today.isoformat()})."]},
        )
    if site_id is not None and fields["platform"] != "wordpress":
        raise InvalidInput(
            "A registered site's channel is a WordPress channel.",
            errors={"platform": ["Must be wordpress for a registered site's channel."]},
        )
    return {
        "platform": fields["platform"],
        "name": fields["name"],
        "url": fields["url"],
        "purpose": fields.get("purpose") or "",
        "responsible_unit": fields.get("responsible_unit") or "",
        "contact": fields.get("contact") or "",
        "started_on": started.isoformat() if started else None,
        "closed_on": closed.isoformat() if closed else None,
        "status": CLOSED if closed else ACTIVE,
        "capture": fields.get("capture") or "",
        "rule_ids": list(dict.fromkeys(fields.get("rule_ids") or ())),
        "site_id": site_id,
        "note": note,
    }


def _as_day(value: date | str | None) -> date | None:
    return day(value) if isinstance(value, str) or value is None else value


def row_of(document: dict[str, Any]) -> dict[str, Any]:
    """The `channels` row of a revision (its id and revision are added by the projector)."""
    return {
        **{name: document[name] for name in EDITABLE if name != "rule_ids"},
        "started_on": day(document["started_on"]),
        "closed_on": day(document["closed_on"]),
        "status": document["status"],
        "rule_ids": " ".join(document["rule_ids"]),
        "site_id": document["site_id"],
    }


def channel_of_row(row: dict[str, Any]) -> dict[str, Any]:
    """A `channels` row as the API shows it."""
    return {**row, "rule_ids": row["rule_ids"].split()}


def channel_of_document(document: dict[str, Any]) -> dict[str, Any]:
    """A revision as the API shows it: the channel then, with who changed it and why."""
    return {
        "id": document["id"],
        "revision": document["revision"],
        **{name: document[name] for name in FIELDS},
        "started_on": day(document["started_on"]),
        "closed_on": day(document["closed_on"]),
        "recorded_at": document["recorded_at"],
        # Who, not from where: the caller's address stays in storage.
        "recorded_by": {
            "kind": document["recorded_by"]["kind"],
            "name": document["recorded_by"]["name"],
        },
        "sha256": document["sha256"],
        "previous_sha256": document["previous_sha256"],
    }
