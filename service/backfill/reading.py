"""Every listing of a site, and one object read from it captured as a webhook would be.

A `RemotePost`/`RemoteComment`'s `as_data()` is the webhook's `data`: it goes through the
same schema (`schemas.webhook`), the same `snapshot` and the same `Recorder` as a delivery,
so the version it makes is the one live capture makes of the same object."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import ValidationError

from schemas.webhook import data_schema, unstorable_strings
from service.capture.ports import Outcome, Site
from service.capture.provenance import Provenance, Via
from service.capture.recorder import Recorder
from service.capture.snapshot import snapshot
from service.errors import InvalidInput
from service.records.model import Action, EventType, Kind, record_id
from service.sites.account import PERSONAL_FIELDS
from service.wordpress.port import (
    COMMENT_STATUSES,
    POST_KINDS,
    CommentStatus,
    RemoteComment,
    RemotePost,
    WordPressSite,
)

Remote = RemotePost | RemoteComment


@dataclass(frozen=True)
class Listing:
    """One paged listing of the site: its published posts, its published pages, or the
    comments on posts (or pages) in one moderation status."""

    name: str  # "post", "page", "comment.page.hold": the key of its checkpoint
    kind: Kind  # what it lists
    on: Kind = Kind.POST  # comments: the kind of post they are on
    status: CommentStatus = "approved"  # comments: their moderation status

    def read(self, site: WordPressSite, offset: int, page_size: int) -> Iterator[Remote]:
        if self.kind is Kind.COMMENT:
            return site.comments(self.on, self.status, page_size=page_size, offset=offset)
        return site.posts(self.kind, page_size=page_size, offset=offset)


LISTINGS: tuple[Listing, ...] = (
    Listing("post", Kind.POST),
    Listing("page", Kind.PAGE),
    *(
        Listing(f"comment.{on}.{status}", Kind.COMMENT, on, status)
        for on in POST_KINDS
        for status in COMMENT_STATUSES
    ),
)


def kind_of(remote: Remote) -> Kind:
    return remote.kind if isinstance(remote, RemotePost) else Kind.COMMENT


def record_of(site_id: str, remote: Remote) -> str:
    return record_id(site_id, kind_of(remote), remote.id)


def occurred_at(remote: Remote) -> datetime:
    """WordPress's own time of the content: a post's last modification, a comment's date
    (WordPress keeps no modification time for comments)."""
    return remote.modified_at if isinstance(remote, RemotePost) else remote.date


def keep_personal(data: dict[str, Any], personal_data: tuple[str, ...]) -> dict[str, Any]:
    """A comment's `data` with only the personal fields the site's plugin sends."""
    dropped = {name for key, name in PERSONAL_FIELDS.items() if key not in personal_data}
    return {key: value for key, value in data.items() if key not in dropped}


def capture(
    recorder: Recorder,
    site: Site,
    via: Via,
    run_id: str,
    remote: Remote,
    personal_data: tuple[str, ...],
) -> Outcome:
    """Capture one object as read from the site: `{kind}.backfilled` or `{kind}.reconciled`,
    keyed `{run}.{record}`, so a rerun of the run finds its earlier answer.

    `InvalidInput` (naming the fields) where the webhook schema would refuse the data."""
    kind = kind_of(remote)
    data = remote.as_data()
    if kind is Kind.COMMENT:
        data = keep_personal(data, personal_data)
    problems = unstorable_strings(data)
    try:
        if problems:
            raise ValidationError(problems)
        loaded = data_schema(kind).load(data)
    except ValidationError as exc:
        raise InvalidInput(
            f"{record_of(site.id, remote)} cannot be stored as WordPress sent it.",
            errors={"data": exc.messages},
        ) from None
    action = Action.BACKFILLED if via is Via.BACKFILL else Action.RECONCILED
    snap = snapshot(site.id, EventType(kind, action), loaded)
    provenance = Provenance(via, f"{run_id}.{snap.record_id}")
    return recorder.record(site, provenance, occurred_at(remote), snap)
