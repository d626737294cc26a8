"""S3 adapter (boto3): AWS, MinIO, Ceph, SeaweedFS. Vendor errors become ours here."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit

import boto3
import boto3.exceptions
import boto3.session
import botocore.exceptions
import botocore.session
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

from service.errors import ObjectLocked, StorageUnavailable
from service.storage import s3_locks
from service.storage.port import (
    JSON,
    Capabilities,
    ObjectInfo,
    StoredVersion,
    Versions,
    validate_key,
    validate_record_prefix,
)
from service.storage.s3_errors import UNREACHABLE, call, parse_timestamp, read_body
from service.storage.streams import SizedReader

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_MiB = 1024 * 1024


class S3Store:
    def __init__(
        self,
        client: S3Client,
        bucket: str,
        prefix: str = "",
        *,
        part_size: int = 8 * _MiB,
        upload_threads: int = 4,
    ):
        """About `part_size` × (`upload_threads` + 2) bounds the memory a `put_stream` takes."""
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.transfer = TransferConfig(
            multipart_threshold=part_size,
            multipart_chunksize=part_size,
            max_concurrency=upload_threads,
        )
        # boto3's constructor does not take it; s3transfer reads it (default 10 parts).
        self.transfer.max_in_memory_upload_chunks = upload_threads
        self._capabilities: Capabilities | None = None

    @classmethod
    def from_url(
        cls, url: str, *, endpoint_url: str | None = None, region: str | None = None
    ) -> S3Store:
        parts = urlsplit(url)
        if not parts.netloc:
            raise ValueError(f"S3 storage URLs name a bucket: s3://bucket[/prefix], not {url!r}")
        session = botocore.session.get_session()
        parsers = session.get_component("response_parser_factory")
        parsers.set_parser_defaults(timestamp_parser=parse_timestamp)
        client = boto3.session.Session(botocore_session=session).client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            config=Config(
                connect_timeout=3,
                read_timeout=20,
                retries={"max_attempts": 3, "mode": "standard"},
                max_pool_connections=64,
                s3={"addressing_style": "path"} if endpoint_url else {},
            ),
        )
        return cls(client, parts.netloc, parts.path)

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def capabilities(self) -> Capabilities:
        if self._capabilities is None:
            self._capabilities = s3_locks.probe_capabilities(self)
        return self._capabilities

    def _key(self, key: str) -> str:
        return self.prefix + validate_key(key)

    def _call(self, operation: str, **kwargs: Any) -> Any:
        return call(self.client, self.bucket, operation, **kwargs)

    # --- writing ---------------------------------------------------------------------------

    def put(self, key: str, data: bytes, content_type: str = JSON) -> None:
        self._write(Key=self._key(key), Body=data, ContentType=content_type)

    def put_new(self, key: str, data: bytes, content_type: str = JSON) -> None:
        self._write(Key=self._key(key), Body=data, ContentType=content_type, IfNoneMatch="*")

    def _write(self, **kwargs: Any) -> None:
        """A new object (a new version, on a versioned bucket): a refusal is the bucket's
        policy or quota, not a lock, and lasts only until an operator mends it."""
        try:
            self._call("put_object", **kwargs)
        except PermissionError as exc:
            raise StorageUnavailable(f"the bucket refused a write: {exc}") from exc

    def put_stream(
        self, key: str, stream: BinaryIO, *, content_type: str, size: int | None = None
    ) -> int:
        """Multipart above `part_size`: S3 shows the object only once the upload completes,
        and boto3 aborts the upload (dropping its parts) when the stream fails."""
        reader = SizedReader(stream, size)
        try:
            self.client.upload_fileobj(
                reader,
                self.bucket,
                self._key(key),
                ExtraArgs={"ContentType": content_type},
                Config=self.transfer,
            )
        except UNREACHABLE as exc:
            raise StorageUnavailable(f"S3 upload of {key}: {exc}") from exc
        except boto3.exceptions.S3UploadFailedError as exc:
            raise StorageUnavailable(f"S3 upload of {key}: {exc}") from exc
        return reader.count

    # --- reading ---------------------------------------------------------------------------

    def get(self, key: str) -> bytes:
        return read_body(self._call("get_object", Key=self._key(key))["Body"])

    def open(self, key: str) -> BinaryIO:
        body = self._call("get_object", Key=self._key(key))["Body"]
        return io.BufferedReader(_Body(body), buffer_size=_MiB)

    def stat(self, key: str) -> ObjectInfo:
        head = self._call("head_object", Key=self._key(key))
        modified: datetime = head["LastModified"]
        return ObjectInfo(
            size=int(head["ContentLength"]),
            content_type=str(head.get("ContentType", "")),
            last_modified=modified.astimezone(UTC),
        )

    def list(self, prefix: str) -> Iterator[str]:
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Prefix": self.prefix + prefix}
            if token:
                kwargs["ContinuationToken"] = token
            page = self._call("list_objects_v2", **kwargs)
            for item in page.get("Contents", []):
                yield str(item["Key"])[len(self.prefix) :]
            if not page.get("IsTruncated"):
                return
            token = page["NextContinuationToken"]

    # --- removing and locks (the rules live in s3_locks) -------------------------------------

    def delete(self, key: str) -> None:
        try:
            self._call("delete_object", Key=self._key(key))
        except PermissionError:
            raise ObjectLocked(key, "the storage refused to delete it") from None

    def erase(self, key: str, *, bypass_governance: bool = False) -> int:
        validate_key(key)  # one key, never a prefix
        return self.erase_versions(self.versions(key), bypass_governance=bypass_governance)

    def erase_prefix(self, prefix: str, *, bypass_governance: bool = False) -> int:
        validate_record_prefix(prefix)
        return self.erase_versions(self.versions(prefix), bypass_governance=bypass_governance)

    def versions(self, target: str, *, read: Callable[[str], bool] | None = None) -> Versions:
        if target.endswith("/"):
            full, exact = self.prefix + validate_record_prefix(target), False
        else:
            full, exact = self._key(target), True
        return s3_locks.versions(self, full, exact=exact, read=read)

    def erase_versions(
        self, versions: Sequence[StoredVersion], *, bypass_governance: bool = False
    ) -> int:
        return s3_locks.erase_versions(self, versions, bypass=bypass_governance)

    def set_legal_hold(self, key: str, on: bool) -> None:
        s3_locks.set_legal_hold(self, key, on)

    def legal_hold(self, key: str) -> bool:
        return s3_locks.current_lock(self, key).hold

    def set_retention(
        self,
        key: str,
        until: datetime,
        *,
        mode: str = "GOVERNANCE",
        bypass_governance: bool = False,
    ) -> None:
        s3_locks.set_retention(self, key, until, mode, bypass=bypass_governance)

    def retention(self, key: str) -> datetime | None:
        return s3_locks.current_lock(self, key).until

    # --- the bucket ------------------------------------------------------------------------

    def check(self) -> None:
        try:
            self._call("head_bucket")
        except FileNotFoundError as exc:
            raise StorageUnavailable(f"bucket {self.bucket!r} does not exist") from exc

    def create_bucket(self, *, object_lock: bool = True) -> None:
        """Create the bucket with versioning (and Object Lock, which implies it)."""
        try:
            self.client.create_bucket(Bucket=self.bucket, ObjectLockEnabledForBucket=object_lock)
        except self.client.exceptions.BucketAlreadyOwnedByYou:
            return
        except UNREACHABLE as exc:
            raise StorageUnavailable(f"S3 create_bucket: {exc}") from exc
        if not object_lock:
            self.client.put_bucket_versioning(
                Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"}
            )


class _Body(io.RawIOBase):
    """botocore's StreamingBody as a raw stream whose network errors are ours."""

    def __init__(self, body: Any):
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._body.read(len(buffer))
        except (*UNREACHABLE, botocore.exceptions.IncompleteReadError) as exc:
            raise StorageUnavailable(f"S3 read: {exc}") from exc
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()
