"""Content types and streams (multi-GB WARCs): the same cases on the filesystem and SeaweedFS."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest

from service.storage.port import ObjectStore
from service.storage.s3 import S3Store
from tests.unit.storage.stores import PART

PIECE = 64 * 1024


class Generated(io.RawIOBase):
    """A stream that cannot seek and returns short reads, as a socket or a pipe does."""

    def __init__(self, size: int, fail_after: int | None = None):
        self.size = size
        self.fail_after = fail_after
        self.sent = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.fail_after is not None and self.sent >= self.fail_after:
            raise OSError("the source went away")
        n = min(len(buffer), PIECE, self.size - self.sent)
        buffer[:n] = piece(self.sent, n)
        self.sent += n
        return n


def piece(offset: int, n: int) -> bytes:
    """The stream's bytes at `offset`: each 64 KiB block its own value, so a part out of
    place would show in the digest."""
    out = bytearray()
    position, end = offset, offset + n
    while position < end:
        block_end = min((position // PIECE + 1) * PIECE, end)
        out += bytes([position // PIECE % 251]) * (block_end - position)
        position = block_end
    return bytes(out)


def digest(size: int) -> str:
    h = hashlib.sha256()
    for offset in range(0, size, PIECE):
        h.update(piece(offset, min(PIECE, size - offset)))
    return h.hexdigest()


def read_digest(store: ObjectStore, key: str) -> str:
    h = hashlib.sha256()
    with store.open(key) as stream:
        for chunk in iter(lambda: stream.read(PIECE), b""):
            h.update(chunk)
    return h.hexdigest()


def versions_of(bucket: S3Store, key: str) -> list[str]:
    answer = bucket.client.list_object_versions(Bucket=bucket.bucket, Prefix=bucket.prefix)
    return [
        v["VersionId"]
        for v in answer.get("Versions", []) + answer.get("DeleteMarkers", [])
        if v["Key"] == bucket.prefix + key
    ]


def test_content_type_is_kept(store: ObjectStore) -> None:
    store.put("a/page.html", b"<p>Hej</p>", content_type="text/html; charset=utf-8")
    store.put_new("a/crawl.warc.gz", b"WARC", content_type="application/warc")
    store.put("a/record.json", b"{}")
    store.put("a/odd.json", b"x", content_type="application/octet-stream")

    assert store.stat("a/page.html").content_type == "text/html; charset=utf-8"
    assert store.stat("a/crawl.warc.gz").content_type == "application/warc"
    assert store.stat("a/record.json").content_type == "application/json"
    assert store.stat("a/odd.json").content_type == "application/octet-stream"
    assert list(store.list("")) == ["a/crawl.warc.gz", "a/odd.json", "a/page.html", "a/record.json"]


def test_replacing_an_object_replaces_its_content_type(store: ObjectStore) -> None:
    store.put("a/x.bin", b"1", content_type="text/plain")
    store.put("a/x.bin", b"2", content_type="image/png")

    assert store.stat("a/x.bin").content_type == "image/png"


def test_stat_tells_size_and_time(store: ObjectStore) -> None:
    before = datetime.now(UTC) - timedelta(seconds=2)
    store.put("a/b.json", b"12345")

    info = store.stat("a/b.json")

    assert info.size == 5
    assert before <= info.last_modified <= datetime.now(UTC) + timedelta(seconds=2)
    assert info.last_modified.tzinfo is not None


def test_stat_and_open_of_a_missing_key_are_file_not_found(store: ObjectStore) -> None:
    store.put("a/b/c.json", b"x")

    for key in ("a/nothing.json", "a/b"):
        with pytest.raises(FileNotFoundError):
            store.stat(key)
        with pytest.raises(FileNotFoundError):
            store.open(key)


def test_open_reads_in_pieces_and_closes(store: ObjectStore) -> None:
    store.put("a/b.json", b"0123456789")

    with store.open("a/b.json") as stream:
        assert stream.read(4) == b"0123"
        assert stream.read() == b"456789"
        assert stream.read(1) == b""
    assert stream.closed


def test_stream_roundtrip_multipart(store: ObjectStore) -> None:
    size = 2 * PART + 12345  # three parts on S3, the last one short

    written = store.put_stream(
        "snapshots/1.warc.gz", Generated(size), content_type="application/warc"
    )

    assert written == size
    assert store.stat("snapshots/1.warc.gz").size == size
    assert store.stat("snapshots/1.warc.gz").content_type == "application/warc"
    assert read_digest(store, "snapshots/1.warc.gz") == digest(size)
    if isinstance(store, S3Store):
        head = store.client.head_object(
            Bucket=store.bucket, Key=store.prefix + "snapshots/1.warc.gz"
        )
        assert head["ETag"].endswith('-3"')  # really uploaded in parts


def test_small_and_empty_streams_roundtrip(store: ObjectStore) -> None:
    small = store.put_stream("a/small", Generated(1000), content_type="text/plain", size=1000)
    empty = store.put_stream("a/empty", Generated(0), content_type="text/plain", size=0)

    assert (small, empty) == (1000, 0)
    assert store.get("a/small") == piece(0, 1000)
    assert store.get("a/empty") == b""


def test_put_stream_replaces(store: ObjectStore) -> None:
    store.put("a/b.warc", b"old", content_type="application/warc")

    store.put_stream("a/b.warc", io.BytesIO(b"new"), content_type="application/warc")

    assert store.get("a/b.warc") == b"new"


@pytest.mark.parametrize("size", [10, 2 * PART + 1])
def test_failed_stream_leaves_nothing(store: ObjectStore, size: int) -> None:
    store.put("a/kept.warc", b"earlier snapshot", content_type="application/warc")

    with pytest.raises(OSError, match="the source went away"):
        store.put_stream(
            "a/new.warc", Generated(size, fail_after=size - 5), content_type="application/warc"
        )
    with pytest.raises(OSError, match="the source went away"):
        store.put_stream(
            "a/kept.warc", Generated(size, fail_after=size - 5), content_type="application/warc"
        )

    assert list(store.list("")) == ["a/kept.warc"]
    assert store.get("a/kept.warc") == b"earlier snapshot"
    if isinstance(store, S3Store):
        assert versions_of(store, "a/new.warc") == []
        assert len(versions_of(store, "a/kept.warc")) == 1
        uploads = store.client.list_multipart_uploads(Bucket=store.bucket)
        assert uploads.get("Uploads", []) == []


@pytest.mark.parametrize(("actual", "announced"), [(100, 101), (100, 99), (2 * PART, PART + 1)])
def test_a_stream_of_another_size_than_announced_leaves_nothing(
    store: ObjectStore, actual: int, announced: int
) -> None:
    with pytest.raises(ValueError, match="announced"):
        store.put_stream(
            "a/b.warc", Generated(actual), content_type="application/warc", size=announced
        )

    assert list(store.list("")) == []


def test_stream_memory_stays_flat(store: ObjectStore) -> None:
    """Bounded by the part size and upload threads (2 here), not by the stream."""
    size = 10 * PART

    tracemalloc.start()
    try:
        store.put_stream("a/big.warc", Generated(size), content_type="application/warc")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert store.stat("a/big.warc").size == size
    assert peak < 6 * PART, f"peak {peak / 2**20:.1f} MiB for a {size / 2**20:.0f} MiB stream"
