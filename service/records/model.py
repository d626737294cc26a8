"""Records, versions and events: the words of the domain, as types."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Kind(enum.StrEnum):
    """The kinds of records: a closed set. What differs between kinds is in `KIND_RULES`."""

    POST = "post"
    PAGE = "page"
    COMMENT = "comment"

    @property
    def rules(self) -> KindRules:
        return KIND_RULES[self]

    @property
    def origin(self) -> Origin:
        return self.rules.origin

    @property
    def folder(self) -> str:
        """The key segment under `sites/{site}/` that holds this kind's records."""
        return self.rules.folder

    @classmethod
    def from_folder(cls, folder: str) -> Kind | None:
        return next((kind for kind in cls if kind.folder == folder), None)


class Origin(enum.StrEnum):
    DRAWN_UP = "drawn_up"  # upprättad handling
    RECEIVED = "received"  # inkommen handling


class Action(enum.StrEnum):
    """What happened; the second half of an event type such as `post.trashed`. Most are
    what WordPress reports in a webhook; the archive's own capture paths add a few
    (`ARCHIVE_ACTIONS`), which no webhook may claim."""

    PUBLISHED = "published"
    UPDATED = "updated"
    UNPUBLISHED = "unpublished"
    TRASHED = "trashed"
    RESTORED = "restored"
    DELETED = "deleted"
    RECEIVED = "received"
    EDITED = "edited"
    APPROVED = "approved"
    UNAPPROVED = "unapproved"
    SPAM = "spam"
    BACKFILLED = "backfilled"  # read from the site: content from before live capture
    RECONCILED = "reconciled"  # read from the site: a change no webhook reported
    GONE = "gone"  # no longer on the site, though no webhook said it was deleted

    @property
    def changes_content(self) -> bool:
        """Content actions make versions; the others are status events on the record."""
        return self in _CONTENT_ACTIONS


_CONTENT_ACTIONS = frozenset(
    {
        Action.PUBLISHED,
        Action.UPDATED,
        Action.RECEIVED,
        Action.EDITED,
        Action.BACKFILLED,
        Action.RECONCILED,
    }
)
# Every kind has these; they come from backfill and reconciliation, never from a webhook.
ARCHIVE_ACTIONS = frozenset({Action.BACKFILLED, Action.RECONCILED, Action.GONE})
POST_ACTIONS = frozenset(
    {
        Action.PUBLISHED,
        Action.UPDATED,
        Action.UNPUBLISHED,
        Action.TRASHED,
        Action.RESTORED,
        Action.DELETED,
    }
)
COMMENT_ACTIONS = frozenset(
    {
        Action.RECEIVED,
        Action.APPROVED,
        Action.UNAPPROVED,
        Action.SPAM,
        Action.TRASHED,
        Action.RESTORED,
        Action.EDITED,
        Action.DELETED,
    }
)


@dataclass(frozen=True)
class KindRules:
    """Everything that differs between kinds of records, in one place."""

    folder: str
    origin: Origin
    actions: frozenset[Action]  # what a webhook may report about this kind
    # Whether a delivery in any state is a document (a comment is received the moment it
    # arrives, held for moderation or not); else only published content is.
    received_in_any_state: bool


# Posts and pages are drawn up by the authority (upprättade); comments are received (inkomna).
KIND_RULES: dict[Kind, KindRules] = {
    Kind.POST: KindRules("posts", Origin.DRAWN_UP, POST_ACTIONS, received_in_any_state=False),
    Kind.PAGE: KindRules("pages", Origin.DRAWN_UP, POST_ACTIONS, received_in_any_state=False),
    Kind.COMMENT: KindRules(
        "comments", Origin.RECEIVED, COMMENT_ACTIONS, received_in_any_state=True
    ),
}
KIND_NAMES = [str(kind) for kind in Kind]
PING = "offentlig.ping"
DELETED_STATUS = "deleted"
GONE_STATUS = "gone"


@dataclass(frozen=True)
class EventType:
    kind: Kind
    action: Action

    def __str__(self) -> str:
        return f"{self.kind}.{self.action}"

    @classmethod
    def parse(cls, value: str) -> EventType:
        """Any event type the archive keeps: a webhook's or one of `ARCHIVE_ACTIONS`."""
        kind_name, _, action_name = value.partition(".")
        try:
            kind, action = Kind(kind_name), Action(action_name)
        except ValueError:
            raise ValueError(f"unknown event type {value!r}") from None
        if action not in kind.rules.actions | ARCHIVE_ACTIONS:
            raise ValueError(f"unknown event type {value!r}")
        return cls(kind, action)


def all_event_types() -> list[str]:
    """The event types a webhook may carry (none of `ARCHIVE_ACTIONS`), and the ping."""
    types = [str(EventType(kind, action)) for kind in Kind for action in kind.rules.actions]
    return sorted(types) + [PING]


# The form `record_id` writes: ASCII digits, no leading zero, so each record has one id.
_SOURCE_ID = re.compile(r"[1-9][0-9]*")


def record_id(site_id: str, kind: Kind, source_id: int) -> str:
    return f"{site_id}.{kind}.{source_id}"


def parse_record_id(value: str) -> tuple[str, Kind, int]:
    """`{site_id}.{kind}.{source_id}` → its parts; `ValueError` if it is not one."""
    site_id, kind_name, source = value.rsplit(".", 2) if value.count(".") >= 2 else ("", "", "")
    if not site_id or not _SOURCE_ID.fullmatch(source):
        raise ValueError(f"not a record id: {value!r}")
    return site_id, Kind(kind_name), int(source)
