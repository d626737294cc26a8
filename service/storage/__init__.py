"""Object storage: the source of truth. One small port, two adapters.

Callers see only builtin errors (`FileNotFoundError`, `FileExistsError`, `PermissionError`),
`StorageUnavailable` and `ObjectLocked`; no vendor type crosses this boundary.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from service.storage.port import Capabilities, ObjectInfo, ObjectStore

__all__ = ["Capabilities", "ObjectInfo", "ObjectStore", "open_store"]


def _file_store(url: str, config: dict[str, Any]) -> ObjectStore:
    from service.storage.filesystem import FileStore

    return FileStore.from_url(url)


def _s3_store(url: str, config: dict[str, Any]) -> ObjectStore:
    from service.storage.s3 import S3Store

    return S3Store.from_url(
        url, endpoint_url=config.get("S3_ENDPOINT_URL"), region=config.get("S3_REGION")
    )


BACKENDS: dict[str, Callable[[str, dict[str, Any]], ObjectStore]] = {
    "file": _file_store,
    "s3": _s3_store,
}


def open_store(config: dict[str, Any]) -> ObjectStore:
    """Build the store named by `STORAGE_URL` (`file:///path` or `s3://bucket[/prefix]`)."""
    url = str(config["STORAGE_URL"])
    scheme = urlsplit(url).scheme
    try:
        factory = BACKENDS[scheme]
    except KeyError:
        raise ValueError(
            f"OFFENTLIG_STORAGE_URL must start with file:// or s3://, not {url!r}"
        ) from None
    return factory(url, config)
