"""Where a package is written — a ZIP on a local file — and what each written file was.

Every file goes through `ZipTarget.write`, which counts and hashes the bytes as they
pass: the SHA-256 and size that METS and PREMIS state are those of the bytes in the package,
never recomputed from elsewhere. Nothing is held in memory beyond one chunk.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import IO, BinaryIO

CHUNK = 1024 * 1024
# Already compressed: stored in the ZIP as they are.
_STORED = (".gz", ".zip", ".png", ".jpg", ".jpeg", ".gif", ".webp")


@dataclass(frozen=True)
class PackedFile:
    """One file in the package, as METS and PREMIS describe it."""

    path: str  # relative to the package's root folder, e.g. "representations/records/data/…"
    size: int
    sha256: str
    mimetype: str
    created: str  # xs:dateTime: when the content came to be (captured, recorded, rendered)
    role: str  # "version", "event", "review", "registration", "personal", "html", "warc", …
    source: str | None = None  # the object key it was copied from
    unit: str | None = None  # the record id, or "snapshot/{id}", it belongs to
    derived_from: str | None = None  # the package path of the file it was rendered from
    label: str | None = None  # what it is, for people (a version's event type, …)

    def within(self, folder: str) -> str:
        """The path relative to `folder` (a representation's root)."""
        return str(PurePosixPath(self.path).relative_to(folder))


class _Counting:
    """A write-only stream that hashes and counts what passes to `inner`."""

    def __init__(self, inner: IO[bytes]):
        self.inner = inner
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        self.inner.write(data)
        return len(data)

    def flush(self) -> None:
        self.inner.flush()


def write(
    target: ZipTarget, path: str, modified: datetime, source: BinaryIO | bytes
) -> tuple[int, str]:
    """Write `source` (bytes, or a stream read in chunks) at `path`; its size and SHA-256."""
    with target.open(path, modified) as out:
        counting = _Counting(out)
        if isinstance(source, bytes):
            counting.write(source)
        else:
            while chunk := source.read(CHUNK):
                counting.write(chunk)
    return counting.size, counting.digest.hexdigest()


def write_file(
    target: ZipTarget,
    path: str,
    moment: datetime,
    body: BinaryIO | bytes,
    *,
    mimetype: str,
    role: str,
    created: str,
    **about: str | None,
) -> PackedFile:
    """Write a file and describe it: `about` fills `source`, `unit`, `derived_from`, `label`."""
    size, sha256 = write(target, path, moment, body)
    return PackedFile(path, size, sha256, mimetype, created, role, **about)


@contextmanager
def counted(target: ZipTarget, path: str, modified: datetime) -> Iterator[_Counting]:
    """Write at `path` through a stream that counts and hashes (for XML written piecewise)."""
    with target.open(path, modified) as out:
        yield _Counting(out)


class ZipTarget:
    """A ZIP (ZIP64 where needed) on a seekable binary file, one root folder inside it."""

    def __init__(self, file: IO[bytes], root: str):
        self.root = root
        self._zip = zipfile.ZipFile(file, "w", allowZip64=True)

    @contextmanager
    def open(self, path: str, modified: datetime) -> Iterator[IO[bytes]]:
        info = zipfile.ZipInfo(f"{self.root}/{path}", _zip_time(modified))
        stored = path.lower().endswith(_STORED)
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with self._zip.open(info, "w", force_zip64=True) as out:
            yield out

    def close(self) -> None:
        """Write the ZIP's central directory (the file stays open: it is the caller's)."""
        self._zip.close()


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    utc = moment.utctimetuple()
    return (max(utc.tm_year, 1980), utc.tm_mon, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec)


class Spool:
    """The files written so far, one JSON line each in a temporary file: METS and PREMIS
    are written from it after the data, in bounded memory."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self.count = 0
        self.bytes = 0

    def add(self, packed: PackedFile) -> PackedFile:
        self._file.write(json.dumps(asdict(packed), ensure_ascii=False) + "\n")
        self.count += 1
        self.bytes += packed.size
        return packed

    def __iter__(self) -> Iterator[PackedFile]:
        self._file.flush()
        self._file.seek(0)
        for line in self._file:
            yield PackedFile(**json.loads(line))
        self._file.seek(0, os.SEEK_END)

    def close(self) -> None:
        self._file.close()
