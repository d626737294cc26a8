"""Filesystem adapter: the embedded default. Atomic writes by temp file + rename/link.

What S3 keeps in object metadata lives here in one JSON sidecar per object, under the hidden
`.sidecars/` tree at the root (a key may not start with `.sidecars/`; `list()` never shows
it). A sidecar exists only when there is something to say: a legal hold, a retention, or a
content type other than the one the key's suffix implies (`.json` → application/json,
`.warc`/`.warc.gz` → application/warc, else application/octet-stream). Sidecar updates are
last-writer-wins.

Differences from S3, which keeps versions: replacing (`put`, `put_stream`) or deleting a key
under hold or retention raises `ObjectLocked` here, where S3 would add a new version or a
delete marker and keep the locked one. The lock is enforced by this adapter only; anyone with
shell access can still remove files (`capabilities().object_lock_emulated`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

from service.errors import ObjectLocked, StorageUnavailable
from service.storage.locks import Lock, check_retention_request
from service.storage.port import (
    JSON,
    Capabilities,
    ObjectInfo,
    StoredVersion,
    Versions,
    check_removable,
    validate_key,
    validate_record_prefix,
)
from service.storage.streams import SizedReader

_TMP_PREFIX = ".tmp-"
# A full disk or quota, a read-only mount: the write can be retried once that is mended.
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}
_SIDECARS = ".sidecars"
_CHUNK = 1024 * 1024
_TYPES_BY_SUFFIX = (
    (".json", JSON),
    (".warc.gz", "application/warc"),
    (".warc", "application/warc"),
)
_OCTETS = "application/octet-stream"


def _implied_type(key: str) -> str:
    return next((kind for suffix, kind in _TYPES_BY_SUFFIX if key.endswith(suffix)), _OCTETS)


def _now() -> datetime:
    return datetime.now(UTC)


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

    def capabilities(self) -> Capabilities:
        return Capabilities(versioning=False, object_lock=True, object_lock_emulated=True)

    def _path(self, key: str) -> Path:
        if validate_key(key).split("/", 1)[0] == _SIDECARS:
            raise ValueError(f"invalid object key: {key!r} ({_SIDECARS}/ is reserved)")
        return self.root / key

    # --- writing ---------------------------------------------------------------------------

    def _write_temp(self, path: Path, chunks: Iterable[bytes]) -> tuple[str, int]:
        for attempt in range(3):  # a concurrent erase may prune the directory in between
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TMP_PREFIX)
                break
            except FileNotFoundError:
                if attempt == 2:
                    raise StorageUnavailable(f"cannot write under {self.root}") from None
            except OSError as exc:
                raise StorageUnavailable(f"cannot write under {self.root}: {exc}") from exc
        written = 0
        try:
            with os.fdopen(fd, "wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
                    written += len(chunk)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException as exc:
            os.unlink(tmp)
            if isinstance(exc, OSError) and exc.errno in _FULL:
                raise StorageUnavailable(f"cannot write under {self.root}: {exc}") from exc
            raise
        return tmp, written

    def _store(self, key: str, chunks: Iterable[bytes], content_type: str, *, replace: bool) -> int:
        path = self._path(key)
        if replace:  # no versions here: replacing destroys what a lock protects
            self._refuse_if_locked(key)
        tmp, written = self._write_temp(path, chunks)
        try:
            if replace:
                os.replace(tmp, path)
            else:
                os.link(tmp, path)  # fails with FileExistsError if the key is taken
        except OSError as exc:
            if exc.errno not in _FULL:
                raise
            raise StorageUnavailable(f"cannot write under {self.root}: {exc}") from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        self._update_sidecar(key, content_type=content_type)
        return written

    def put(self, key: str, data: bytes, content_type: str = JSON) -> None:
        self._store(key, (data,), content_type, replace=True)

    def put_new(self, key: str, data: bytes, content_type: str = JSON) -> None:
        self._store(key, (data,), content_type, replace=False)

    def put_stream(
        self, key: str, stream: BinaryIO, *, content_type: str, size: int | None = None
    ) -> int:
        reader = SizedReader(stream, size)
        return self._store(key, iter(lambda: reader.read(_CHUNK), b""), content_type, replace=True)

    # --- reading ---------------------------------------------------------------------------

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except IsADirectoryError:
            raise FileNotFoundError(key) from None

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path(key).open("rb")
        except IsADirectoryError:
            raise FileNotFoundError(key) from None

    def stat(self, key: str) -> ObjectInfo:
        path = self._path(key)
        info = path.stat()
        if not path.is_file():
            raise FileNotFoundError(key)
        return ObjectInfo(
            size=info.st_size,
            content_type=self._sidecar(key).get("content_type", _implied_type(key)),
            last_modified=datetime.fromtimestamp(info.st_mtime, UTC),
        )

    def list(self, prefix: str) -> Iterator[str]:
        directory, _, _ = prefix.rpartition("/")
        if directory.split("/", 1)[0] == _SIDECARS:
            return
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
            if key == _SIDECARS:
                continue
            if entry.is_dir(follow_symlinks=False):
                # Descend only where keys below can still start with the prefix.
                if (key + "/").startswith(prefix) or prefix.startswith(key + "/"):
                    yield from self._walk(Path(entry.path), prefix)
            elif key.startswith(prefix):
                yield key

    # --- removing --------------------------------------------------------------------------

    def delete(self, key: str) -> None:
        self._remove(key, bypass_governance=False)

    def erase(self, key: str, *, bypass_governance: bool = False) -> int:
        validate_key(key)  # one key, never a prefix
        return self.erase_versions(self.versions(key), bypass_governance=bypass_governance)

    def erase_prefix(self, prefix: str, *, bypass_governance: bool = False) -> int:
        validate_record_prefix(prefix)
        return self.erase_versions(self.versions(prefix), bypass_governance=bypass_governance)

    def versions(self, target: str, *, read: Callable[[str], bool] | None = None) -> Versions:
        """One version per key: the file (a key is not an object if a directory)."""
        if target.endswith("/"):
            keys = list(self.list(validate_record_prefix(target)))
        else:
            keys = [target] if self._path(target).is_file() else []
        found = []
        for key in keys:
            data = None
            if read is not None and read(key):
                with contextlib.suppress(FileNotFoundError):  # erased meanwhile
                    data = self.get(key)
            found.append(StoredVersion(key, lock=self._lock(key), data=data))
        return found

    def erase_versions(
        self, versions: Sequence[StoredVersion], *, bypass_governance: bool = False
    ) -> int:
        """All or nothing: every lock, as found and as it is now, before anything goes."""
        now = _now()
        check_removable(versions, bypass_governance=bypass_governance, now=now)
        current = [replace(v, lock=self._lock(v.key)) for v in versions]
        check_removable(current, bypass_governance=bypass_governance, now=now)
        for version in versions:
            self._remove(version.key, bypass_governance=bypass_governance)
        return len(versions)

    def _remove(self, key: str, *, bypass_governance: bool) -> int:
        path = self._path(key)
        self._refuse_if_locked(key, bypass_governance=bypass_governance)
        try:
            path.unlink()
        except (FileNotFoundError, IsADirectoryError):
            return 0
        finally:
            self._remove_file(self._sidecar_path(key))
        self._prune(path.parent)
        return 1

    def _remove_file(self, path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            self._prune(path.parent)

    def _prune(self, directory: Path) -> None:
        """Drop emptied directories: after culling, not even a record's key may remain."""
        while directory != self.root and directory.is_relative_to(self.root):
            try:
                directory.rmdir()
            except OSError:  # not empty, or already gone
                return
            directory = directory.parent

    # --- locks -----------------------------------------------------------------------------

    def set_legal_hold(self, key: str, on: bool) -> None:
        self._require(key)
        self._update_sidecar(key, hold=on or None)

    def legal_hold(self, key: str) -> bool:
        self._require(key)
        return self._lock(key).hold

    def set_retention(
        self,
        key: str,
        until: datetime,
        *,
        mode: str = "GOVERNANCE",
        bypass_governance: bool = False,
    ) -> None:
        now = _now()
        check_retention_request(until, mode, now)
        self._require(key)
        refusal = self._lock(key).refuses_retention(
            mode, until, bypass_governance=bypass_governance, now=now
        )
        if refusal:
            raise ObjectLocked(key, refusal)
        self._update_sidecar(key, retention={"mode": mode, "until": until.isoformat()})

    def retention(self, key: str) -> datetime | None:
        self._require(key)
        return self._lock(key).until

    def _require(self, key: str) -> None:
        if not self._path(key).is_file():
            raise FileNotFoundError(key)

    def _lock(self, key: str) -> Lock:
        sidecar = self._sidecar(key)
        retention = sidecar.get("retention") or {}
        until = retention.get("until")
        return Lock(
            hold=bool(sidecar.get("hold")),
            mode=retention.get("mode"),
            until=datetime.fromisoformat(until) if until else None,
        )

    def _refuse_if_locked(self, key: str, *, bypass_governance: bool = False) -> None:
        refusal = self._lock(key).refuses_removal(bypass_governance=bypass_governance, now=_now())
        if refusal:
            raise ObjectLocked(key, refusal)

    # --- sidecars --------------------------------------------------------------------------

    def _sidecar_path(self, key: str) -> Path:
        return self.root / _SIDECARS / f"{key}.json"

    def _sidecar(self, key: str) -> dict[str, Any]:
        try:
            loaded: dict[str, Any] = json.loads(self._sidecar_path(key).read_bytes())
        except (FileNotFoundError, NotADirectoryError):
            return {}
        return loaded

    def _update_sidecar(self, key: str, **changes: Any) -> None:
        """Set fields (None removes one); an implied content type is not worth a file."""
        if changes.get("content_type") == _implied_type(key):
            changes["content_type"] = None
        sidecar = self._sidecar(key)
        updated = {k: v for k, v in {**sidecar, **changes}.items() if v is not None}
        if updated == sidecar:
            return
        path = self._sidecar_path(key)
        if not updated:
            self._remove_file(path)
            return
        tmp, _ = self._write_temp(path, (json.dumps(updated, sort_keys=True).encode(),))
        try:
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def remove_abandoned_writes(self, older_than: float) -> int:
        """Remove temp files of writes whose process died (kill -9, power loss) that have
        not been touched for `older_than` seconds; never visible as objects, but disk."""
        cutoff = time.time() - older_than
        removed = 0
        for path in self.root.rglob(f"{_TMP_PREFIX}*"):
            with contextlib.suppress(FileNotFoundError):
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            if not os.access(self.root, os.W_OK):
                raise StorageUnavailable(f"{self.root} is not writable")
        except OSError as exc:
            raise StorageUnavailable(f"{self.root}: {exc}") from exc
