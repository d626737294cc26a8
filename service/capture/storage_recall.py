"""What capture asks the index, answered from storage alone: for when the database is down.

Storage holds everything the answer needs. A version or event made by a delivery carries its
delivery id (`event.id`; an event's key is named after it), so a redelivery is still known;
the record's head is the last version in its listing. Only a delivery that made nothing new
is remembered nowhere but the index (`deliveries`): while the database is down, its
redelivery is judged again by its content, which made nothing the first time either."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from service.capture.ports import Head, Outcome
from service.capture.snapshot import Snapshot
from service.records import keys
from service.records.canonical import verify
from service.records.model import EventType
from service.storage.port import ObjectStore


def stored_versions(storage: ObjectStore, snap: Snapshot) -> list[dict[str, Any]]:
    """Every stored version of the delivery's record, oldest first, each checked."""
    prefix = keys.versions_prefix(snap.site_id, snap.kind, snap.source_id)
    return [verify(storage.get(key)) for key in storage.list(prefix)]


def head_of(version: dict[str, Any], newest_occurred_at: datetime | None = None) -> Head:
    personal = version.get("personal_data") or {}
    return Head(
        version=int(version["version"]),
        sha256=str(version["sha256"]),
        content_sha256=str(version["content_sha256"]),
        personal_sha256=personal.get("sha256"),
        newest_occurred_at=newest_occurred_at,
    )


def occurred(document: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(document["occurred_at"]))


def head_from(versions: list[dict[str, Any]]) -> Head | None:
    if not versions:
        return None
    return head_of(versions[-1], max(occurred(v) for v in versions))


def recall(
    storage: ObjectStore, delivery_id: str, snap: Snapshot
) -> tuple[Outcome | None, Head | None]:
    """`CaptureIndex.recall`, from storage: the answer this delivery already had, and the head."""
    versions = stored_versions(storage, snap)
    event_key = keys.event_key(snap.site_id, snap.kind, snap.source_id, delivery_id)
    try:
        event = verify(storage.get(event_key))
    except FileNotFoundError:
        event = None
    if event is not None:
        answer: Outcome | None = Outcome(
            snap.record_id, event["version"], event["id"], created=False, made_earlier=True
        )
    else:
        # A status delivery about an unknown record made version 1: not its answer.
        made = next(
            (
                v
                for v in versions
                if v["event"]["id"] == delivery_id
                and EventType.parse(v["event"]["type"]).action.changes_content
            ),
            None,
        )
        answer = (
            Outcome(snap.record_id, made["version"], None, created=False, made_earlier=True)
            if made
            else None
        )
    return answer, head_from(versions)
