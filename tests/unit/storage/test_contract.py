"""The storage contract: the same cases against the filesystem and a real S3 (SeaweedFS)."""

from __future__ import annotations

import io
import threading
import uuid
from pathlib import Path

import pytest

from service.errors import StorageUnavailable
from service.storage.filesystem import FileStore
from service.storage.port import ObjectStore
from service.storage.s3 import S3Store
from tests.support.ports import free_port
from tests.support.seaweedfs import SeaweedFS
from tests.unit.storage.stores import s3_client


@pytest.fixture
def closed_s3() -> S3Store:
    """An S3 store whose endpoint is a loopback port nobody listens on."""
    client = s3_client(
        f"http://127.0.0.1:{free_port()}",
        connect_timeout=0.5,
        read_timeout=0.5,
        retries={"max_attempts": 1, "mode": "standard"},
    )
    return S3Store(client, "nowhere")


def test_put_then_get_returns_the_same_bytes(store: ObjectStore) -> None:
    data = '{"title": "Snöröjning på Storgatan"}'.encode() + bytes(range(256))
    store.put("sites/a/posts/1/versions/0000000001.json", data)

    assert store.get("sites/a/posts/1/versions/0000000001.json") == data


def test_put_overwrites(store: ObjectStore) -> None:
    store.put("sites/a/site.json", b"first")
    store.put("sites/a/site.json", b"second")

    assert store.get("sites/a/site.json") == b"second"
    assert list(store.list("sites/a/")) == ["sites/a/site.json"]


def test_empty_object_roundtrips(store: ObjectStore) -> None:
    store.put("empty.json", b"")

    assert store.get("empty.json") == b""


def test_put_new_writes_a_free_key(store: ObjectStore) -> None:
    store.put_new("sites/a/posts/1/versions/0000000001.json", b"v1")

    assert store.get("sites/a/posts/1/versions/0000000001.json") == b"v1"


def test_put_new_on_a_taken_key_raises_and_keeps_the_original(store: ObjectStore) -> None:
    key = "sites/a/posts/1/versions/0000000001.json"
    store.put_new(key, b"original")

    with pytest.raises(FileExistsError):
        store.put_new(key, b"intruder")

    assert store.get(key) == b"original"
    assert list(store.list("sites/a/posts/1/")) == [key]


def test_get_of_a_missing_key_is_file_not_found(store: ObjectStore) -> None:
    with pytest.raises(FileNotFoundError):
        store.get("sites/nobody/site.json")


def test_get_of_a_directory_like_prefix_is_file_not_found(store: ObjectStore) -> None:
    store.put("sites/a/posts/1/versions/0000000001.json", b"v1")

    with pytest.raises(FileNotFoundError):
        store.get("sites/a/posts/1")


def test_list_is_lexicographic_over_nested_directories(store: ObjectStore) -> None:
    keys = [
        "sites/b/site.json",
        "sites/a/posts/10/versions/0000000001.json",
        "sites/a/posts/1/versions/0000000002.json",
        "sites/a/posts/1/versions/0000000001.json",
        "sites/a/posts/1/events/msg_1.json",
        "sites/a/posts/1-x.json",
        "sites/a/pages/1/versions/0000000001.json",
        "sites/a/site.json",
        "sites/ab/site.json",
        "top.json",
    ]
    for key in keys:
        store.put(key, key.encode())

    assert list(store.list("")) == sorted(keys)
    assert list(store.list("sites/")) == sorted(k for k in keys if k.startswith("sites/"))
    assert list(store.list("sites/a/posts/1/")) == [
        "sites/a/posts/1/events/msg_1.json",
        "sites/a/posts/1/versions/0000000001.json",
        "sites/a/posts/1/versions/0000000002.json",
    ]


def test_list_with_a_prefix_ending_mid_name(store: ObjectStore) -> None:
    for key in (
        "sites/a/posts/1/versions/0000000001.json",
        "sites/a/posts/1-x.json",
        "sites/a/posts/10/versions/0000000001.json",
        "sites/a/posts/2/versions/0000000001.json",
        "sites/a/pages/1/versions/0000000001.json",
        "sites/ab/site.json",
    ):
        store.put(key, b"x")

    assert list(store.list("sites/a/posts/1")) == [
        "sites/a/posts/1-x.json",
        "sites/a/posts/1/versions/0000000001.json",
        "sites/a/posts/10/versions/0000000001.json",
    ]
    assert list(store.list("sites/a")) == [
        "sites/a/pages/1/versions/0000000001.json",
        "sites/a/posts/1-x.json",
        "sites/a/posts/1/versions/0000000001.json",
        "sites/a/posts/10/versions/0000000001.json",
        "sites/a/posts/2/versions/0000000001.json",
        "sites/ab/site.json",
    ]
    assert list(store.list("sites/a/po")) == list(store.list("sites/a/posts"))
    assert list(store.list("sites/c")) == []
    assert list(store.list("nothing/here/")) == []


