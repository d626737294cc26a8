"""The bucket layout: readable by a person, sorted the way the service needs."""

from __future__ import annotations

from service.records import keys
from service.records.model import Kind
from service.storage.port import validate_key

SITE = "01jdsite"


def test_layout_is_by_site_kind_and_source_id() -> None:
    assert keys.site_prefix(SITE) == "sites/01jdsite/"
    assert keys.record_prefix(SITE, Kind.POST, 7) == "sites/01jdsite/posts/7/"
    assert keys.record_prefix(SITE, Kind.PAGE, 7) == "sites/01jdsite/pages/7/"
    assert keys.record_prefix(SITE, Kind.COMMENT, 7) == "sites/01jdsite/comments/7/"
    assert keys.versions_prefix(SITE, Kind.POST, 7) == "sites/01jdsite/posts/7/versions/"
    assert (
        keys.version_key(SITE, Kind.POST, 7, 3) == "sites/01jdsite/posts/7/versions/0000000003.json"
    )
    assert (
        keys.event_key(SITE, Kind.COMMENT, 10, "msg_000001")
        == "sites/01jdsite/comments/10/events/msg_000001.json"
    )
    assert keys.personal_key(SITE, "ab" * 32) == f"sites/01jdsite/personal/{'ab' * 32}.json"


def test_every_key_is_a_valid_object_key_under_its_record() -> None:
    prefix = keys.record_prefix(SITE, Kind.POST, 7)
    for key in (
        keys.version_key(SITE, Kind.POST, 7, 1),
        keys.event_key(SITE, Kind.POST, 7, "msg_1"),
    ):
        assert validate_key(key) == key
        assert key.startswith(prefix)
    assert keys.personal_key(SITE, "f" * 64).startswith(keys.site_prefix(SITE))


def test_version_keys_sort_in_version_order() -> None:
    numbers = [1, 2, 9, 10, 11, 99, 100, 12345, 9_999_999_999]
    version_keys = [keys.version_key(SITE, Kind.POST, 1, n) for n in numbers]

    assert sorted(version_keys) == version_keys
    assert [keys.version_number(k) for k in version_keys] == numbers


def test_version_number_reads_the_key() -> None:
    assert keys.version_number("sites/s/posts/1/versions/0000000042.json") == 42


def test_records_of_one_site_do_not_share_a_prefix_with_another_kind_or_id() -> None:
    post_1 = keys.record_prefix(SITE, Kind.POST, 1)

    assert not keys.version_key(SITE, Kind.POST, 10, 1).startswith(post_1)
    assert not keys.version_key(SITE, Kind.PAGE, 1, 1).startswith(post_1)
    assert not keys.version_key("01jdsite2", Kind.POST, 1, 1).startswith(keys.site_prefix(SITE))
