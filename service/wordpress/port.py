"""The WordPress port: what the archive reads from a site, in the words of the domain.

Backfill (every published post and page, every comment received) and reconciliation (the
site against the archive) read through this port; the plugin's webhooks are the other way in.
A `RemotePost` or `RemoteComment` carries what a webhook's `data` carries (docs/webhooks.md,
schemas/webhook.py), so `as_data()` goes through the same validation and the same
`capture.snapshot` as a live delivery and gives the same version content.

Read only, on purpose: the archive never changes the site it archives.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from service.records.model import Kind

# The contract's comment statuses (as the plugin sends them), in the order backfill reads them.
CommentStatus = Literal["approved", "hold", "spam", "trash"]
COMMENT_STATUSES: tuple[CommentStatus, ...] = ("approved", "hold", "spam", "trash")
# Kinds that are posts in WordPress (and can be commented on).
POST_KINDS = (Kind.POST, Kind.PAGE)


def webhook_time(moment: datetime) -> str:
    """A moment as the plugin writes it: `2026-01-31T12:00:00Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class PostAuthor:
    id: int
    name: str  # display name


@dataclass(frozen=True)
class CommentAuthor:
    name: str
    url: str
    user_id: int  # 0 for a visitor


@dataclass(frozen=True)
class RemotePost:
    """A published post or page as it is on the site now."""

    kind: Kind
    id: int
    guid: str
    title: str
    content: str  # rendered, as a visitor sees it (`the_content` filters)
    content_raw: str  # as the editor wrote it
    excerpt: str  # plain text
    permalink: str
    status: str
    author: PostAuthor
    published_at: datetime  # UTC
    modified_at: datetime  # UTC
    parent: int = 0
    terms: dict[str, list[str]] = field(default_factory=dict)  # public taxonomies only
    featured_image: str | None = None

    def as_data(self) -> dict[str, Any]:
        """The webhook `data` the plugin would send for this post now."""
        data: dict[str, Any] = {
            "id": self.id,
            "guid": self.guid,
            "title": self.title,
            "content": self.content,
            "content_raw": self.content_raw,
            "excerpt": self.excerpt,
            "permalink": self.permalink,
            "status": self.status,
            "author": {"id": self.author.id, "name": self.author.name},
            "published_at": webhook_time(self.published_at),
            "modified_at": webhook_time(self.modified_at),
            "parent": self.parent,
            "featured_image": self.featured_image,
        }
        if self.terms:
            data["terms"] = {taxonomy: list(names) for taxonomy, names in self.terms.items()}
        return data


@dataclass(frozen=True)
class RemoteComment:
    """A comment on a post or page, whatever its moderation status.

    Personal data is what the account may see: e-mail and IP over XML-RPC, never the user
    agent. Whether the archive keeps them is the caller's decision (DOMAIN.md rule 9).
    """

    id: int
    post_id: int
    post_type: Kind
    post_title: str  # the post's title as written, not as displayed
    parent: int
    content: str
    status: CommentStatus
    author: CommentAuthor
    date: datetime  # UTC
    permalink: str
    author_email: str | None = None
    author_ip: str | None = None
    author_user_agent: str | None = None

    def as_data(self) -> dict[str, Any]:
        """The webhook `data` the plugin would send (with every personal field it may)."""
        data: dict[str, Any] = {
            "id": self.id,
            "post_id": self.post_id,
            "post_type": str(self.post_type),
            "post_title": self.post_title,
            "parent": self.parent,
            "content": self.content,
            "status": self.status,
            "author": {
                "name": self.author.name,
                "url": self.author.url,
                "user_id": self.author.user_id,
            },
            "date": webhook_time(self.date),
            "permalink": self.permalink,
        }
        personal = {
            "author_email": self.author_email,
            "author_ip": self.author_ip,
            "author_user_agent": self.author_user_agent,
        }
        data.update({name: value for name, value in personal.items() if value})
        return data


@dataclass(frozen=True)
class Account:
    """Who the credentials log in as; backfill needs an Editor or Administrator."""

    user_id: int
    username: str
    display_name: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class SiteCounts:
    """What the site holds, for reconciliation and progress bars.

    Comments are real comments (no pingbacks) on every post type, so on a site with comments
    on other post types they exceed what `comments()` yields for posts and pages.
    """

    posts: int  # published
    pages: int  # published
    comments: dict[CommentStatus, int]  # by status: approved, hold, spam, trash


class WordPressSite(Protocol):
    """One WordPress site, read with an account's username and application password.

    Listings are paged (`page_size` objects a request) in a stable order and may be resumed at
    `offset`. Errors: `WordPressUnavailable` (unreachable, timeout, server error: retry later),
    `WordPressRefused` (credentials, capability, XML-RPC off, an unreadable answer).
    """

    def who_am_i(self) -> Account:
        """The account the credentials log in as; also the cheapest check that they work."""

    def posts(self, kind: Kind, *, page_size: int = 50, offset: int = 0) -> Iterator[RemotePost]:
        """Every published post (or page), oldest id first."""

    def post(self, kind: Kind, post_id: int) -> RemotePost | None:
        """One post or page in any status, or None if the site has no such one."""

    def comments(
        self, on: Kind, status: CommentStatus, *, page_size: int = 100, offset: int = 0
    ) -> Iterator[RemoteComment]:
        """Every real comment (no pingbacks or trackbacks) on posts of kind `on` with this
        moderation status, newest first, each once."""

    def comment(self, comment_id: int) -> RemoteComment | None:
        """One comment, or None if the site has none (or not one on a post or page)."""

    def counts(self) -> SiteCounts:
        """How many published posts and pages, and comments by status, the site has."""

    def close(self) -> None:
        """Release the connections."""
