"""A SIP's large files are streamed: a snapshot's WARC goes from storage into the ZIP in
bounded chunks, is never read whole, and is checked against its manifest on the way."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import pytest

from service.auth.actor import Actor
from service.errors import IntegrityError
from service.exports.sip.content import Content
from service.exports.sip.context import Transfer
from service.exports.sip.selection import Period
from service.exports.sip.target import CHUNK, ZipTarget
from service.records.canonical import seal
from service.storage.filesystem import FileStore

ZONE = ZoneInfo("Europe/Stockholm")
WARC_SIZE = 5 * CHUNK + 12345


class Watched(FileStore):
    """A file store that remembers what was read whole and the largest read of a stream."""

    def __init__(self, root: Path):
        super().__init__(root)
        self.read_whole: list[str] = []
        self.largest_read = 0

    def get(self, key: str) -> bytes:
        self.read_whole.append(key)
        return super().get(key)

    def open(self, key: str) -> BinaryIO:
        store = self
        inner = super().open(key)

        class Stream(io.RawIOBase):
            def readinto(self, buffer: Any) -> int:
                data = inner.read(len(buffer))
                store.largest_read = max(store.largest_read, len(data))
                buffer[: len(data)] = data
                return len(data)

            def close(self) -> None:
                inner.close()
                super().close()

        return Stream()  # type: ignore[return-value]


def transfer() -> Transfer:
    return Transfer(
        objid="offentlig-sip-test",
        created=datetime(2026, 12, 1, 10, tzinfo=UTC),
        software_version="0.1.0",
        authority="Staffanstorps kommun",
        authority_id=None,
        site_id="site1",
        site_name="Staffanstorps kommun",
        site_url="https://www.example.se",
        first_day=date(2026, 11, 1),
        last_day=date(2026, 11, 30),
        requested_by=Actor("cli", "test"),
        zone=ZONE,
    )


def stored_snapshot(store: FileStore, warc: bytes, stated_sha256: str | None = None) -> Any:
    prefix = "sites/site1/snapshots/snap1/"
    store.put(f"{prefix}snapshot.warc.gz", warc, "application/warc")
    store.put(f"{prefix}index.cdxj", b"{}\n", "text/plain")
    files = [
        {
            "key": f"{prefix}snapshot.warc.gz",
            "role": "warc",
            "content_type": "application/warc",
            "size": len(warc),
            "sha256": stated_sha256 or hashlib.sha256(warc).hexdigest(),
        },
        {
            "key": f"{prefix}index.cdxj",
            "role": "cdxj",
            "content_type": "text/plain",
            "size": 3,
            "sha256": hashlib.sha256(b"{}\n").hexdigest(),
        },
    ]
    _, data = seal(
        {"site": "https://www.example.se/", "ended_at": "2026-11-20T10:00:00Z", "files": files}
    )
    store.put(f"{prefix}manifest.json", data)
    return SimpleNamespace(id="snap1", manifest_key=f"{prefix}manifest.json")


def test_a_warc_is_streamed_into_the_zip_in_bounded_chunks(tmp_path: Path) -> None:
    store = Watched(tmp_path / "objects")
    warc = os.urandom(WARC_SIZE)
    row = stored_snapshot(store, warc)
    with (tmp_path / "sip.zip").open("w+b") as out:
        target = ZipTarget(out, "offentlig-sip-test")
        content = Content(store, target, transfer(), secret={})
        content.add_snapshot(row)
        [packed] = [f for f in content.snapshots.files if f.role == "warc"]
        content.close()
        target.close()
    assert store.read_whole == [row.manifest_key]  # the WARC and index only as streams
    assert 0 < store.largest_read <= CHUNK
    assert (packed.size, packed.sha256) == (WARC_SIZE, hashlib.sha256(warc).hexdigest())
    with zipfile.ZipFile(tmp_path / "sip.zip") as package:
        name = "offentlig-sip-test/representations/snapshots/data/snap1/snapshot.warc.gz"
        assert package.read(name) == warc
        assert package.getinfo(name).compress_type == zipfile.ZIP_STORED  # gzip already


def test_a_warc_that_does_not_match_its_manifest_fails_the_copy(tmp_path: Path) -> None:
    store = Watched(tmp_path / "objects")
    row = stored_snapshot(store, b"WARC/1.1 tampered", stated_sha256="0" * 64)
    with (tmp_path / "sip.zip").open("w+b") as out:
        target = ZipTarget(out, "x")
        content = Content(store, target, transfer(), secret={})
        with pytest.raises(IntegrityError, match="does not match its manifest"):
            content.add_snapshot(row)
        content.close()
        target.close()


@pytest.mark.parametrize(
    ("first", "last", "start", "end"),
    [
        # Winter time (UTC+1) on both ends.
        (date(2026, 1, 1), date(2026, 1, 31), "2025-12-31T23:00:00", "2026-01-31T23:00:00"),
        # Summer time starts on 29 March: the period ends at midnight, UTC+2.
        (date(2026, 3, 1), date(2026, 3, 31), "2026-02-28T23:00:00", "2026-03-31T22:00:00"),
        # One day, the last Sunday of October, 25 hours long.
        (date(2026, 10, 25), date(2026, 10, 25), "2026-10-24T22:00:00", "2026-10-25T23:00:00"),
    ],
)
def test_a_period_is_whole_local_days(first: date, last: date, start: str, end: str) -> None:
    lower, upper = Period(first, last).bounds(ZONE)
    as_utc = [moment.astimezone(UTC).replace(tzinfo=None).isoformat() for moment in (lower, upper)]
    assert as_utc == [start, end]
