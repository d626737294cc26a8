"""XML-RPC structs (as `xmlrpc.client` decodes them) → `RemotePost` / `RemoteComment`.

Pure functions, so they are tested on recorded answers. Each field is taken where it equals
what the plugin's Event_Builder sends (wp-plugin/offentlig/src/class-event-builder.php):

- title, content_raw, guid, permalink (`link`), dates (`*_gmt`), parent, featured image
  (`post_thumbnail.link`, the full-size URL) and terms come from `wp.getPost(s)`;
- the rendered content and the automatic excerpt come from the REST API (`Rendered`), because
  XML-RPC only has the raw text and `the_content` filters run only inside WordPress;
- a comment's post title is the post's own title: XML-RPC's `post_title` there is the
  *displayed* one (texturized, "Protected: " prefixed), the plugin sends the stored one.
"""

from __future__ import annotations

import re
import xmlrpc.client
from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from service.errors import WordPressRefused
from service.records.model import Kind
from service.wordpress.port import (
    CommentAuthor,
    CommentStatus,
    PostAuthor,
    RemoteComment,
    RemotePost,
)

Struct = Mapping[str, Any]

# XML-RPC's comment statuses → the contract's (Event_Builder::comment_status).
_COMMENT_STATUSES: dict[str, CommentStatus] = {
    "approve": "approved",
    "hold": "hold",
    "spam": "spam",
    "trash": "trash",
    "post-trashed": "trash",
}
# The contract's → WordPress's, for the `status` filter of wp.getComments and of REST.
WP_COMMENT_STATUS: dict[CommentStatus, str] = {
    "approved": "approve",
    "hold": "hold",
    "spam": "spam",
    "trash": "trash",
}
# The comment types the plugin captures: real comments, not pingbacks or trackbacks.
_REAL_COMMENT_TYPES = frozenset({"", "comment"})
# PHP's trim() characters (str.strip() would also take Unicode spaces such as U+00A0).
_PHP_SPACE = " \t\n\r\0\x0b"
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)[^>]*?>.*?</\1>", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_TAG = re.compile(r"<(?=[a-zA-Z/!?])[^>]*>?")


@dataclass(frozen=True)
class Rendered:
    """A post's HTML as WordPress renders it for a visitor (REST `context=edit`)."""

    content: str  # content.rendered: `the_content` filters applied
    excerpt: str  # excerpt.rendered: `get_the_excerpt`, then `the_excerpt` filters


def utc(value: Any) -> datetime:
    """An XML-RPC date (`20260131T12:00:00`, UTC for the `*_gmt` fields) as an aware datetime."""
    if isinstance(value, xmlrpc.client.DateTime):
        value = value.value
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    try:
        return datetime.strptime(str(value), "%Y%m%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        raise WordPressRefused(f"WordPress sent an unreadable date: {value!r}") from None


def strip_all_tags(html: str) -> str:
    """WordPress's `wp_strip_all_tags`: script and style with their text, then every tag
    (PHP's `strip_tags`), then PHP's `trim`. Entities stay as they are, as in the plugin."""
    text = _SCRIPT_OR_STYLE.sub("", html)
    text = _TAG.sub("", _COMMENT.sub("", text))
    return text.strip(_PHP_SPACE)


def excerpt(raw: str, rendered: str) -> str:
    """The plugin's excerpt: `wp_strip_all_tags(get_the_excerpt($post))`.

    A written excerpt is `get_the_excerpt` unchanged, so it is the raw one; REST's rendered
    excerpt went on through `the_excerpt` (texturize: curly quotes), which the plugin's did not.
    An automatic one is made from the rendered content, the same in both; only REST has it.
    """
    return strip_all_tags(raw if raw.strip(_PHP_SPACE) else rendered)


def terms(structs: Any, public_taxonomies: Container[str]) -> dict[str, list[str]]:
    """Term names by taxonomy, public taxonomies only, in WordPress's order (by name)."""
    found: dict[str, list[str]] = {}
    for term in structs or ():
        taxonomy = str(term.get("taxonomy", ""))
        if taxonomy in public_taxonomies:
            found.setdefault(taxonomy, []).append(str(term.get("name", "")))
    return found


def remote_post(
    struct: Struct,
    *,
    rendered: Rendered,
    author_name: str,
    public_taxonomies: Container[str],
) -> RemotePost:
    """A `wp.getPost`/`wp.getPosts` struct (fields `post` and `terms`) as a `RemotePost`."""
    try:
        thumbnail = struct.get("post_thumbnail") or {}
        return RemotePost(
            kind=Kind.PAGE if struct["post_type"] == "page" else Kind.POST,
            id=int(struct["post_id"]),
            guid=str(struct["guid"]),
            title=str(struct["post_title"]),
            content=rendered.content.replace("]]>", "]]&gt;"),  # as `the_content()` does
            content_raw=str(struct["post_content"]),
            excerpt=excerpt(str(struct.get("post_excerpt") or ""), rendered.excerpt),
            permalink=str(struct["link"]),
            status=str(struct["post_status"]),
            author=PostAuthor(int(struct["post_author"]), author_name),
            published_at=utc(struct["post_date_gmt"]),
            modified_at=utc(struct["post_modified_gmt"]),
            parent=int(struct.get("post_parent") or 0),
            terms=terms(struct.get("terms"), public_taxonomies),
            featured_image=str(thumbnail["link"]) if thumbnail.get("link") else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise WordPressRefused(f"WordPress sent a post we cannot read: {exc!r}") from None


def is_real_comment(struct: Struct) -> bool:
    """A visitor's or user's comment, not a pingback or trackback (the plugin's rule)."""
    return str(struct.get("type") or "") in _REAL_COMMENT_TYPES


def remote_comment(struct: Struct, *, post_type: Kind, post_title: str) -> RemoteComment:
    """A `wp.getComment(s)` struct as a `RemoteComment`; `post_type`/`post_title` are the
    commented post's (type and stored title)."""
    try:
        status = _COMMENT_STATUSES.get(str(struct["status"]))
        if status is None:
            raise ValueError(f"unknown comment status {struct['status']!r}")
        return RemoteComment(
            id=int(struct["comment_id"]),
            post_id=int(struct["post_id"]),
            post_type=post_type,
            post_title=post_title,
            parent=int(struct.get("parent") or 0),
            content=str(struct["content"]),
            status=status,
            author=CommentAuthor(
                name=str(struct.get("author") or ""),
                url=str(struct.get("author_url") or ""),
                user_id=int(struct.get("user_id") or 0),
            ),
            date=utc(struct["date_created_gmt"]),
            permalink=str(struct["link"]),
            author_email=str(struct.get("author_email") or "") or None,
            author_ip=str(struct.get("author_ip") or "") or None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise WordPressRefused(f"WordPress sent a comment we cannot read: {exc!r}") from None