def test_list_of_an_empty_store_is_empty(store: ObjectStore) -> None:
    assert list(store.list("")) == []
    assert list(store.list("sites/")) == []


def test_delete_removes_and_deleting_a_missing_key_is_fine(store: ObjectStore) -> None:
    store.put("sites/a/personal/abc.json", b"{}")

    store.delete("sites/a/personal/abc.json")
    store.delete("sites/a/personal/abc.json")
    store.delete("sites/never/was.json")

    with pytest.raises(FileNotFoundError):
        store.get("sites/a/personal/abc.json")
    assert list(store.list("sites/")) == []


def test_a_deleted_key_can_be_taken_again_with_put_new(store: ObjectStore) -> None:
    store.put_new("k.json", b"one")
    store.delete("k.json")
    store.put_new("k.json", b"two")

    assert store.get("k.json") == b"two"


@pytest.mark.parametrize(
    "key",
    ["", "../x", "a/../../x", "/abs", "a//b", "a/", "./a", "a/./b", "a/.."],
)
def test_invalid_keys_are_refused_by_every_operation(store: ObjectStore, key: str) -> None:
    for operation in (
        lambda: store.put(key, b"x"),
        lambda: store.put_new(key, b"x"),
        lambda: store.get(key),
        lambda: store.delete(key),
        lambda: store.put_stream(key, io.BytesIO(b"x"), content_type="text/plain"),
        lambda: store.open(key),
        lambda: store.stat(key),
        lambda: store.erase(key),
        lambda: store.set_legal_hold(key, True),
        lambda: store.legal_hold(key),
        lambda: store.retention(key),
    ):
        with pytest.raises(ValueError, match="invalid object key"):
            operation()
    assert list(store.list("")) == []


def test_check_passes_when_reachable(store: ObjectStore) -> None:
    store.check()
    assert store.describe()


def test_concurrent_put_new_of_one_key_has_exactly_one_winner(store: ObjectStore) -> None:
    key = "sites/a/posts/1/versions/0000000001.json"
    threads = 8
    barrier = threading.Barrier(threads)
    winners: list[int] = []
    losers: list[int] = []
    errors: list[BaseException] = []

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            store.put_new(key, f"writer {n}".encode())
            winners.append(n)
        except FileExistsError:
            losers.append(n)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=attempt, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    assert errors == []
    assert len(winners) == 1
    assert len(losers) == threads - 1
    assert store.get(key) == f"writer {winners[0]}".encode()
    assert list(store.list("sites/")) == [key]


def test_filesystem_leaves_no_temp_files(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.put("a/b.json", b"1")
    store.put_new("a/c.json", b"2")
    with pytest.raises(FileExistsError):
        store.put_new("a/c.json", b"3")

    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["b.json", "c.json"]


def test_filesystem_on_an_unwritable_root_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"not a directory")
    store = FileStore(blocker / "objects")

    with pytest.raises(StorageUnavailable):
        store.check()
    with pytest.raises(StorageUnavailable):
        store.put("a.json", b"x")


def test_s3_prefix_keeps_keys_apart(seaweedfs: SeaweedFS) -> None:
    client = s3_client(seaweedfs.endpoint_url, seaweedfs)
    bucket = f"contract-{uuid.uuid4().hex[:16]}"
    one, two = S3Store(client, bucket, "one"), S3Store(client, bucket, "/two/")
    one.create_bucket()
    one.put("k.json", b"1")
    two.put("k.json", b"2")

    assert (one.get("k.json"), two.get("k.json")) == (b"1", b"2")
    assert list(one.list("")) == ["k.json"]
    assert sorted(S3Store(client, bucket).list("")) == ["one/k.json", "two/k.json"]


def test_s3_missing_bucket_is_unavailable(seaweedfs: SeaweedFS) -> None:
    store = S3Store(s3_client(seaweedfs.endpoint_url, seaweedfs), "no-such-bucket-here")

    with pytest.raises(StorageUnavailable):
        store.check()


def test_s3_at_a_closed_port_is_unavailable(closed_s3: S3Store) -> None:
    with pytest.raises(StorageUnavailable):
        closed_s3.get("sites/a/site.json")
    with pytest.raises(StorageUnavailable):
        closed_s3.put("sites/a/site.json", b"x")
    with pytest.raises(StorageUnavailable):
        closed_s3.put_new("sites/a/site.json", b"x")
    with pytest.raises(StorageUnavailable):
        list(closed_s3.list("sites/"))
    with pytest.raises(StorageUnavailable):
        closed_s3.check()
