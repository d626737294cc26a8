"""A post's and a comment's whole life on a real WordPress ends up, complete, in the archive.

XML-RPC (python-wordpress-xmlrpc) drives the editor side and wp-comments-post.php the visitor side,
exactly as people do; the archive is read back through the service's API.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from wordpress_xmlrpc import Client, WordPressPost
from wordpress_xmlrpc.methods import comments, posts

from tests.e2e.conftest import Site, wait_until
from tests.e2e.visitors import post_comment

pytestmark = pytest.mark.e2e


def visitor_comment(site: Site, post_id: int, text: str, email: str, parent: int = 0) -> int:
    """A visitor's comment (or reply to comment `parent`) through the public form; its id."""
    return post_comment(
        site.wp.url,
        post_id,
        text,
        email,
        author="Anna Andersson",
        url="https://anna.example.se",
        parent=parent,
        agent="Mozilla/5.0 (e2e visitor)",
    )


def event_types(record: dict[str, Any]) -> list[str]:
    return [event["type"] for event in record["events"]]


def test_post_and_comment_lifecycle_is_archived(
    site: Site, xmlrpc: Callable[[Site], Client]
) -> None:
    archive = site.archive
    client = xmlrpc(site)

    # Publish, then edit twice.
    post = WordPressPost()
    post.title = "Kommunfullmäktige sammanträder"
    post.content = "<p>Mötet börjar klockan 18.</p>"
    post.post_status = "publish"
    post.comment_status = "open"
    post.terms_names = {"category": ["Nyheter"], "post_tag": ["fullmäktige"]}
    started = time.monotonic()
    post_id = int(client.call(posts.NewPost(post)))
    publish_seconds = time.monotonic() - started

    first = wait_until(
        lambda: archive.record("post", post_id), what="post.published in the archive"
    )
    assert first["origin"] == "drawn_up"
    assert first["title"] == "Kommunfullmäktige sammanträder"
    assert first["latest_version"] == 1

    for text in ("<p>Mötet börjar klockan 19.</p>", "<p>Mötet är inställt.</p>"):
        post.content = text
        assert client.call(posts.EditPost(post_id, post)) is True
    wait_until(
        lambda: (archive.record("post", post_id) or {}).get("latest_version") == 3,
        what="two edits as versions 2 and 3",
    )

    # A visitor comments (held for moderation: first-time commenter).
    comment_id = visitor_comment(site, post_id, "Varför är mötet inställt?", "anna@example.se")
    received = wait_until(lambda: archive.record("comment", comment_id), what="comment.received")
    assert received["origin"] == "received"
    assert received["status"] == "hold"
    assert received["latest_version"] == 1

    # Approve; then edit the text.
    comment = client.call(comments.GetComment(comment_id))
    comment.status = "approve"
    assert client.call(comments.EditComment(comment_id, comment)) is True
    wait_until(
        lambda: (
            "comment.approved"
            in event_types(archive.record("comment", comment_id) or {"events": []})
        ),
        what="comment.approved",
    )
    comment.content = "Varför är mötet inställt? (rättad)"
    assert client.call(comments.EditComment(comment_id, comment)) is True
    wait_until(
        lambda: (archive.record("comment", comment_id) or {}).get("latest_version") == 2,
        what="comment.edited as version 2",
    )

    # Trash and delete the comment, then the post.
    assert client.call(comments.DeleteComment(comment_id)) is True  # → trash
    assert client.call(comments.DeleteComment(comment_id)) is True  # → deleted for good
    assert client.call(posts.DeletePost(post_id)) is True  # → trash
    assert client.call(posts.DeletePost(post_id)) is True  # → deleted for good

    post_record = wait_until(
        lambda: (r := archive.record("post", post_id)) and r["deleted"] and r,
        what="post.deleted tombstone",
    )
    comment_record = wait_until(
        lambda: (r := archive.record("comment", comment_id)) and r["deleted"] and r,
        what="comment.deleted tombstone",
    )

    # The post: drawn up, three versions, trash and delete recorded as events, nothing lost.
    assert post_record["origin"] == "drawn_up"
    assert post_record["kind"] == "post"
    assert post_record["latest_version"] == 3, "trash and delete must not look like new content"
    assert event_types(post_record) == ["post.trashed", "post.deleted"]
    versions = archive.versions("post", post_id)
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert [v["event_type"] for v in versions] == ["post.published", "post.updated", "post.updated"]
    contents = [archive.version("post", post_id, n)["content_raw"] for n in (1, 2, 3)]
    assert contents == [
        "<p>Mötet börjar klockan 18.</p>",
        "<p>Mötet börjar klockan 19.</p>",
        "<p>Mötet är inställt.</p>",
    ]
    last = archive.version("post", post_id, 3)
    assert last["terms"] == {"category": ["Nyheter"], "post_tag": ["fullmäktige"]}
    assert "?p=" not in last["permalink"]

    # The comment: received, two versions, every moderation step an event, text kept after delete.
    assert comment_record["origin"] == "received"
    assert comment_record["latest_version"] == 2
    assert event_types(comment_record) == ["comment.approved", "comment.trashed", "comment.deleted"]
    assert comment_record["parent"] == f"{archive.site_id}.post.{post_id}"
    assert [v["event_type"] for v in archive.versions("comment", comment_id)] == [
        "comment.received",
        "comment.edited",
    ]
    assert archive.version("comment", comment_id, 1)["content"] == "Varför är mötet inställt?"
    assert (
        archive.version("comment", comment_id, 2)["content"] == "Varför är mötet inställt? (rättad)"
    )

    # Personal data: e-mail sent (default), IP and user agent not; visible only with the privilege.
    assert (
        "personal_data" not in (archive.record("comment", comment_id) or {})
        or archive.record("comment", comment_id)["personal_data"] is None
    )
    personal = archive.record("comment", comment_id, personal=True)
    assert personal is not None
    assert personal["personal_data"] == {"email": "anna@example.se", "ip": None, "user_agent": None}

    # Every delivery made it, and the editor's publish did not wait for the archive.
    assert wait_until(lambda: site.outbox_counts()["pending"] == 0, what="empty backlog")
    assert site.outbox_counts()["failed"] == 0
    assert publish_seconds < 5, f"publishing took {publish_seconds:.2f}s"


def test_drafts_are_never_archived(site: Site, xmlrpc: Callable[[Site], Client]) -> None:
    client = xmlrpc(site)
    draft = WordPressPost()
    draft.title = "Utkast: budget 2027"
    draft.content = "Arbetsmaterial."
    draft.post_status = "draft"
    draft_id = int(client.call(posts.NewPost(draft)))
    draft.content = "Arbetsmaterial, version 2."
    client.call(posts.EditPost(draft_id, draft))

    # A post published afterwards shows the pipeline has run past the draft's requests.
    marker = WordPressPost()
    marker.title = "Publicerat efter utkastet"
    marker.content = "Synligt."
    marker.post_status = "publish"
    marker_id = int(client.call(posts.NewPost(marker)))
    wait_until(lambda: site.archive.record("post", marker_id), what="the later post")

    assert site.archive.record("post", draft_id) is None
    hits = site.archive.get("/v1/records", site=site.archive.site_id, q="budget").json()["items"]
    assert all(item["title"] != "Utkast: budget 2027" for item in hits)
