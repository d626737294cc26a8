"""boto3 errors turned into ours, in one place for every S3 module (and what else of
botocore's answers we read our own way)."""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import botocore.exceptions
import botocore.utils

from service.errors import StorageUnavailable

NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
TAKEN = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}
DENIED = {"AccessDenied", "403"}
UNREACHABLE = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectionClosedError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.ReadTimeoutError,
    botocore.exceptions.NoCredentialsError,
    botocore.exceptions.ResponseStreamingError,
)


def code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def status(exc: botocore.exceptions.ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def call(client: Any, bucket: str, operation: str, **kwargs: Any) -> Any:
    """Run one S3 operation; missing → FileNotFoundError, taken → FileExistsError,
    refused (Object Lock or IAM, S3 does not say which) → PermissionError."""
    try:
        return getattr(client, operation)(Bucket=bucket, **kwargs)
    except UNREACHABLE as exc:
        raise StorageUnavailable(f"S3 {operation}: {exc}") from exc
    except botocore.exceptions.ClientError as exc:
        found = code(exc)
        if found in NOT_FOUND:
            raise FileNotFoundError(kwargs.get("Key", bucket)) from None
        if found in TAKEN:
            raise FileExistsError(kwargs.get("Key")) from None
        if found in DENIED:
            raise PermissionError(f"S3 {operation} {kwargs.get('Key', bucket)}: {found}") from None
        if found == "NoSuchBucket" or status(exc) >= 500 or found in ("SlowDown",):
            raise StorageUnavailable(f"S3 {operation}: {found}") from exc
        raise


def read_body(body: Any) -> bytes:
    """All of a GetObject answer's streamed body; a connection lost mid-way is ours."""
    try:
        return bytes(body.read())
    except (*UNREACHABLE, botocore.exceptions.IncompleteReadError) as exc:
        raise StorageUnavailable(f"S3 get_object: {exc}") from exc
    finally:
        body.close()


def parse_timestamp(value: str) -> datetime:
    """S3's times — ISO 8601 in listings, RFC 1123 in headers — parsed without dateutil,
    which botocore uses and which costs more than the rest of a 1,000-key listing."""
    for parse in (datetime.fromisoformat, parsedate_to_datetime):
        try:
            parsed = parse(value)
        except (TypeError, ValueError):
            continue
        if parsed.tzinfo is not None:
            return parsed
    parsed = botocore.utils.parse_timestamp(value)
    assert isinstance(parsed, datetime)
    return parsed
