"""A WordPress site in memory behind the port (`service.wordpress.port.WordPressSite`).

For tests of what backfill and reconciliation do with what they read. The XML-RPC adapter
itself is tested against a real WordPress (tests/e2e/)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from service.errors import WordPressCredentialsRefused, WordPressUnavailable
from service.records.model import Kind
from service.wordpress.port import (
    COMMENT_STATUSES,
    Account,
    CommentAuthor,
    CommentStatus,
    PostAuthor,
    RemoteComment,
    RemotePost,
    SiteCounts,
)
from service.wordpress.xmlrpc import paged

URL = "https://www.example.se"
USERNAME = "arkivet"
PASSWORD = "abcd efgh ijkl mnop qrst uvwx"  # noqa: S105 - a test value
DAY = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def remote_post(post_id: int, kind: Kind = Kind.POST, **changes: object) -> RemotePost:
    post = RemotePost(
        kind=kind,
        id=post_id,
        guid=f"{URL}/?p={post_id}",
        title=f"Nyhet {post_id}",
        content=f"<p>Kommunen informerar, nummer {post_id}.</p>",
        content_raw=f"Kommunen informerar, nummer {post_id}.",
        excerpt=f"Kommunen informerar, nummer {post_id}.",
        permalink=f"{URL}/nyhet-{post_id}/",
        status="publish",
        author=PostAuthor(2, "Anna Andersson"),
        published_at=DAY + timedelta(hours=post_id),
        modified_at=DAY + timedelta(hours=post_id, minutes=5),
        terms={"category": ["Nyheter"]} if kind is Kind.POST else {},
    )
    return replace(post, **changes)  # type: ignore[arg-type]


def remote_comment(
    comment_id: int, post: RemotePost, status: CommentStatus = "approved", **changes: object
) -> RemoteComment:
    comment = RemoteComment(
        id=comment_id,
        post_id=post.id,
        post_type=post.kind,
        post_title=post.title,
        parent=0,
        content=f"Fråga nummer {comment_id}.",
        status=status,
        author=CommentAuthor("Bertil Bengtsson", "", 0),
        date=DAY + timedelta(days=1, minutes=comment_id),
        permalink=f"{post.permalink}#comment-{comment_id}",
        author_email=f"besokare{comment_id}@example.se",
        author_ip="192.0.2.7",
    )
    return replace(comment, **changes)  # type: ignore[arg-type]


class FakeWordPress:
    """One site; `connect` is the `WordPressFactory` the services use."""

    def __init__(self, roles: tuple[str, ...] = ("editor",)):
        self.posts_by_id: dict[int, RemotePost] = {}
        self.comments_by_id: dict[int, RemoteComment] = {}
        self.account = Account(7, USERNAME, "Arkivet", roles)
        self.reachable = True
        self.pages_left: int | None = None  # listing pages to answer before going away
        self.password = ""

    def add(self, *objects: RemotePost | RemoteComment) -> None:
        for item in objects:
            if isinstance(item, RemotePost):
                self.posts_by_id[item.id] = item
            else:
                self.comments_by_id[item.id] = item

    def connect(self, url: str, username: str, password: str) -> FakeWordPress:
        if not self.reachable:
            raise WordPressUnavailable(f"WordPress unreachable for the connection: {url}")
        self.password = password if username == USERNAME else ""
        return self

    def who_am_i(self) -> Account:
        if self.password != PASSWORD:
            raise WordPressCredentialsRefused(
                "WordPress refused wp.getProfile: Incorrect username or password."
            )
        return self.account

    def posts(self, kind: Kind, *, page_size: int = 50, offset: int = 0) -> Iterator[RemotePost]:
        listed = sorted(
            (p for p in self.posts_by_id.values() if p.kind is kind and p.status == "publish"),
            key=lambda p: p.id,
        )
        return paged(self._pages(listed), lambda p: p.id, page_size, offset)

    def comments(
        self, on: Kind, status: CommentStatus, *, page_size: int = 100, offset: int = 0
    ) -> Iterator[RemoteComment]:
        listed = sorted(
            (c for c in self.comments_by_id.values() if c.post_type is on and c.status == status),
            key=lambda c: -c.id,
        )
        return paged(self._pages(listed), lambda c: c.id, page_size, offset)

    def _pages(self, listed: list[RemotePost] | list[RemoteComment]):  # type: ignore[no-untyped-def]
        def fetch(position: int, number: int):  # type: ignore[no-untyped-def]
            if self.pages_left is not None:
                if self.pages_left == 0:
                    raise WordPressUnavailable("WordPress went away")
                self.pages_left -= 1
            page = listed[position : position + number]
            return [item.id for item in page], page

        return fetch

    def post(self, kind: Kind, post_id: int) -> RemotePost | None:
        found = self.posts_by_id.get(post_id)
        return found if found is not None and found.kind is kind else None

    def comment(self, comment_id: int) -> RemoteComment | None:
        return self.comments_by_id.get(comment_id)

    def counts(self) -> SiteCounts:
        published = [p for p in self.posts_by_id.values() if p.status == "publish"]
        return SiteCounts(
            posts=sum(p.kind is Kind.POST for p in published),
            pages=sum(p.kind is Kind.PAGE for p in published),
            comments={
                s: sum(c.status == s for c in self.comments_by_id.values())
                for s in COMMENT_STATUSES
            },
        )

    def close(self) -> None:
        pass
