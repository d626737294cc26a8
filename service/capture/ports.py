"""What capture needs from the index and from the site registry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    url: str


@dataclass(frozen=True)
class Head:
    """The latest version of a record, as far as capture needs it."""

    version: int
    sha256: str
    content_sha256: str
    personal_sha256: str | None
    # The latest WordPress time of any of its versions: a delivery from before it may be a
    # late copy of content already kept (deliveries arrive in any order).
    newest_occurred_at: datetime | None = None


@dataclass(frozen=True)
class Outcome:
    """What a delivery came to; `created` decides 201 or 200."""

    record_id: str
    version: int
    event_id: str | None
    created: bool
    # A repeated delivery whose earlier attempt made this version or event (not a 201 again,
    # but a resumed backfill or reconciliation counts it as what that attempt found).
    made_earlier: bool = False


class CaptureIndex(Protocol):
    def recall(
        self, site_id: str, webhook_id: str, record_id: str
    ) -> tuple[Outcome | None, Head | None]:
        """In one read: the answer already given to this delivery, and the record's head."""
        ...

    def add_version(self, document: dict[str, Any], key: str) -> None: ...

    def add_event(self, document: dict[str, Any], key: str) -> None: ...

    def add_delivery(self, site_id: str, webhook_id: str, outcome: Outcome) -> None: ...
