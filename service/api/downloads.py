"""Stored files handed out whole (a snapshot's WARC, an export's ZIP): streamed from storage,
with the SHA-256 of their bytes as ETag and `X-Offentlig-SHA256`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from flask import Response, request

from service.storage.port import ObjectStore

CHUNK = 1024 * 1024
SHA256_HEADER = "X-Offentlig-SHA256"


class Stream:
    """A stored object's bytes as a WSGI body; closed when the response is."""

    def __init__(self, stream: IO[bytes]):
        self.stream = stream

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.stream.read(CHUNK):
            yield chunk

    def close(self) -> None:
        self.stream.close()


def download(
    storage: ObjectStore,
    key: str,
    *,
    size: int,
    sha256: str,
    content_type: str,
    filename: str,
    data: bytes | None = None,
) -> Response:
    """The object at `key` (or `data`, already read) as an attachment; 304 when the caller
    has these bytes already (`If-None-Match`)."""
    if request.if_none_match.contains(sha256):
        response = Response(status=304)
    else:
        body = data if data is not None else Stream(storage.open(key))
        response = Response(body, content_type=content_type, direct_passthrough=True)
        response.content_length = size
    response.set_etag(sha256)
    response.headers[SHA256_HEADER] = sha256
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
