"""Object Lock and erasing on S3: holds, retention, and removing every version of a key.

The server enforces locks; we read every version's lock first and apply the same rules
(`locks.Lock`) so that a refused erase removes nothing instead of some versions. Versions
that need `BypassGovernanceRetention` go first, alone: if the credentials lack that
permission, the refusal comes before anything else is gone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import botocore.exceptions

from service.errors import ObjectLocked, StorageUnavailable
from service.storage.locks import Lock, check_retention_request
from service.storage.port import Capabilities
from service.storage.s3_errors import code

if TYPE_CHECKING:
    from service.storage.s3 import S3Store

# "Nothing set" answers; AWS and SeaweedFS name the missing retention differently.
_NO_HOLD = {"NoSuchObjectLegalHold"}
_NO_RETENTION = {"NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError"}
_GONE = {"NoSuchKey", "NoSuchVersion"}
_BATCH = 1000  # DeleteObjects' limit
_REFUSED = (
    "the storage refused (a lock set meanwhile, or credentials without "
    "s3:BypassGovernanceRetention)"
)


@dataclass(frozen=True)
class _Version:
    key: str  # as stored, with the store's prefix
    version_id: str
    marker: bool


def probe_capabilities(store: S3Store) -> Capabilities:
    try:
        config = store._call("get_object_lock_configuration")["ObjectLockConfiguration"]
        object_lock = config.get("ObjectLockEnabled") == "Enabled"
    except botocore.exceptions.ClientError as exc:
        if code(exc) not in _NO_RETENTION:
            raise
        object_lock = False
    versioning = object_lock or store._call("get_bucket_versioning").get("Status") == "Enabled"
    return Capabilities(versioning=versioning, object_lock=object_lock, object_lock_emulated=False)


def _optional(store: S3Store, operation: str, absent: set[str], **kwargs: Any) -> Any:
    """The answer, or None where S3 answers "nothing of that kind is set"."""
    try:
        return store._call(operation, **kwargs)
    except botocore.exceptions.ClientError as exc:
        if code(exc) in absent:
            return None
        raise


def _lock(store: S3Store, full_key: str, version_id: str | None) -> Lock:
    version = {"VersionId": version_id} if version_id else {}
    hold = _optional(store, "get_object_legal_hold", _NO_HOLD, Key=full_key, **version)
    retention = _optional(store, "get_object_retention", _NO_RETENTION, Key=full_key, **version)
    kept = (retention or {}).get("Retention", {})
    until: datetime | None = kept.get("RetainUntilDate")
    return Lock(
        hold=(hold or {}).get("LegalHold", {}).get("Status") == "ON",
        mode=kept.get("Mode"),
        until=until.astimezone(UTC) if until else None,
    )


def current_lock(store: S3Store, key: str) -> Lock:
    full_key = store._key(key)
    if not store.capabilities().object_lock:
        store._call("head_object", Key=full_key)  # FileNotFoundError if missing
        return Lock()
    return _lock(store, full_key, None)


def _current_version(store: S3Store, key: str) -> str:
    """Locks go on the version that exists now (a missing key is FileNotFoundError)."""
    if not store.capabilities().object_lock:
        raise NotImplementedError(
            f"{store.describe()} has no Object Lock: create the bucket with it"
        )
    return str(store._call("head_object", Key=store._key(key))["VersionId"])


def set_legal_hold(store: S3Store, key: str, on: bool) -> None:
    version_id = _current_version(store, key)
    store._call(
        "put_object_legal_hold",
        Key=store._key(key),
        VersionId=version_id,
        LegalHold={"Status": "ON" if on else "OFF"},
    )


def set_retention(store: S3Store, key: str, until: datetime, mode: str, *, bypass: bool) -> None:
    now = datetime.now(UTC)
    check_retention_request(until, mode, now)
    version_id = _current_version(store, key)
    full_key = store._key(key)
    refusal = _lock(store, full_key, version_id).refuses_retention(
        mode, until, bypass_governance=bypass, now=now
    )
    if refusal:
        raise ObjectLocked(key, refusal)
    try:
        store._call(
            "put_object_retention",
            Key=full_key,
            VersionId=version_id,
            Retention={"Mode": mode, "RetainUntilDate": until},
            **({"BypassGovernanceRetention": True} if bypass else {}),
        )
    except PermissionError:
        raise ObjectLocked(key, _REFUSED) from None


def _versions(store: S3Store, prefix: str, *, exact: bool) -> Iterator[_Version]:
    markers: dict[str, str] = {}
    while True:
        page = store._call("list_object_versions", Prefix=prefix, **markers)
        for item, marker in [(v, False) for v in page.get("Versions", [])] + [
            (m, True) for m in page.get("DeleteMarkers", [])
        ]:
            if not exact or item["Key"] == prefix:
                yield _Version(str(item["Key"]), str(item["VersionId"]), marker)
        if not page.get("IsTruncated"):
            return
        markers = {
            "KeyMarker": page["NextKeyMarker"],
            "VersionIdMarker": page["NextVersionIdMarker"],
        }


def erase(store: S3Store, prefix: str, *, exact: bool, bypass: bool) -> int:
    """Remove every version and delete marker under `prefix` (or of exactly that key)."""
    versions = list(_versions(store, prefix, exact=exact))
    needs_bypass: list[_Version] = []
    if store.capabilities().object_lock:
        now = datetime.now(UTC)
        for version in versions:
            if version.marker:
                continue
            lock = _lock(store, version.key, version.version_id)
            refusal = lock.refuses_removal(bypass_governance=bypass, now=now)
            if refusal:
                raise ObjectLocked(_relative(store, version), f"a version is {refusal}")
            if lock.active_retention(now):
                needs_bypass.append(version)
    first = set(needs_bypass)
    rest = [v for v in versions if v not in first]
    _delete(store, needs_bypass, bypass=True)
    _delete(store, rest, bypass=False)
    return len(versions)


def _delete(store: S3Store, versions: list[_Version], *, bypass: bool) -> None:
    for start in range(0, len(versions), _BATCH):
        batch = versions[start : start + _BATCH]
        answer = store._call(
            "delete_objects",
            Delete={
                "Objects": [{"Key": v.key, "VersionId": v.version_id} for v in batch],
                "Quiet": True,
            },
            **({"BypassGovernanceRetention": True} if bypass else {}),
        )
        for error in answer.get("Errors", []):
            if error.get("Code") in _GONE:  # erased meanwhile: the goal is reached
                continue
            key = str(error.get("Key", ""))[len(store.prefix) :]
            if error.get("Code") == "AccessDenied":
                raise ObjectLocked(key, _REFUSED)
            raise StorageUnavailable(f"S3 delete_objects {key}: {error.get('Code')}")


def _relative(store: S3Store, version: _Version) -> str:
    return version.key[len(store.prefix) :]
