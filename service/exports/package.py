"""The ZIP an export hands out, written file by file into a local file and hashed as it
goes, with `manifest.json` last: the SHA-256 and size of every other file in it.

Entries carry the request's moment as their date, so the same export built twice holds the
same files with the same hashes.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from service.records.canonical import seal

MANIFEST_NAME = "manifest.json"
MANIFEST_SCHEMA = "offentlig.export-manifest/1"
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class PackedFile:
    name: str
    size: int
    sha256: str
    content_type: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "size": self.size,
            "sha256": self.sha256,
            "content_type": self.content_type,
        }


class Package:
    """A ZIP being written to `target`; `finish()` adds the manifest and closes it."""

    def __init__(self, target: BinaryIO, moment: datetime):
        self._zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED)
        local = moment.astimezone(UTC)
        # ZIP dates are local wall time without a zone, from 1980 on; UTC here.
        self._date = max(local.timetuple()[:6], (1980, 1, 1, 0, 0, 0))
        self.files: list[PackedFile] = []
        self._names: set[str] = set()

    def _info(self, name: str, last: bool = False) -> zipfile.ZipInfo:
        if (name == MANIFEST_NAME) != last or name in self._names:
            raise ValueError(f"{name} is already in the package")
        self._names.add(name)
        info = zipfile.ZipInfo(name, date_time=self._date)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def add(self, name: str, data: bytes, content_type: str) -> PackedFile:
        self._zip.writestr(self._info(name), data)
        packed = PackedFile(name, len(data), hashlib.sha256(data).hexdigest(), content_type)
        self.files.append(packed)
        return packed

    def add_file(self, name: str, path: Path, content_type: str) -> PackedFile:
        """A local file, streamed in (a PDF of thousands of pages stays out of memory)."""
        digest, size = hashlib.sha256(), 0
        with path.open("rb") as source, self._zip.open(self._info(name), "w") as out:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        packed = PackedFile(name, size, digest.hexdigest(), content_type)
        self.files.append(packed)
        return packed

    def finish(self, body: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        """Write the sealed manifest (`body` and the file list) and close the ZIP."""
        document, data = seal(
            {"schema": MANIFEST_SCHEMA, **body, "files": [f.as_dict() for f in self.files]}
        )
        self._zip.writestr(self._info(MANIFEST_NAME, last=True), data)
        self._zip.close()
        return document, data
