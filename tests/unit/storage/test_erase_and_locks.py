"""Culling must really remove content, and never what a hold or retention protects.

The same cases on the filesystem and on real SeaweedFS (versioned, with Object Lock).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.errors import ObjectLocked
from service.storage import s3_locks
from service.storage.filesystem import FileStore
from service.storage.port import Capabilities, ObjectStore
from service.storage.s3 import S3Store
from tests.support.seaweedfs import SeaweedFS
from tests.unit.storage.stores import s3_store

KEY = "sites/a/posts/1/versions/0000000001.json"
NEIGHBOURS = [
    "sites/a/posts/1/versions/0000000001.json2",
    "sites/a/posts/1/versions/0000000001.jsonx/y.json",
    "sites/a/posts/1/versions/0000000002.json",
]


def soon(**delta: float) -> datetime:
    """A whole second (S3 keeps retention dates to the second)."""
    return (datetime.now(UTC) + timedelta(**delta)).replace(microsecond=0)


def versions_of(bucket: S3Store, key: str) -> list[str]:
    answer = bucket.client.list_object_versions(Bucket=bucket.bucket, Prefix=bucket.prefix)
    return [
        v["VersionId"]
        for v in answer.get("Versions", []) + answer.get("DeleteMarkers", [])
        if v["Key"] == bucket.prefix + key
    ]


def versions_kept(store: ObjectStore, key: str) -> int:
    """How many versions of `key` exist (the filesystem keeps at most one)."""
    if isinstance(store, S3Store):
        return len(versions_of(store, key))
    return int(key in store.list(key))


# --- erase -------------------------------------------------------------------------------


def test_erase_removes_every_version_of_a_versioned_object(store: ObjectStore) -> None:
    for n in range(3):
        store.put(KEY, f"version {n}".encode())
    for key in NEIGHBOURS:
        store.put(key, b"stays")

    erased = store.erase(KEY)

    assert erased == (3 if store.capabilities().versioning else 1)
    with pytest.raises(FileNotFoundError):
        store.get(KEY)
    assert versions_kept(store, KEY) == 0
    assert list(store.list("sites/")) == NEIGHBOURS
    assert all(versions_kept(store, key) == 1 for key in NEIGHBOURS)


def test_erase_removes_delete_markers_too(bucket: S3Store) -> None:
    bucket.put(KEY, b"1")
    bucket.delete(KEY)
    bucket.put(KEY, b"2")
    bucket.delete(KEY)
    assert len(versions_of(bucket, KEY)) == 4

    assert bucket.erase(KEY) == 4
    assert versions_of(bucket, KEY) == []


def test_erase_of_a_missing_key_removes_nothing(store: ObjectStore) -> None:
    store.put(NEIGHBOURS[0], b"stays")

    assert store.erase(KEY) == 0
    assert list(store.list("")) == [NEIGHBOURS[0]]


def test_erase_prefix_removes_a_whole_record(store: ObjectStore) -> None:
    record = [
        "sites/a/posts/1/events/msg_1.json",
        "sites/a/posts/1/versions/0000000001.json",
        "sites/a/posts/1/versions/0000000002.json",
    ]
    others = ["sites/a/posts/1-x.json", "sites/a/posts/10/versions/0000000001.json"]
    for key in record + others:
        store.put(key, b"x")
    store.put(record[1], b"y")

    erased = store.erase_prefix("sites/a/posts/1/")

    assert erased == (4 if store.capabilities().versioning else 3)
    assert list(store.list("sites/")) == others
    assert all(versions_kept(store, key) == 0 for key in record)


@pytest.mark.parametrize("prefix", ["", "sites/a/posts/1", "/", "sites//", "../"])
def test_erase_prefix_takes_only_a_whole_directory(store: ObjectStore, prefix: str) -> None:
    store.put("sites/a/posts/10/versions/0000000001.json", b"x")

    with pytest.raises(ValueError):
        store.erase_prefix(prefix)
    assert list(store.list("")) == ["sites/a/posts/10/versions/0000000001.json"]


# --- erasing in two steps: find the versions, then erase them ---------------------------

RECORD = ["sites/a/posts/1/events/msg_1.json", KEY]
PERSONAL = "sites/a/personal/0123.json"


def test_versions_finds_every_version_of_a_key_or_a_prefix_with_its_lock(
    store: ObjectStore,
) -> None:
    for n in range(2):
        store.put(KEY, f"version {n}".encode())
    store.put(RECORD[0], b"x")
    store.set_legal_hold(RECORD[0], True)
    store.put("sites/a/posts/10/versions/0000000001.json", b"not this record")

    of_key = store.versions(KEY)
    of_record = store.versions("sites/a/posts/1/")

    kept = 2 if store.capabilities().versioning else 1
    assert [v.key for v in of_key] == [KEY] * kept
    assert [v.latest for v in of_key].count(True) == 1
    assert sorted(v.key for v in of_record) == sorted([RECORD[0], *[KEY] * kept])
    assert [v.lock.hold for v in of_record if v.key == RECORD[0]] == [True]
    assert not any(v.lock.hold or v.marker for v in of_key)
    assert store.versions("sites/a/posts/2/") == []
    assert store.versions(PERSONAL) == []


def test_versions_reads_the_latest_bytes_of_the_keys_asked_for(store: ObjectStore) -> None:
    store.put(KEY, b"first")
    store.put(KEY, b"latest")
    store.put(RECORD[0], b"an event")
    store.set_legal_hold(KEY, True)

    found = store.versions("sites/a/posts/1/", read=lambda key: "/versions/" in key)

    assert [(v.key, v.data) for v in found if v.latest] == [
        (RECORD[0], None),
        (KEY, b"latest"),
    ]
    assert all(v.data is None for v in found if not v.latest)
    assert [v.lock.hold for v in found if v.latest] == [False, True]


def test_erase_versions_removes_what_was_found_of_many_targets_at_once(
    store: ObjectStore,
) -> None:
    for key in [*RECORD, PERSONAL]:
        store.put(key, b"1")
    store.put(KEY, b"2")
    others = ["sites/a/personal/01234.json", "sites/a/posts/10/versions/0000000001.json"]
    for key in others:
        store.put(key, b"stays")
    found = [*store.versions("sites/a/posts/1/"), *store.versions(PERSONAL)]

    erased = store.erase_versions(found)

    assert erased == len(found) == (4 if store.capabilities().versioning else 3)
    assert list(store.list("sites/")) == others
    assert all(versions_kept(store, key) == 0 for key in [*RECORD, PERSONAL])
    assert store.erase_versions(found) == len(found)  # gone meanwhile: not an error


def test_erase_versions_is_refused_whole_when_one_found_version_is_locked(
    store: ObjectStore,
) -> None:
    for key in [*RECORD, PERSONAL]:
        store.put(key, b"x")
    store.set_legal_hold(PERSONAL, True)
    found = [*store.versions("sites/a/posts/1/"), *store.versions(PERSONAL)]

    with pytest.raises(ObjectLocked, match="legal hold") as refused:
        store.erase_versions(found, bypass_governance=True)
    assert refused.value.key == PERSONAL
    assert list(store.list("sites/")) == [PERSONAL, *RECORD]


def test_a_hold_set_after_the_versions_were_found_still_protects(store: ObjectStore) -> None:
    store.put(KEY, b"evidence")
    found = store.versions(KEY)
    store.set_legal_hold(KEY, True)

    with pytest.raises(ObjectLocked):
        store.erase_versions(found)
    assert store.get(KEY) == b"evidence"


def test_erase_versions_bypasses_governance_retention_only_when_told(
    bypassable: ObjectStore,
) -> None:
    store = bypassable
    store.put(KEY, b"retained")
    store.set_retention(KEY, soon(days=30))
    store.put(PERSONAL, b"not retained")
    found = [*store.versions(KEY), *store.versions(PERSONAL)]
    assert [v.lock.until is not None for v in found] == [True, False]

    with pytest.raises(ObjectLocked, match="GOVERNANCE"):
        store.erase_versions(found)
    assert list(store.list("sites/")) == [PERSONAL, KEY]

    assert store.erase_versions(found, bypass_governance=True) == 2
    assert list(store.list("sites/")) == []


def test_versions_names_delete_markers_and_leaves_a_version_added_since(
    bucket: S3Store,
) -> None:
    bucket.put(KEY, b"1")
    bucket.delete(KEY)
    found = bucket.versions(KEY)
    bucket.put(KEY, b"added since")

    assert [(v.marker, v.latest) for v in found] == [(False, False), (True, True)]
    assert bucket.erase_versions(found) == 2
    assert bucket.get(KEY) == b"added since"
    assert len(versions_of(bucket, KEY)) == 1


def test_erase_versions_sends_deletes_in_batches(
    bucket: S3Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(s3_locks, "_BATCH", 2)
    keys = [f"sites/a/posts/{n}/versions/0000000001.json" for n in range(1, 6)]
    for key in keys:
        bucket.put(key, b"x")
    sent: list[int] = []
    bucket.client.meta.events.register(
        "provide-client-params.s3.DeleteObjects",
        lambda params, **_: sent.append(len(params["Delete"]["Objects"])),
    )

    assert bucket.erase_versions([v for key in keys for v in bucket.versions(key)]) == 5
    assert sent == [2, 2, 1]
    assert list(bucket.list("sites/")) == []


# --- legal hold --------------------------------------------------------------------------


def test_legal_hold_is_off_until_set_and_can_be_lifted(store: ObjectStore) -> None:
    store.put(KEY, b"x")
    assert store.legal_hold(KEY) is False

    store.set_legal_hold(KEY, True)
    assert store.legal_hold(KEY) is True

    store.set_legal_hold(KEY, False)
    assert store.legal_hold(KEY) is False


def test_locks_on_a_missing_key_are_file_not_found(store: ObjectStore) -> None:
    for operation in (
        lambda: store.set_legal_hold(KEY, True),
        lambda: store.legal_hold(KEY),
        lambda: store.set_retention(KEY, soon(days=1)),
        lambda: store.retention(KEY),
    ):
        with pytest.raises(FileNotFoundError):
            operation()


def test_erase_of_a_held_object_is_refused_and_removes_nothing(store: ObjectStore) -> None:
    store.put(KEY, b"evidence")
    store.set_legal_hold(KEY, True)

    for attempt in (
        lambda: store.erase(KEY),
        lambda: store.erase(KEY, bypass_governance=True),
        lambda: store.erase_prefix("sites/a/posts/1/", bypass_governance=True),
    ):
        with pytest.raises(ObjectLocked, match="legal hold") as refused:
            attempt()
        assert refused.value.key == KEY
        assert refused.value.status == 409
    assert store.get(KEY) == b"evidence"
    assert versions_kept(store, KEY) == 1


def test_a_held_old_version_stops_the_whole_erase(bucket: S3Store) -> None:
    bucket.put(KEY, b"held")
    bucket.set_legal_hold(KEY, True)
    bucket.put(KEY, b"newer")  # S3 keeps the held version as an old one

    with pytest.raises(ObjectLocked, match="legal hold"):
        bucket.erase(KEY)
    assert len(versions_of(bucket, KEY)) == 2
    assert bucket.get(KEY) == b"newer"


def test_erase_prefix_is_refused_whole_when_one_key_is_held(store: ObjectStore) -> None:
    store.put("sites/a/posts/1/events/msg_1.json", b"x")
    store.put(KEY, b"x")
    store.set_legal_hold(KEY, True)

    with pytest.raises(ObjectLocked):
        store.erase_prefix("sites/a/posts/1/")
    assert list(store.list("")) == ["sites/a/posts/1/events/msg_1.json", KEY]


def test_lifted_hold_allows_erase(store: ObjectStore) -> None:
    store.put(KEY, b"x")
    store.set_legal_hold(KEY, True)
    store.set_legal_hold(KEY, False)

    assert store.erase(KEY) == 1
    assert versions_kept(store, KEY) == 0


# --- retention ---------------------------------------------------------------------------


def test_retention_is_none_until_set(store: ObjectStore) -> None:
    store.put(KEY, b"x")
    assert store.retention(KEY) is None

    until = soon(days=30)
    store.set_retention(KEY, until)

    assert store.retention(KEY) == until


def test_retention_blocks_erase_until_bypassed(bypassable: ObjectStore) -> None:
    store = bypassable
    store.put(KEY, b"old")
    store.put(KEY, b"kept until next year")
    store.set_retention(KEY, soon(days=365), mode="GOVERNANCE")

    with pytest.raises(ObjectLocked, match="GOVERNANCE retention"):
        store.erase(KEY)
    assert store.get(KEY) == b"kept until next year"

    assert store.erase(KEY, bypass_governance=True) == (2 if isinstance(store, S3Store) else 1)
    assert versions_kept(store, KEY) == 0


def test_compliance_retention_cannot_be_bypassed(bypassable: ObjectStore) -> None:
    store = bypassable
    store.put(KEY, b"x")
    store.set_retention(KEY, soon(minutes=10), mode="COMPLIANCE")

    with pytest.raises(ObjectLocked, match="COMPLIANCE"):
        store.erase(KEY, bypass_governance=True)
    with pytest.raises(ObjectLocked, match="COMPLIANCE"):
        store.set_retention(KEY, soon(minutes=5), mode="COMPLIANCE", bypass_governance=True)
    assert store.get(KEY) == b"x"


def test_retention_can_be_extended_but_shortening_needs_bypass(bypassable: ObjectStore) -> None:
    store = bypassable
    store.put(KEY, b"x")
    store.set_retention(KEY, soon(days=1))

    store.set_retention(KEY, soon(days=2))
    with pytest.raises(ObjectLocked, match="GOVERNANCE"):
        store.set_retention(KEY, soon(hours=1))
    shorter = soon(hours=1)
    store.set_retention(KEY, shorter, bypass_governance=True)

    assert store.retention(KEY) == shorter


def test_bypass_refused_by_the_storage_removes_nothing(bucket: S3Store) -> None:
    """The anonymous SeaweedFS grants nobody s3:BypassGovernanceRetention."""
    bucket.put(KEY, b"old")
    bucket.put(KEY, b"retained")
    bucket.set_retention(KEY, soon(days=1))

    with pytest.raises(ObjectLocked, match="BypassGovernanceRetention"):
        bucket.erase(KEY, bypass_governance=True)
    assert len(versions_of(bucket, KEY)) == 2


@pytest.mark.parametrize(
    ("until", "mode"),
    [
        (datetime.now(UTC) - timedelta(days=1), "GOVERNANCE"),
        (datetime(2099, 1, 1), "GOVERNANCE"),  # naive
        (datetime(2099, 1, 1, tzinfo=UTC), "FOREVER"),
    ],
)
def test_retention_needs_a_future_aware_date_and_a_known_mode(
    store: ObjectStore, until: datetime, mode: str
) -> None:
    store.put(KEY, b"x")

    with pytest.raises(ValueError):
        store.set_retention(KEY, until, mode=mode)
    assert store.retention(KEY) is None


# --- capabilities ------------------------------------------------------------------------


def test_capabilities_tell_what_the_store_promises(store: ObjectStore) -> None:
    if isinstance(store, FileStore):
        expected = Capabilities(versioning=False, object_lock=True, object_lock_emulated=True)
    else:
        expected = Capabilities(versioning=True, object_lock=True, object_lock_emulated=False)

    assert store.capabilities() == expected


def test_a_bucket_without_object_lock_still_erases(seaweedfs: SeaweedFS) -> None:
    store = s3_store(seaweedfs, object_lock=False)
    store.put(KEY, b"1")
    store.put(KEY, b"2")

    assert store.capabilities() == Capabilities(
        versioning=True, object_lock=False, object_lock_emulated=False
    )
    assert store.legal_hold(KEY) is False
    assert store.retention(KEY) is None
    with pytest.raises(NotImplementedError, match="no Object Lock"):
        store.set_legal_hold(KEY, True)
    assert store.erase(KEY) == 2
    assert versions_of(store, KEY) == []


# --- the filesystem's own rules ----------------------------------------------------------


def test_filesystem_refuses_to_replace_or_delete_a_locked_object(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "objects")
    store.put(KEY, b"held")
    store.set_legal_hold(KEY, True)

    for attempt in (
        lambda: store.put(KEY, b"other"),
        lambda: store.put_stream(KEY, io.BytesIO(b"other"), content_type="application/json"),
        lambda: store.delete(KEY),
    ):
        with pytest.raises(ObjectLocked):
            attempt()
    assert store.get(KEY) == b"held"


def test_filesystem_sidecars_stay_out_of_sight(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "objects")
    store.put(KEY, b"x", content_type="text/plain")
    store.set_legal_hold(KEY, True)
    store.set_retention(KEY, soon(days=1))

    assert list(store.list("")) == [KEY]
    assert list(store.list(".sidecars/")) == []
    assert list(store.list(".side")) == []
    with pytest.raises(ValueError, match="invalid object key"):
        store.put(".sidecars/" + KEY + ".json", b"{}")


def test_filesystem_erase_leaves_no_trace(tmp_path: Path) -> None:
    root = tmp_path / "objects"
    store = FileStore(root)
    store.put("sites/a/site.json", b"x")
    store.put(KEY, b"x", content_type="text/plain")
    store.set_retention(KEY, soon(days=1))

    store.erase_prefix("sites/a/posts/", bypass_governance=True)

    remaining = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    assert remaining == ["sites", "sites/a", "sites/a/site.json"]
