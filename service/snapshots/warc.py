"""The WARC 1.1 file: a warcinfo record, then a response and a request record per fetch.

Records are assembled with warcio and written as they are fetched to a local file (the
snapshot streams from it to storage afterwards). The HTTP bytes are the recorded ones
(recording.py), so warcio gets them as an opaque block with both SHA-1 digests already
computed, instead of parsing and re-serialising the headers. Each record is its own gzip
member (so a CDXJ offset can seek straight to it), at level 6: level 9, warcio's default,
costs much more CPU for little on already compressed images.
"""

from __future__ import annotations

import hashlib
import zlib
from datetime import UTC, datetime
from io import BytesIO
from typing import IO, Any

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser
from warcio.timeutils import datetime_to_iso_date
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from service.snapshots.fetch import Exchange

WARC_VERSION = "WARC/1.1"
GZIP_LEVEL = 6


class GzipMembers:
    """A file that gzips each record into its own member, counting and hashing what it writes.

    warcio calls `flush()` once at the end of every record: that closes the member.
    """

    def __init__(self, out: IO[bytes]):
        self.out = out
        self.position = 0
        self.sha256 = hashlib.sha256()
        self._member: Any = None

    def write(self, data: bytes) -> None:
        if self._member is None:
            self._member = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        self._emit(self._member.compress(data))

    def flush(self) -> None:
        if self._member is not None:
            self._emit(self._member.flush())
            self._member = None
        self.out.flush()

    def _emit(self, data: bytes) -> None:
        if data:
            self.out.write(data)
            self.sha256.update(data)
            self.position += len(data)


class WarcFile:
    def __init__(self, out: IO[bytes], filename: str):
        self.filename = filename
        self.members = GzipMembers(out)
        self.writer = WARCWriter(self.members, gzip=False, warc_version=WARC_VERSION)
        self.warcinfo_id: str | None = None

    def write_warcinfo(self, date: datetime, fields: dict[str, str]) -> None:
        record = self.writer.create_warcinfo_record(self.filename, fields)
        record.rec_headers.replace_header("WARC-Date", _warc_date(date))
        self.warcinfo_id = record.rec_headers.get_header("WARC-Record-ID")
        self.writer.write_record(record)

    def write_exchange(self, exchange: Exchange) -> tuple[int, int]:
        """Write response, then request (warcio's order); the response's offset and length."""
        sink = exchange.sink
        sink.spool.seek(0)
        response = self._record(
            exchange,
            "response",
            sink.spool,
            sink.length,
            str(sink.block),
            str(sink.payload),
        )
        request_block = exchange.request
        head, _, body = request_block.partition(b"\r\n\r\n")
        request = self._record(
            exchange,
            "request",
            BytesIO(request_block),
            len(request_block),
            _sha1(request_block),
            _sha1(body),
        )
        request.rec_headers.add_header(
            "WARC-Concurrent-To", response.rec_headers.get_header("WARC-Record-ID")
        )
        start = self.members.position
        self.writer.write_record(response)
        end = self.members.position
        self.writer.write_record(request)
        return start, end - start

    def _record(
        self,
        exchange: Exchange,
        kind: str,
        stream: IO[bytes],
        length: int,
        block_digest: str,
        payload_digest: str,
    ) -> ArcWarcRecord:
        headers = [
            ("WARC-Type", kind),
            ("WARC-Record-ID", _record_id()),
            ("WARC-Date", _warc_date(exchange.date)),
            ("WARC-Target-URI", exchange.url),
            ("WARC-IP-Address", exchange.address),
            ("WARC-Block-Digest", block_digest),
            ("WARC-Payload-Digest", payload_digest),
        ]
        if self.warcinfo_id:
            headers.append(("WARC-Warcinfo-ID", self.warcinfo_id))
        content_type = f"application/http; msgtype={kind}"
        warc_headers = StatusAndHeaders("", headers, protocol=WARC_VERSION)
        # No parsed http_headers: warcio writes the recorded block as it is.
        return ArcWarcRecord("warc", kind, warc_headers, stream, None, content_type, length)


def _record_id() -> str:
    """warcio's id format, `<urn:uuid:...>`."""
    return str(StatusAndHeadersParser.make_warc_id())


def _warc_date(date: datetime) -> str:
    """WARC 1.1 allows (and warcio writes) microseconds."""
    return str(datetime_to_iso_date(date.astimezone(UTC).replace(tzinfo=None), use_micros=True))


def _sha1(data: bytes) -> str:
    digester = Digester("sha1")
    digester.update(data)
    return str(digester)
