"""Building S3 stores for the storage tests."""

from __future__ import annotations

import uuid

import boto3
from botocore.config import Config

from service.storage.s3 import S3Store
from tests.support.seaweedfs import SeaweedFS

PART = 5 * 1024 * 1024  # S3's smallest part: multipart tests stay small


def s3_client(endpoint_url: str, seaweedfs: SeaweedFS | None = None, **config: object):  # type: ignore[no-untyped-def]
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=seaweedfs.access_key if seaweedfs else "offentlig-test",
        aws_secret_access_key=seaweedfs.secret_key if seaweedfs else "offentlig-test-secret",
        config=Config(s3={"addressing_style": "path"}, **config),  # type: ignore[arg-type]
    )


def s3_store(seaweedfs: SeaweedFS, *, object_lock: bool = True) -> S3Store:
    """A fresh bucket (versioned, with Object Lock unless told) seen through a key prefix."""
    client = s3_client(seaweedfs.endpoint_url, seaweedfs, max_pool_connections=32)
    store = S3Store(
        client,
        f"contract-{uuid.uuid4().hex[:16]}",
        "prefix/inside",
        part_size=PART,
        upload_threads=2,
    )
    store.create_bucket(object_lock=object_lock)
    return store
