"""The object storage port."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol


class ObjectStore(Protocol):
    """A flat key → bytes store with `/`-separated keys that read well in a bucket browser."""

    def put(self, key: str, data: bytes) -> None:
        """Write `data` at `key`, replacing what is there, atomically."""

    def put_new(self, key: str, data: bytes) -> None:
        """Write `data` at `key` only if nothing is there yet; else raise `FileExistsError`.

        This is what makes version numbers safe under concurrent deliveries.
        """

    def get(self, key: str) -> bytes:
        """The object's bytes; `FileNotFoundError` if there is none."""

    def list(self, prefix: str) -> Iterator[str]:
        """Every key that starts with `prefix`, in lexicographic order."""

    def delete(self, key: str) -> None:
        """Remove `key`; removing a missing key is not an error."""

    def check(self) -> None:
        """Raise `StorageUnavailable` unless the store can be reached now."""

    def describe(self) -> str:
        """Where the objects are, for humans (no credentials)."""


def validate_key(key: str) -> str:
    """Keys are relative, `/`-separated, without empty, `.` or `..` segments."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"invalid object key: {key!r}")
    return key
