"""Object Lock and erasing on S3: holds, retention, and removing every version of a key.

The server enforces locks; we read every version's lock first (`versions`) and apply the
same rules (`locks.Lock`) so that a refused erase removes nothing instead of some versions.
Versions that need `BypassGovernanceRetention` go first, alone: if the credentials lack
that permission, the refusal comes before anything else is gone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import botocore.exceptions

from service.errors import ObjectLocked, StorageUnavailable
from service.storage.locks import Lock, check_retention_request
from service.storage.port import Capabilities, StoredVersion, check_removable
from service.storage.s3_errors import code, read_body

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


def versions(
    store: S3Store, target: str, *, exact: bool, read: Callable[[str], bool] | None
) -> list[StoredVersion]:
    """Every version and delete marker under `target` (the full key or prefix), each with
    its lock: on an Object Lock bucket one request per version, HeadObject — or GetObject
    where its bytes are wanted — which answers with the version's legal hold and retention
    together (to credentials that may read them: s3:GetObjectLegalHold and
    s3:GetObjectRetention)."""
    found = []
    for version in _listed(store, target, exact=exact):
        if version.marker:
            found.append(version)
        elif read is not None and version.latest and read(version.key):
            found.append(_with_lock(store, version, "get_object"))
        elif store.capabilities().object_lock:
            found.append(_with_lock(store, version, "head_object"))
        else:
            found.append(version)
    return found


def _listed(store: S3Store, prefix: str, *, exact: bool) -> Iterator[StoredVersion]:
    markers: dict[str, str] = {}
    while True:
        page = store._call("list_object_versions", Prefix=prefix, **markers)
        for item, marker in [(v, False) for v in page.get("Versions", [])] + [
            (m, True) for m in page.get("DeleteMarkers", [])
        ]:
            if not exact or item["Key"] == prefix:
                yield StoredVersion(
                    key=str(item["Key"])[len(store.prefix) :],
                    version_id=str(item["VersionId"]),
                    latest=bool(item.get("IsLatest")),
                    marker=marker,
                )
        if not page.get("IsTruncated"):
            return
        markers = {
            "KeyMarker": page["NextKeyMarker"],
            "VersionIdMarker": page["NextVersionIdMarker"],
        }


def _with_lock(store: S3Store, version: StoredVersion, operation: str) -> StoredVersion:
    """`version` with the lock (and, for GetObject, the bytes) the storage answers with."""
    try:
        answer = store._call(
            operation, Key=store.prefix + version.key, VersionId=version.version_id
        )
    except FileNotFoundError:  # erased meanwhile: nothing left to protect
        return version
    data = read_body(answer["Body"]) if "Body" in answer else None
    until: datetime | None = answer.get("ObjectLockRetainUntilDate")
    lock = Lock(
        hold=answer.get("ObjectLockLegalHoldStatus") == "ON",
        mode=answer.get("ObjectLockMode"),
        until=until.astimezone(UTC) if until else None,
    )
    return replace(version, lock=lock, data=data)


def erase_versions(store: S3Store, versions: Sequence[StoredVersion], *, bypass: bool) -> int:
    """Remove exactly `versions`, 1,000 to a DeleteObjects request."""
    now = datetime.now(UTC)
    check_removable(versions, bypass_governance=bypass, now=now)
    needs_bypass = [v for v in versions if v.lock.active_retention(now)]
    first = set(needs_bypass)
    _delete(store, needs_bypass, bypass=True)
    _delete(store, [v for v in versions if v not in first], bypass=False)
    return len(versions)


def _delete(store: S3Store, versions: list[StoredVersion], *, bypass: bool) -> None:
    for start in range(0, len(versions), _BATCH):
        batch = versions[start : start + _BATCH]
        answer = store._call(
            "delete_objects",
            Delete={
                "Objects": [
                    {"Key": store.prefix + v.key, "VersionId": _version_id(v)} for v in batch
                ],
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


def _version_id(version: StoredVersion) -> str:
    if version.version_id is None:
        raise ValueError(f"{version.key}: not a version found in this bucket")
    return version.version_id
