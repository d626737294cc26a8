"""Event types, kinds, origins and record ids."""

from __future__ import annotations

import pytest

from service.records.model import (
    PING,
    Action,
    EventType,
    Kind,
    Origin,
    all_event_types,
    parse_record_id,
    record_id,
)

POST_TYPES = ["published", "updated", "unpublished", "trashed", "restored", "deleted"]
COMMENT_TYPES = [
    "received",
    "approved",
    "unapproved",
    "spam",
    "trashed",
    "restored",
    "edited",
    "deleted",
]
VALID = (
    [f"post.{a}" for a in POST_TYPES]
    + [f"page.{a}" for a in POST_TYPES]
    + [f"comment.{a}" for a in COMMENT_TYPES]
)


@pytest.mark.parametrize("value", VALID)
def test_every_documented_event_type_parses_and_prints_back(value: str) -> None:
    parsed = EventType.parse(value)

    assert str(parsed) == value
    assert parsed.kind is Kind(value.split(".")[0])
    assert parsed.action is Action(value.split(".")[1])


def test_all_event_types_is_the_documented_list_plus_ping() -> None:
    assert sorted(all_event_types()) == sorted([*VALID, PING])
    assert all_event_types()[-1] == PING


@pytest.mark.parametrize(
    "value",
    [
        "",
        "post",
        "post.",
        ".published",
        "post.received",
        "post.approved",
        "post.spam",
        "page.edited",
        "comment.published",
        "comment.updated",
        "comment.unpublished",
        "attachment.published",
        "Post.published",
        "post.Published",
        "post.published.extra",
        " post.published",
        "post.published ",
        "post-published",
        PING,
    ],
)
def test_anything_else_is_an_unknown_event_type(value: str) -> None:
    with pytest.raises(ValueError, match="unknown event type"):
        EventType.parse(value)


@pytest.mark.parametrize(
    ("value", "changes_content"),
    [
        ("post.published", True),
        ("post.updated", True),
        ("page.updated", True),
        ("comment.received", True),
        ("comment.edited", True),
        ("post.unpublished", False),
        ("post.trashed", False),
        ("post.restored", False),
        ("post.deleted", False),
        ("comment.approved", False),
        ("comment.unapproved", False),
        ("comment.spam", False),
        ("comment.deleted", False),
    ],
)
def test_content_actions_make_versions_the_rest_are_events(
    value: str, changes_content: bool
) -> None:
    assert EventType.parse(value).action.changes_content is changes_content


def test_posts_and_pages_are_drawn_up_comments_are_received() -> None:
    assert Kind.POST.origin is Origin.DRAWN_UP
    assert Kind.PAGE.origin is Origin.DRAWN_UP
    assert Kind.COMMENT.origin is Origin.RECEIVED
    assert (str(Origin.DRAWN_UP), str(Origin.RECEIVED)) == ("drawn_up", "received")


@pytest.mark.parametrize(
    ("site_id", "kind", "source_id", "formatted"),
    [
        ("01jdsite", Kind.POST, 7, "01jdsite.post.7"),
        ("01jdsite", Kind.PAGE, 1, "01jdsite.page.1"),
        ("01jdsite", Kind.COMMENT, 1234567890123, "01jdsite.comment.1234567890123"),
        ("odd.site", Kind.POST, 3, "odd.site.post.3"),
    ],
)
def test_record_ids_format_and_parse_back(
    site_id: str, kind: Kind, source_id: int, formatted: str
) -> None:
    assert record_id(site_id, kind, source_id) == formatted
    assert parse_record_id(formatted) == (site_id, kind, source_id)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "site",
        "site.post",
        ".post.1",
        "site.post.",
        "site.post.x",
        "site.post.-1",
        "site.post.1.5",
        "site.blog.1",
        "site.Post.1",
        "site.post. 1",
        "site.post.01",  # not the form record_id writes: would alias site.post.1
        "site.post.١",  # an Arabic-Indic digit is not a WordPress id
    ],
)
def test_anything_else_is_not_a_record_id(value: str) -> None:
    with pytest.raises(ValueError):
        parse_record_id(value)


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_is_described_wherever_kinds_differ(kind: Kind) -> None:
    """Adding a kind means one entry in each of these tables, and this test names the gaps."""
    from schemas.webhook import DATA_SCHEMAS
    from service.capture.snapshot import CONTENT_BUILDERS
    from service.records.model import KIND_RULES

    assert kind in KIND_RULES
    assert kind in CONTENT_BUILDERS
    assert kind in DATA_SCHEMAS


def test_kind_folders_are_distinct_and_plural_names() -> None:
    folders = [kind.folder for kind in Kind]
    assert len(set(folders)) == len(folders)
    assert all(folder.endswith("s") for folder in folders)


@pytest.mark.parametrize("action", ["backfilled", "reconciled", "gone"])
def test_archive_actions_are_kept_but_no_webhook_may_claim_them(action: str) -> None:
    for kind in Kind:
        value = f"{kind}.{action}"
        assert str(EventType.parse(value)) == value
        assert value not in all_event_types()


def test_backfilled_and_reconciled_content_makes_versions_gone_is_an_event() -> None:
    assert Action.BACKFILLED.changes_content and Action.RECONCILED.changes_content
    assert not Action.GONE.changes_content
