"""The WordPress port over XML-RPC (python-wordpress-xmlrpc), with REST for rendered HTML.

python-wordpress-xmlrpc 2.3 (2014) still names `collections.Iterable`, which Python 3.10
removed: every call whose answer is a list *and* is turned into the library's objects
(wp.getAuthors, wp.getTaxonomies, wp.getPosts with its default result class, …) fails with
AttributeError. The one-line shim below puts the name back before the library is imported;
this is the only place that does it, so import the library's `Client` through `connect()`.
"""

from __future__ import annotations

import collections
import collections.abc
import contextlib
import http.client
import xml.parsers.expat
import xmlrpc.client
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from cachetools import LRUCache

if not hasattr(collections, "Iterable"):  # the shim: see the module docstring
    collections.Iterable = collections.abc.Iterable  # type: ignore[attr-defined]

from wordpress_xmlrpc import Client  # noqa: E402
from wordpress_xmlrpc.base import XmlrpcMethod  # noqa: E402
from wordpress_xmlrpc.exceptions import (  # noqa: E402
    InvalidCredentialsError,
    ServerConnectionError,
    UnsupportedXmlrpcMethodError,
    XmlrpcDisabledError,
)
from wordpress_xmlrpc.methods import comments, posts, taxonomies, users  # noqa: E402

from service.errors import (  # noqa: E402
    WordPressCredentialsRefused,
    WordPressRefused,
    WordPressUnavailable,
)
from service.records.model import Kind  # noqa: E402
from service.wordpress import mapping  # noqa: E402
from service.wordpress.port import (  # noqa: E402
    COMMENT_STATUSES,
    Account,
    CommentStatus,
    RemoteComment,
    RemotePost,
    SiteCounts,
)
from service.wordpress.rest import MAX_PER_PAGE, RestReader  # noqa: E402

T = TypeVar("T")
DEFAULT_TIMEOUT = 30.0
_POST_FIELDS = ["post", "terms"]
_NOT_FOUND = 404  # XML-RPC fault code for "Invalid post ID." / "Invalid comment ID."


class _Transport(xmlrpc.client.Transport):
    """xmlrpc.client's transport waits for ever; this one gives up after `timeout` seconds."""

    timeout = DEFAULT_TIMEOUT

    def make_connection(self, host: Any) -> Any:  # HTTP(S)Connection
        connection = super().make_connection(host)
        connection.timeout = self.timeout
        return connection


class _SafeTransport(_Transport, xmlrpc.client.SafeTransport):
    """The same for https."""


@contextmanager
def errors_mapped(what: str) -> Iterator[None]:
    """Turn the library's, xmlrpc.client's and the network's errors into ours."""
    try:
        yield
    except InvalidCredentialsError as exc:
        raise WordPressCredentialsRefused(f"WordPress refused {what}: {exc}") from None
    except (XmlrpcDisabledError, UnsupportedXmlrpcMethodError) as exc:
        raise WordPressRefused(f"WordPress refused {what}: {exc}") from None
    except ServerConnectionError as exc:
        # The library wraps the ProtocolError of its first request; judge by its status.
        raise _protocol_error(exc.__context__, what) from None
    except xmlrpc.client.ProtocolError as exc:
        raise _protocol_error(exc, what) from None
    except xmlrpc.client.Fault as exc:
        message = f"WordPress refused {what} ({exc.faultCode}): {exc.faultString}"
        raise WordPressRefused(message) from None
    except (OSError, http.client.HTTPException) as exc:
        raise WordPressUnavailable(f"WordPress unreachable for {what}: {exc!r}") from None
    except (xml.parsers.expat.ExpatError, xmlrpc.client.ResponseError) as exc:
        raise WordPressRefused(f"WordPress sent no XML-RPC answer to {what}: {exc}") from None


def _protocol_error(exc: BaseException | None, what: str) -> Exception:
    status = exc.errcode if isinstance(exc, xmlrpc.client.ProtocolError) else 0
    if status >= 500 or status in (0, 429):
        return WordPressUnavailable(f"WordPress XML-RPC answered {status or 'nothing'}: {what}.")
    return WordPressRefused(f"WordPress XML-RPC answered {status} to {what} (is it blocked?).")


