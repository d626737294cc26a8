"""What WordPress sent, turned into the content of a record version."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from service.records.canonical import canonical, sha256_hex
from service.records.model import DELETED_STATUS, Action, EventType, Kind, record_id


def iso(moment: datetime) -> str:
    """UTC, ISO 8601, `Z`, microseconds only when there are any."""
    text = moment.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


@dataclass(frozen=True)
class PersonalData:
    """A commenter's e-mail, IP and user agent: kept apart from the version."""

    email: str | None
    ip: str | None
    user_agent: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {"email": self.email, "ip": self.ip, "user_agent": self.user_agent}

    def __bool__(self) -> bool:
        return any(self.as_dict().values())


@dataclass(frozen=True)
class Snapshot:
    """One WordPress object at one moment, as a delivery describes it."""

    site_id: str
    event_type: EventType
    source_id: int
    status: str
    previous_status: str | None
    content: dict[str, Any]
    personal: PersonalData

    @property
    def kind(self) -> Kind:
        return self.event_type.kind

    @property
    def record_id(self) -> str:
        return record_id(self.site_id, self.kind, self.source_id)

    @property
    def content_is_a_document(self) -> bool:
        """Whether the content this delivery carries may become a version.

        Published posts and pages are documents, drafts are working material: an unpublished,
        trashed or deleted post's content becomes a version only if nothing of it was ever
        captured (a post from before the plugin). A comment is received whatever its state.
        A record gone from the site brings no content at all: its last version stays.
        """
        action = self.event_type.action
        if action is Action.GONE:
            return False
        return action.changes_content or self.kind.rules.received_in_any_state

    def content_sha256(self, personal_sha256: str | None) -> str:
        """Identity of the content: equal hashes mean an unchanged re-send."""
        return sha256_hex(canonical({**self.content, "personal_data": personal_sha256}))


def snapshot(site_id: str, event_type: EventType, data: dict[str, Any]) -> Snapshot:
    builder = CONTENT_BUILDERS[event_type.kind]
    status = DELETED_STATUS if event_type.action is Action.DELETED else data["status"]
    personal = PersonalData(
        data.get("author_email") or None,
        data.get("author_ip") or None,
        data.get("author_user_agent") or None,
    )
    return Snapshot(
        site_id=site_id,
        event_type=event_type,
        source_id=data["id"],
        status=status,
        previous_status=data.get("previous_status"),
        content=builder(site_id, data),
        personal=personal,
    )


def _post_content(site_id: str, data: dict[str, Any]) -> dict[str, Any]:
    parent = data.get("parent") or 0
    return {
        "title": data["title"],
        "content": data["content"],
        "content_raw": data["content_raw"],
        "excerpt": data.get("excerpt") or "",
        "permalink": data["permalink"],
        "guid": data["guid"],
        "author": {"id": data["author"].get("id"), "name": data["author"]["name"]},
        "published_at": iso(data["published_at"]),
        "parent": record_id(site_id, Kind.PAGE, parent) if parent else None,
        "in_reply_to": None,
        "terms": {k: sorted(v) for k, v in sorted(data.get("terms", {}).items())},
        "featured_image": data.get("featured_image"),
    }


def _comment_content(site_id: str, data: dict[str, Any]) -> dict[str, Any]:
    parent = data.get("parent") or 0
    post_title = data.get("post_title")
    return {
        # A register entry says briefly what a document concerns (OSL 5:2).
        "title": f"Re: {post_title}" if post_title else "",
        "content": data["content"],
        "content_raw": data["content"],
        "excerpt": "",
        "permalink": data.get("permalink"),
        "guid": None,
        "author": {
            "name": data["author"]["name"],
            "url": data["author"].get("url") or None,
            "user_id": data["author"].get("user_id") or 0,
        },
        "published_at": iso(data["date"]),
        "parent": record_id(site_id, Kind(data["post_type"]), data["post_id"]),
        "in_reply_to": record_id(site_id, Kind.COMMENT, parent) if parent else None,
        "terms": {},
        "featured_image": None,
    }


# How WordPress's data for each kind becomes a version's content.
CONTENT_BUILDERS: dict[Kind, Callable[[str, dict[str, Any]], dict[str, Any]]] = {
    Kind.POST: _post_content,
    Kind.PAGE: _post_content,
    Kind.COMMENT: _comment_content,
}
