"""Where things live in the bucket, readable by a person browsing it.

sites/{site}/posts/{id}/versions/0000000001.json
sites/{site}/posts/{id}/events/{webhook-id}.json
sites/{site}/comments/{id}/versions/0000000001.json
sites/{site}/personal/{sha256}.json          commenters' e-mail, IP, user agent
"""

from __future__ import annotations

from service.records.model import Kind

VERSION_DIGITS = 10


def site_prefix(site_id: str) -> str:
    return f"sites/{site_id}/"


def record_prefix(site_id: str, kind: Kind, source_id: int) -> str:
    return f"sites/{site_id}/{kind.folder}/{source_id}/"


def versions_prefix(site_id: str, kind: Kind, source_id: int) -> str:
    return record_prefix(site_id, kind, source_id) + "versions/"


def version_key(site_id: str, kind: Kind, source_id: int, version: int) -> str:
    return f"{versions_prefix(site_id, kind, source_id)}{version:0{VERSION_DIGITS}d}.json"


def event_key(site_id: str, kind: Kind, source_id: int, webhook_id: str) -> str:
    return f"{record_prefix(site_id, kind, source_id)}events/{webhook_id}.json"


def personal_key(site_id: str, sha256: str) -> str:
    return f"sites/{site_id}/personal/{sha256}.json"


def version_number(key: str) -> int:
    """The version number in a version key."""
    return int(key.rsplit("/", 1)[1].removesuffix(".json"))
