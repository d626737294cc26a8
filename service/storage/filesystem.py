"""Filesystem adapter: the embedded default. Atomic writes by temp file + rename/link."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from service.errors import StorageUnavailable
from service.storage.port import validate_key

_TMP_PREFIX = ".tmp-"


class FileStore:
    def __init__(self, root: Path):
        self.root = root

    @classmethod
    def from_url(cls, url: str) -> FileStore:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"file URLs must be local (file:///path), not {url!r}")
        return cls(Path(unquote(parts.path)))

    def describe(self) -> str:
        return f"file://{self.root}"

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    def _write_temp(self, path: Path, data: bytes) -> str:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TMP_PREFIX)
        except OSError as exc:
            raise StorageUnavailable(f"cannot write under {self.root}: {exc}") from exc
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            os.unlink(tmp)
            raise
        return tmp

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        tmp = self._write_temp(path, data)
        try:
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def put_new(self, key: str, data: bytes) -> None:
        path = self._path(key)
        tmp = self._write_temp(path, data)
        try:
            os.link(tmp, path)  # fails with FileExistsError if the key is taken
        finally:
            os.unlink(tmp)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except IsADirectoryError:
            raise FileNotFoundError(key) from None

    def list(self, prefix: str) -> Iterator[str]:
        directory, _, _ = prefix.rpartition("/")
        start = self.root / directory if directory else self.root
        if not start.is_dir():
            return
        yield from self._walk(start, prefix)

    def _walk(self, directory: Path, prefix: str) -> Iterator[str]:
        # A directory sorts as its name plus "/", so the walk yields keys in S3's byte order.
        entries = sorted(
            os.scandir(directory),
            key=lambda e: e.name + "/" if e.is_dir(follow_symlinks=False) else e.name,
        )
        for entry in entries:
            if entry.name.startswith(_TMP_PREFIX):
                continue
            key = Path(entry.path).relative_to(self.root).as_posix()
            if entry.is_dir(follow_symlinks=False):
                # Descend only where keys below can still start with the prefix.
                if (key + "/").startswith(prefix) or prefix.startswith(key + "/"):
                    yield from self._walk(Path(entry.path), prefix)
            elif key.startswith(prefix):
                yield key

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            if not os.access(self.root, os.W_OK):
                raise StorageUnavailable(f"{self.root} is not writable")
        except OSError as exc:
            raise StorageUnavailable(f"{self.root}: {exc}") from exc
