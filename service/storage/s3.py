"""S3 adapter (boto3): AWS, MinIO, Ceph, SeaweedFS. Vendor errors become ours here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import boto3
import botocore.exceptions
from botocore.config import Config

from service.errors import StorageUnavailable
from service.storage.port import validate_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
_TAKEN = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}
_UNREACHABLE = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectionClosedError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.ReadTimeoutError,
    botocore.exceptions.NoCredentialsError,
)


def _code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: botocore.exceptions.ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


class S3Store:
    def __init__(self, client: S3Client, bucket: str, prefix: str = ""):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    @classmethod
    def from_url(
        cls, url: str, *, endpoint_url: str | None = None, region: str | None = None
    ) -> S3Store:
        parts = urlsplit(url)
        if not parts.netloc:
            raise ValueError(f"S3 storage URLs name a bucket: s3://bucket[/prefix], not {url!r}")
        client = boto3.client(
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

    def _key(self, key: str) -> str:
        return self.prefix + validate_key(key)

    def _call(self, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, operation)(Bucket=self.bucket, **kwargs)
        except _UNREACHABLE as exc:
            raise StorageUnavailable(f"S3 {operation}: {exc}") from exc
        except botocore.exceptions.ClientError as exc:
            code = _code(exc)
            if code in _NOT_FOUND:
                raise FileNotFoundError(kwargs.get("Key", self.bucket)) from None
            if code in _TAKEN:
                raise FileExistsError(kwargs.get("Key")) from None
            if code == "NoSuchBucket" or _status(exc) >= 500 or code in ("SlowDown",):
                raise StorageUnavailable(f"S3 {operation}: {code}") from exc
            raise

    def put(self, key: str, data: bytes) -> None:
        self._call("put_object", Key=self._key(key), Body=data, ContentType="application/json")

    def put_new(self, key: str, data: bytes) -> None:
        self._call(
            "put_object",
            Key=self._key(key),
            Body=data,
            ContentType="application/json",
            IfNoneMatch="*",
        )

    def get(self, key: str) -> bytes:
        body = self._call("get_object", Key=self._key(key))["Body"]
        try:
            return bytes(body.read())
        except _UNREACHABLE as exc:
            raise StorageUnavailable(f"S3 get_object: {exc}") from exc
        finally:
            body.close()

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

    def delete(self, key: str) -> None:
        self._call("delete_object", Key=self._key(key))

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
        except _UNREACHABLE as exc:
            raise StorageUnavailable(f"S3 create_bucket: {exc}") from exc
        if not object_lock:
            self.client.put_bucket_versioning(
                Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"}
            )