def open_client(
    url: str, username: str, password: str, *, timeout: float = DEFAULT_TIMEOUT
) -> Client:
    """A python-wordpress-xmlrpc client for the site at `url` (its /xmlrpc.php), with a
    timeout; the constructor already asks the site which methods it has."""
    transport = _SafeTransport() if url.startswith("https:") else _Transport()
    transport.timeout = timeout
    with errors_mapped("the connection"):
        return Client(url.rstrip("/") + "/xmlrpc.php", username, password, transport=transport)


@contextmanager
def connect(
    url: str, username: str, password: str, *, timeout: float = DEFAULT_TIMEOUT
) -> Iterator[Client]:
    """`open_client`, closing its keep-alive connection after."""
    client = open_client(url, username, password, timeout=timeout)
    try:
        yield client
    finally:
        client.server("close")()


class XmlRpcSite:
    """`WordPressSite` for one site and one account (username + application password)."""

    def __init__(self, url: str, username: str, password: str, *, timeout: float = DEFAULT_TIMEOUT):
        self._client = open_client(url, username, password, timeout=timeout)
        self._rest = RestReader(url, username, password, timeout=timeout)
        self._authors: dict[int, str] | None = None
        self._public_taxonomies: frozenset[str] | None = None
        # Commented posts' (type, stored title), for comments listed post by post's neighbours.
        self._commented: LRUCache[int, tuple[str, str] | None] = LRUCache(maxsize=4096)

    def who_am_i(self) -> Account:
        profile = self._call(users.GetProfile(results_class=None), "wp.getProfile")
        return Account(
            user_id=int(profile["user_id"]),
            username=str(profile.get("username", "")),
            display_name=str(profile.get("display_name", "")),
            roles=tuple(str(role) for role in profile.get("roles", ())),
        )

    def posts(self, kind: Kind, *, page_size: int = 50, offset: int = 0) -> Iterator[RemotePost]:
        _check_page_size(page_size, MAX_PER_PAGE)

        def fetch(position: int, number: int) -> tuple[list[int], list[RemotePost]]:
            query = {
                "post_type": str(kind),
                "post_status": "publish",
                "number": number,
                "offset": position,
                "orderby": "ID",
                "order": "ASC",
            }
            structs = self._call(
                posts.GetPosts(query, _POST_FIELDS, results_class=None), "wp.getPosts"
            )
            listed = [int(struct["post_id"]) for struct in structs]
            rendered = self._rest.rendered(kind, listed)
            # A post unpublished between the two requests is not in `rendered`: skip it.
            found = [self._post(struct, rendered[post_id])
                     for post_id, struct in zip(listed, structs, strict=True)
                     if post_id in rendered]  # fmt: skip
            return listed, found

        return paged(fetch, lambda post: post.id, page_size, offset)

    def post(self, kind: Kind, post_id: int) -> RemotePost | None:
        struct = self._call_optional(
            posts.GetPost(post_id, _POST_FIELDS, results_class=None), "wp.getPost"
        )
        if struct is None or struct.get("post_type") != str(kind):
            return None
        rendered = self._rest.rendered_one(kind, post_id)
        return self._post(struct, rendered) if rendered is not None else None

    def comments(
        self, on: Kind, status: CommentStatus, *, page_size: int = 100, offset: int = 0
    ) -> Iterator[RemoteComment]:
        _check_page_size(page_size, 1000)

        def fetch(position: int, number: int) -> tuple[list[int], list[RemoteComment]]:
            query = {
                "post_type": str(on),
                "status": mapping.WP_COMMENT_STATUS[status],
                "number": number,
                "offset": position,
            }
            structs = self._call(comments.GetComments(query, results_class=None), "wp.getComments")
            found = [self._comment(s) for s in structs if mapping.is_real_comment(s)]
            listed = [int(struct["comment_id"]) for struct in structs]
            return listed, [comment for comment in found if comment is not None]

        return paged(fetch, lambda comment: comment.id, page_size, offset)

    def comment(self, comment_id: int) -> RemoteComment | None:
        struct = self._call_optional(
            comments.GetComment(comment_id, results_class=None), "wp.getComment"
        )
        if struct is None or not mapping.is_real_comment(struct):
            return None
        return self._comment(struct)

    def counts(self) -> SiteCounts:
        # XML-RPC's wp.getCommentCount counts one post's comments only: REST counts them all.
        return SiteCounts(
            posts=self._rest.total(Kind.POST),
            pages=self._rest.total(Kind.PAGE),
            comments={
                status: self._rest.comment_total(mapping.WP_COMMENT_STATUS[status])
                for status in COMMENT_STATUSES
            },
        )

    def close(self) -> None:
        self._rest.close()
        with contextlib.suppress(OSError, http.client.HTTPException):  # already gone: fine
            self._client.server("close")()

    def _post(self, struct: mapping.Struct, rendered: mapping.Rendered) -> RemotePost:
        return mapping.remote_post(
            struct,
            rendered=rendered,
            author_name=self._author_name(int(struct.get("post_author") or 0)),
            public_taxonomies=self._taxonomies(),
        )

    def _comment(self, struct: mapping.Struct) -> RemoteComment | None:
        """None for a comment on anything but a post or page (the plugin keeps none of those)."""
        post_id = int(struct.get("post_id") or 0)
        if post_id not in self._commented:
            found = self._call_optional(
                posts.GetPost(post_id, ["post_type", "post_title"], results_class=None),
                "wp.getPost",
            )
            self._commented[post_id] = (
                (str(found["post_type"]), str(found["post_title"])) if found else None
            )
        commented = self._commented[post_id]
        if commented is None or commented[0] not in (Kind.POST, Kind.PAGE):
            return None
        return mapping.remote_comment(struct, post_type=Kind(commented[0]), post_title=commented[1])

    def _author_name(self, user_id: int) -> str:
        """Display names from wp.getAuthors (one call); a user no longer listed there (no
        longer an author) from the REST API; "" as the plugin sends for a missing user."""
        if self._authors is None:
            authors = self._call(users.GetAuthors(), "wp.getAuthors") or []
            self._authors = {int(a.id): str(a.display_name) for a in authors}
        if user_id not in self._authors:
            self._authors[user_id] = self._rest.user_name(user_id) or ""
        return self._authors[user_id]

    def _taxonomies(self) -> frozenset[str]:
        """Public taxonomies: wp.getTaxonomies lists exactly those by default."""
        if self._public_taxonomies is None:
            found = self._call(taxonomies.GetTaxonomies(), "wp.getTaxonomies") or []
            self._public_taxonomies = frozenset(str(t.name) for t in found if t.public)
        return self._public_taxonomies

    def _call(self, method: XmlrpcMethod, what: str) -> Any:
        with errors_mapped(what):
            return self._client.call(method)

    def _call_optional(self, method: XmlrpcMethod, what: str) -> Any:
        """`_call`, but None where WordPress says there is no such object."""
        with errors_mapped(what):
            try:
                return self._client.call(method)
            except xmlrpc.client.Fault as exc:
                if exc.faultCode == _NOT_FOUND:
                    return None
                raise


