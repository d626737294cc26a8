"""The object storage port."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol

JSON = "application/json"


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    content_type: str
    last_modified: datetime  # timezone-aware, UTC


@dataclass(frozen=True)
class Capabilities:
    """What the store can promise, so callers can decide (e.g. whether culling must erase
    old versions, or whether a legal hold survives someone with shell access)."""

    versioning: bool  # replaced and deleted objects stay behind as old versions
    object_lock: bool  # legal holds and retention can be set and are honoured by this port
    object_lock_emulated: bool  # enforced by this adapter only, not by the storage itself


class ObjectStore(Protocol):
    """A flat key → bytes store with `/`-separated keys that read well in a bucket browser.

    Removing content: `delete` is the everyday operation (on a versioned bucket it leaves old
    versions behind); `erase` is for culling under a decision and removes every version.
    Both, and replacing a key, raise `ObjectLocked` where a legal hold or retention forbids it.
    """

    def put(self, key: str, data: bytes, content_type: str = JSON) -> None:
        """Write `data` at `key`, replacing what is there, atomically."""

    def put_new(self, key: str, data: bytes, content_type: str = JSON) -> None:
        """Write `data` at `key` only if nothing is there yet; else raise `FileExistsError`.

        This is what makes version numbers safe under concurrent deliveries.
        """

    def put_stream(
        self, key: str, stream: BinaryIO, *, content_type: str, size: int | None = None
    ) -> int:
        """Copy `stream` to `key` in bounded memory (multi-GB WARCs); return the bytes written.

        Atomic: nothing is visible at `key` until the copy is complete, and a failing stream
        leaves nothing behind. With `size`, a stream of any other length is a `ValueError`.
        """

    def get(self, key: str) -> bytes:
        """The object's bytes; `FileNotFoundError` if there is none."""

    def open(self, key: str) -> BinaryIO:
        """A readable stream of the object (close it, or use `with`); `FileNotFoundError`."""

    def stat(self, key: str) -> ObjectInfo:
        """Size, content type and modification time; `FileNotFoundError` if missing."""

    def list(self, prefix: str) -> Iterator[str]:
        """Every key that starts with `prefix`, in lexicographic order."""

    def delete(self, key: str) -> None:
        """Remove `key`; removing a missing key is not an error."""

    def erase(self, key: str, *, bypass_governance: bool = False) -> int:
        """Remove `key` and every old version and delete marker of it; return how many
        versions went (0 for a missing key).

        Every version's hold and retention is checked before anything is removed, so a lock
        raises `ObjectLocked` and removes nothing. `bypass_governance` overrides GOVERNANCE
        retention (never COMPLIANCE, never a legal hold). A failure part-way (network) may
        leave some versions; erasing again finishes the job.
        """

    def erase_prefix(self, prefix: str, *, bypass_governance: bool = False) -> int:
        """`erase` every key under `prefix` (a whole record: it must end with `/`)."""

    def set_legal_hold(self, key: str, on: bool) -> None:
        """Put or lift a legal hold on the current version of `key`."""

    def legal_hold(self, key: str) -> bool:
        """Whether the current version of `key` is under legal hold."""

    def set_retention(
        self,
        key: str,
        until: datetime,
        *,
        mode: str = "GOVERNANCE",
        bypass_governance: bool = False,
    ) -> None:
        """Keep the current version of `key` until `until` (aware, in the future).

        Extending is always allowed; shortening or weakening GOVERNANCE retention needs
        `bypass_governance`, and COMPLIANCE retention can never be shortened (`ObjectLocked`).
        """

    def retention(self, key: str) -> datetime | None:
        """The retain-until date of the current version of `key`, if one was set."""

    def capabilities(self) -> Capabilities:
        """What this store supports (asked of the storage once, then remembered)."""

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


def validate_record_prefix(prefix: str) -> str:
    """A prefix to erase names a whole "directory": `posts/1/` must never take `posts/10`."""
    if not prefix.endswith("/"):
        raise ValueError(f"a prefix to erase must end with '/': {prefix!r}")
    validate_key(prefix[:-1])
    return prefix
