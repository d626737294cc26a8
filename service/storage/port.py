"""The object storage port."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, Protocol

from service.errors import ObjectLocked
from service.storage.locks import Lock

JSON = "application/json"


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    content_type: str
    last_modified: datetime  # timezone-aware, UTC


@dataclass(frozen=True)
class StoredVersion:
    """One version of an object (or an S3 delete marker) as `versions` found it: enough to
    remove exactly that version later, and what protected it then."""

    key: str
    version_id: str | None = None  # None where the store keeps one version of a key
    latest: bool = True  # the version a `get` reads (a delete marker: none is read)
    marker: bool = False  # an S3 delete marker: no content, no lock
    lock: Lock = field(default_factory=Lock)
    # The bytes of a latest version, where `versions` was asked to read them.
    data: bytes | None = field(default=None, repr=False, compare=False)


# What `versions` answers (a name of its own: `list` is a method of every store).
Versions = list[StoredVersion]


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
    `versions` + `erase_versions` are `erase` in two steps, for a caller that must name what
    it will erase before it erases it (the culling log), and erases many records at once.
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

    def versions(self, target: str, *, read: Callable[[str], bool] | None = None) -> Versions:
        """Every version and delete marker of `target` — one key, or every key under a
        prefix ending with `/` (as `erase_prefix` takes it) — in key order, each with its
        legal hold and retention (read where the store has Object Lock). A missing target
        has none. The latest version of each key for which `read(key)` is true comes with
        its bytes (`data`; S3 reads them and the lock in one request)."""

    def erase_versions(
        self, versions: Sequence[StoredVersion], *, bypass_governance: bool = False
    ) -> int:
        """Remove exactly these versions (found by `versions`, of any number of targets) in
        as few requests as the store allows; return how many are gone (all of them).

        All or nothing as far as locks go: if the lock found with any version forbids its
        removal (`Lock.refuses_removal`), `ObjectLocked` and nothing is removed. Locks set
        since are enforced by the storage (S3) or here (the filesystem). A version gone
        meanwhile is not an error; on S3, one added since `versions` is not removed.
        """

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


def check_removable(
    versions: Iterable[StoredVersion], *, bypass_governance: bool, now: datetime
) -> None:
    """`ObjectLocked` for the first version whose lock, as found, forbids removing it now."""
    for version in versions:
        refusal = version.lock.refuses_removal(bypass_governance=bypass_governance, now=now)
        if refusal:
            raise ObjectLocked(version.key, f"a version is {refusal}")
