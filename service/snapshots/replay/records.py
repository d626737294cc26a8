"""Reading one archived response from a local WARC copy, at the offset the index gives."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader
from warcio.limitreader import LimitReader

from service.snapshots.replay.lookup import Capture

CHUNK = 64 * 1024


@dataclass
class ArchivedResponse:
    """The archived status and headers; `body` yields the payload with transfer and content
    encodings undone (`encoded` names an encoding warcio cannot undo, left in place)."""

    status: int
    headers: list[tuple[str, str]]
    encoded: str | None
    _stream: IO[bytes]
    _file: IO[bytes]

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    def read(self, limit: int) -> bytes | None:
        """The whole body if it is at most `limit` bytes, else None (and the body is spent)."""
        data = self._stream.read(limit + 1)
        return data if len(data) <= limit else None

    def chunks(self) -> Iterator[bytes]:
        try:
            while chunk := self._stream.read(CHUNK):
                yield chunk
        finally:
            self.close()

    def close(self) -> None:
        self._file.close()


def open_response(warc: Path, capture: Capture) -> ArchivedResponse:
    stream = warc.open("rb")
    try:
        stream.seek(capture.offset)
        record: Any = next(iter(ArchiveIterator(LimitReader(stream, capture.length))))
        headers = record.http_headers
        encoding = (headers.get_header("content-encoding") or "").strip().lower() or None
        decodable = encoding in (None, "identity", *BufferedReader.get_supported_decompressors())
        return ArchivedResponse(
            status=int(headers.get_statuscode()),
            headers=list(headers.headers),
            encoded=None if decodable else encoding,
            _stream=record.content_stream(),
            _file=stream,
        )
    except BaseException:
        stream.close()
        raise
