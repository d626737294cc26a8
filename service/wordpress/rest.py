"""The few things XML-RPC cannot tell, read from the WordPress REST API instead.

XML-RPC gives a post's content only as written (`post_content`); the webhook's `content` is
the HTML after WordPress's `the_content` filters (blocks, shortcodes, embeds, wpautop…), and
only WordPress can run those. The REST API runs them for `content.rendered`, setting up the
post the way the plugin does. `context=edit` (the account needs `edit_posts`, as XML-RPC
does anyway) renders password-protected posts too, as the plugin does, where `context=view`
would give "". The same application password works for both APIs (WordPress ≥ 5.6).

Routes go through `?rest_route=`, which works with or without pretty permalinks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import urllib3

from service.errors import WordPressRefused, WordPressUnavailable
from service.records.model import Kind
from service.wordpress.mapping import Rendered

_ROUTES = {Kind.POST: "/wp/v2/posts", Kind.PAGE: "/wp/v2/pages"}
MAX_PER_PAGE = 100  # the REST API's own limit for per_page


class RestReader:
    """Rendered content, totals and a user's display name, over HTTP Basic auth with an
    application password. Credentials go only into the Authorization header."""

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        *,
        timeout: float,
        pool: urllib3.PoolManager | None = None,
    ):
        self._url = url.rstrip("/") + "/"
        self._headers = urllib3.make_headers(basic_auth=f"{username}:{password}")
        self._headers["Accept"] = "application/json"
        self._timeout = urllib3.Timeout(connect=min(timeout, 10.0), read=timeout)
        self._pool = pool or urllib3.PoolManager(
            retries=urllib3.Retry(total=2, connect=2, read=0, status=0, other=0, redirect=3)
        )

    def rendered(self, kind: Kind, ids: Sequence[int]) -> dict[int, Rendered]:
        """Rendered content and excerpt of published posts by id (one request); a post that
        is not (or no longer) published is missing from the answer."""
        if not ids:
            return {}
        if len(ids) > MAX_PER_PAGE:
            raise ValueError(f"at most {MAX_PER_PAGE} posts a request")
        answer, _ = self._get(
            _ROUTES[kind],
            include=",".join(str(n) for n in ids),
            per_page=str(len(ids)),
            context="edit",
            _fields="id,content,excerpt",
        )
        return {int(item["id"]): _rendered(item) for item in _items(answer)}

    def rendered_one(self, kind: Kind, post_id: int) -> Rendered | None:
        """One post's rendered content in any status the account may edit; None if absent."""
        found = self._get_optional(
            f"{_ROUTES[kind]}/{int(post_id)}", context="edit", _fields="id,content,excerpt"
        )
        return _rendered(found) if found is not None else None

    def total(self, kind: Kind) -> int:
        """How many published posts (or pages) the site has."""
        return self._total(_ROUTES[kind])

    def comment_total(self, status: str) -> int:
        """How many real comments (type `comment`, on any post type) have this status
        (REST's vocabulary: approve, hold, spam, trash)."""
        return self._total("/wp/v2/comments", status=status, context="edit")

    def _total(self, route: str, **params: str) -> int:
        _, headers = self._get(route, per_page="1", _fields="id", **params)
        try:
            return int(headers.get("X-WP-Total", ""))
        except ValueError:
            raise WordPressRefused("WordPress sent no X-WP-Total for a listing.") from None

    def user_name(self, user_id: int) -> str | None:
        """A user's display name as visitors see it, or None if the API will not say."""
        found = self._get_optional(f"/wp/v2/users/{int(user_id)}", _fields="id,name")
        return str(found["name"]) if found and "name" in found else None

    def close(self) -> None:
        self._pool.clear()

    def _get_optional(self, route: str, **params: str) -> Any:
        try:
            return self._get(route, **params)[0]
        except _Missing:
            return None

    def _get(self, route: str, **params: str) -> tuple[Any, urllib3.HTTPHeaderDict]:
        try:
            response = self._pool.request(
                "GET",
                self._url,
                fields={"rest_route": route, **params},
                headers=self._headers,
                timeout=self._timeout,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise WordPressUnavailable(f"WordPress REST API unreachable: {exc}") from None
        body = response.data
        if response.status >= 500 or response.status == 429:
            raise WordPressUnavailable(f"WordPress REST API answered {response.status}.")
        try:
            answer = json.loads(body)
        except ValueError:
            raise WordPressRefused(
                f"WordPress REST API answered {response.status} without JSON (is it disabled?)."
            ) from None
        if response.status == 404 or (
            response.status in (401, 403) and _code(answer) == "rest_user_cannot_view"
        ):
            raise _Missing()
        if response.status >= 400:
            raise WordPressRefused(
                f"WordPress REST API refused {route} ({response.status} {_code(answer)}): "
                f"{_message(answer)}"
            )
        return answer, response.headers


class _Missing(Exception):
    """The object is not there (or not visible to the account)."""


def _items(answer: Any) -> list[dict[str, Any]]:
    if not isinstance(answer, list):
        raise WordPressRefused("WordPress REST API sent no list where one was expected.")
    return answer


def _rendered(item: Any) -> Rendered:
    try:
        return Rendered(
            content=str(item["content"]["rendered"]), excerpt=str(item["excerpt"]["rendered"])
        )
    except (KeyError, TypeError):
        raise WordPressRefused("WordPress REST API sent a post without rendered content.") from None


def _code(answer: Any) -> str:
    return str(answer.get("code", "")) if isinstance(answer, dict) else ""


def _message(answer: Any) -> str:
    return str(answer.get("message", ""))[:300] if isinstance(answer, dict) else ""
