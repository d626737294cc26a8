"""Local copies of a snapshot's WARC and index, for replay's random reads.

Replay seeks to a record's offset for every page and image; object storage has no seek, so
each file is streamed once from storage (`storage.open()`, bounded memory) into the cache
directory, checked against the SHA-256 in the manifest, and moved into place atomically.
The copies never change (a snapshot is never rewritten), so any process may use one another
process made, and the directory may be emptied at any time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from pathlib import Path

from service.errors import IntegrityError
from service.storage.port import ObjectStore

CHUNK = 1024 * 1024


class LocalCopies:
    def __init__(self, storage: ObjectStore, directory: Path):
        self.storage = storage
        self.directory = directory
        self._lock = threading.Lock()  # one download per file in this process

    def path(self, key: str, size: int, sha256: str) -> Path:
        """The local copy of `key` (downloaded if missing); named by its hash."""
        target = self.directory / sha256[:2] / f"{sha256}{Path(key).suffix}"
        if _complete(target, size):
            return target
        with self._lock:
            if not _complete(target, size):
                self._download(key, target, sha256)
        return target

    def _download(self, key: str, target: Path, sha256: str) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".download-")
        try:
            with os.fdopen(fd, "wb") as out, self.storage.open(key) as stream:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != sha256:
                raise IntegrityError(f"{key} does not match the SHA-256 in its manifest")
            os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)

    def clear(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def _complete(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except FileNotFoundError:
        return False
