"""The snapshot's manifest: what was crawled, how, what was refused, and the stored files
with their SHA-256, sealed (RFC 8785 + SHA-256) like every document the archive keeps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from service.records.canonical import seal

SCHEMA = "offentlig.snapshot-manifest/1"


@dataclass(frozen=True)
class StoredFile:
    key: str
    role: str  # "warc" | "cdxj"
    content_type: str
    size: int
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "role": self.role,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class Manifest:
    key: str  # where it is stored
    document: dict[str, Any]  # as stored, with its own `sha256`
    data: bytes  # the stored (canonical) bytes

    @property
    def sha256(self) -> str:
        return str(self.document["sha256"])


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def build(body: dict[str, Any], files: list[StoredFile]) -> tuple[dict[str, Any], bytes]:
    """Seal `body` (site, times, settings, counts, …) with the schema and the file list."""
    return seal({"schema": SCHEMA, **body, "files": [f.as_dict() for f in files]})
