"""Content identity: what makes a delivery a new version and what does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from schemas.webhook import data_schema
from service.capture.snapshot import PersonalData, Snapshot, iso, snapshot
from service.records.model import EventType
from tests.factories import comment_data, post_data

SITE = "01jdsite"


def snap(event_type: str, data: dict[str, Any]) -> Snapshot:
    parsed = EventType.parse(event_type)
    return snapshot(SITE, parsed, data_schema(parsed.kind).load(data))


def post_hash(event_type: str = "post.updated", **overrides: Any) -> str:
    return snap(event_type, post_data(1, **overrides)).content_sha256(None)


def test_same_content_same_hash() -> None:
    assert post_hash() == post_hash()
    assert post_hash("post.published") == post_hash("post.updated")


def test_status_and_previous_status_do_not_change_the_hash() -> None:
    assert post_hash(status="trash", previous_status="publish") == post_hash()
    assert post_hash("post.trashed", status="trash") == post_hash()


def test_modified_at_does_not_change_the_hash() -> None:
    assert post_hash(modified_at="2027-01-01T00:00:00Z") == post_hash()


def test_unknown_fields_do_not_change_the_hash() -> None:
    assert post_hash(menu_order=4, comment_count=12) == post_hash()


def test_term_order_does_not_change_the_hash() -> None:
    ordered = post_hash(terms={"category": ["A", "B"], "post_tag": ["x", "y"]})

    assert post_hash(terms={"post_tag": ["y", "x"], "category": ["B", "A"]}) == ordered


def test_the_same_moment_in_another_zone_is_the_same_content() -> None:
    assert post_hash(published_at="2026-11-28T09:00:00+01:00") == post_hash()


def test_every_published_field_changes_the_hash() -> None:
    base = post_hash()
    changes: dict[str, Any] = {
        "title": "Ny rubrik",
        "content": "<p>Ändrad text.</p>",
        "content_raw": "<!-- wp:paragraph --><p>Ändrad text.</p>",
        "excerpt": "Annan sammanfattning.",
        "permalink": "https://www.example.se/ny-adress/",
        "guid": "https://www.example.se/?p=999",
        "author": {"id": 4, "name": "Cecilia Carlsson"},
        "published_at": "2026-11-27T08:00:00Z",
        "parent": 5,
        "terms": {"category": ["Skola"]},
        "featured_image": "https://www.example.se/bild.jpg",
    }
    hashes = {name: post_hash(**{name: value}) for name, value in changes.items()}

    assert all(h != base for h in hashes.values()), hashes
    assert len(set(hashes.values())) == len(changes)


def test_personal_data_reference_changes_the_hash() -> None:
    comment = snap("comment.received", comment_data(10))

    without = comment.content_sha256(None)
    one = comment.content_sha256("a" * 64)
    other = comment.content_sha256("b" * 64)

    assert len({without, one, other}) == 3


def test_personal_data_is_kept_out_of_the_content() -> None:
    comment = snap(
        "comment.received",
        comment_data(10, author_ip="192.0.2.7", author_user_agent="Firefox/140"),
    )

    assert comment.personal == PersonalData("bertil@example.se", "192.0.2.7", "Firefox/140")
    flattened = repr(comment.content)
    for value in ("bertil@example.se", "192.0.2.7", "Firefox/140"):
        assert value not in flattened
    changed_email = snap("comment.received", comment_data(10, author_email="ny@example.se"))
    assert changed_email.content == comment.content
    assert changed_email.personal != comment.personal


def test_empty_personal_data_is_none() -> None:
    comment = snap("comment.received", comment_data(10, author_email="", author_ip=""))

    assert not comment.personal
    assert comment.personal.as_dict() == {"email": None, "ip": None, "user_agent": None}


def test_comment_status_changes_do_not_change_the_hash() -> None:
    held = snap("comment.received", comment_data(10, status="hold")).content_sha256(None)
    approved = snap("comment.approved", comment_data(10, status="approved"))

    assert approved.content_sha256(None) == held
    assert approved.status == "approved"


def test_comment_content_names_its_post_and_parent_comment() -> None:
    reply = snap("comment.received", comment_data(11, post_id=5, post_type="page", parent=10))

    assert reply.record_id == f"{SITE}.comment.11"
    assert reply.content["parent"] == f"{SITE}.page.5"
    assert reply.content["in_reply_to"] == f"{SITE}.comment.10"
    assert reply.content["title"] == "Re: Vinterns snöröjning"
    assert reply.content["author"] == {"name": "Bertil Bengtsson", "url": None, "user_id": 0}


def test_post_content_is_what_was_published() -> None:
    post = snap("page.published", post_data(3, parent=2, excerpt=""))

    assert post.record_id == f"{SITE}.page.3"
    assert post.status == "publish"
    assert post.content["parent"] == f"{SITE}.page.2"
    assert post.content["published_at"] == "2026-11-28T08:00:00Z"
    assert post.content["author"] == {"id": 3, "name": "Anna Andersson"}
    assert post.content["excerpt"] == ""
    assert "status" not in post.content
    assert "modified_at" not in post.content


def test_a_delete_records_the_deleted_status_whatever_wordpress_said() -> None:
    assert snap("post.deleted", post_data(1, status="trash")).status == "deleted"
    assert snap("comment.deleted", comment_data(10, status="spam")).status == "deleted"


def test_iso_is_utc_with_z_and_microseconds_only_when_there_are_any() -> None:
    assert iso(datetime(2026, 11, 28, 9, 0, tzinfo=UTC)) == "2026-11-28T09:00:00Z"
    assert iso(datetime(2026, 11, 28, 10, 0, tzinfo=timezone(timedelta(hours=1)))) == (
        "2026-11-28T09:00:00Z"
    )
    assert iso(datetime(2026, 11, 28, 9, 0, 0, 1500, tzinfo=UTC)) == "2026-11-28T09:00:00.001500Z"