# A listing seen this many times more, in a row, as the offset moved: the offset is ignored.
_SAME_PAGE_LIMIT = 2


def paged(
    fetch: Callable[[int, int], tuple[list[int], list[T]]],
    key: Callable[[T], int],
    page_size: int,
    offset: int,
) -> Iterator[T]:
    """Offset paging over a list that may change while it is read.

    `fetch(offset, number)` gives the ids the site listed and the objects kept of them. Pages
    overlap by a tenth, so an object that moves back a little (one before it deleted) is not
    missed; an id listed before is not yielded again. A short page is the last. A full page of
    ids all listed before happens on a live site (comments come newest first, and new ones push
    the rest on), so reading goes on; the same listing `_SAME_PAGE_LIMIT` times in a row
    while the offset moves means the site ignores `offset`, and reading on would never end.
    """
    listed_before: set[int] = set()
    overlap = page_size // 10
    position = offset
    previous: list[int] = []
    repeats = 0
    while True:
        listed, page = fetch(position, page_size)
        repeats = repeats + 1 if listed == previous and len(listed) >= page_size else 0
        if repeats >= _SAME_PAGE_LIMIT:
            raise WordPressRefused("WordPress repeats the same page: paging does not advance.")
        previous = listed
        new = set(listed) - listed_before
        listed_before |= new
        yield from (item for item in page if key(item) in new)
        if len(listed) < page_size:
            return
        position += page_size - overlap


def _check_page_size(page_size: int, largest: int) -> None:
    if not 1 <= page_size <= largest:
        raise ValueError(f"page_size must be 1 to {largest}")
