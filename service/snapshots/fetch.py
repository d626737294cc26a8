"""One connection's fetches: a plain GET, in full, to the site's checked address.

http.client from the standard library, one keep-alive connection per worker: it is the
layer whose bytes we can record exactly (see recording.py), and it is cheap per request.
The connection goes to the address the policy checked (`_create_connection` is pinned), while
Host and TLS SNI/certificate checks use the site's name. No conditional or range headers:
every URL is fetched whole, once per snapshot.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.snapshots.policy import SitePolicy
from service.snapshots.recording import RecordingSocket, ResponseSink
from service.snapshots.urls import request_target

READ_SIZE = 64 * 1024
# Worth reading for links; everything else streams straight to the spool.
PARSED_TYPES = ("text/html", "application/xhtml+xml", "text/css", "xml", "text/plain")
RETRYABLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


@dataclass
class Exchange:
    """One request and its response, recorded; the response bytes live in `sink.spool`."""

    url: str
    address: str
    date: datetime
    request: bytes
    sink: ResponseSink
    status: int
    headers: http.client.HTTPMessage
    body: bytes | None  # the decoded start of the body, for link extraction (else None)

    @property
    def mime(self) -> str:
        return self.headers.get_content_type()

    def close(self) -> None:
        self.sink.close()


class PinnedConnection:
    """A keep-alive connection to the site, reopened when the server closes it."""

    def __init__(self, policy: SitePolicy, timeout: float):
        self.policy = policy
        scheme, host, port = policy.site
        if scheme == "https":
            self.conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            self.conn = http.client.HTTPConnection(host, port, timeout=timeout)
        self.conn._create_connection = self._pinned  # type: ignore[attr-defined]
        self.address = ""
        self.socket: RecordingSocket | None = None

    def _pinned(self, target: tuple[str, int], timeout: Any, source: Any = None) -> socket.socket:
        return socket.create_connection((self.address, target[1]), timeout, source)

    def open(self, url: str) -> RecordingSocket:
        """Connected, with the recorder in place: the address is checked before connecting."""
        self.address = self.policy.connect_address(url)
        if self.conn.sock is None:
            self.conn.connect()
            self.socket = RecordingSocket(self.conn.sock)
            self.conn.sock = self.socket
        assert self.socket is not None
        self.socket.request.seek(0)
        self.socket.request.truncate()
        return self.socket

    def close(self) -> None:
        self.conn.close()
        self.socket = None


class Fetcher:
    def __init__(
        self,
        connection: PinnedConnection,
        user_agent: str,
        parse_limit: int,
        clock: Callable[[], datetime],
    ):
        self.connection = connection
        self.headers = {"User-Agent": user_agent, "Accept": "*/*"}
        self.parse_limit = parse_limit
        self.clock = clock

    def fetch(self, url: str, check: Callable[[int], None]) -> Exchange:
        """GET `url`; `check(n)` sees each received chunk and may raise `Aborted`.

        A keep-alive connection the server closed meanwhile is retried once, on a new one.
        """
        for attempt in (1, 2):
            sink = ResponseSink(check)
            try:
                return self._fetch(url, sink)
            except RETRYABLE:
                sink.close()
                self.connection.close()
                if attempt == 2 or sink.length:
                    raise
            except BaseException:
                sink.close()
                self.connection.close()
                raise
        raise AssertionError("unreachable")

    def _fetch(self, url: str, sink: ResponseSink) -> Exchange:
        sock = self.connection.open(url)
        sock.response = sink.write
        date = self.clock()
        conn = self.connection.conn
        conn.request("GET", request_target(url), headers=self.headers)
        response = conn.getresponse()
        sink.headers_done()
        parsed = response.status == 200 and response.headers.get_content_type().endswith(
            PARSED_TYPES
        )
        body = self._read(response, parsed)
        if response.will_close:
            self.connection.close()
        return Exchange(
            url=url,
            address=self.connection.address,
            date=date,
            request=sock.request.getvalue(),
            sink=sink,
            status=response.status,
            headers=response.headers,
            body=_decoded(body, response.headers, self.parse_limit) if parsed else None,
        )

    def _read(self, response: http.client.HTTPResponse, keep: bool) -> bytes:
        """Read the whole body (it streams into the spool); keep the start if it is parsed."""
        kept: list[bytes] = []
        size = 0
        while chunk := response.read(READ_SIZE):
            if keep and size < self.parse_limit:
                kept.append(chunk)
                size += len(chunk)
        return b"".join(kept)


def _decoded(body: bytes, headers: http.client.HTTPMessage, limit: int) -> bytes | None:
    """The body without Content-Encoding, at most `limit` bytes (we ask for identity, but a
    server may compress anyway). Unknown encodings are not parsed."""
    encoding = (headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding in ("identity", ""):
        return body[:limit]
    wbits = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
    if encoding not in wbits:
        return None
    try:
        return zlib.decompressobj(wbits[encoding]).decompress(body, limit)
    except zlib.error:
        return None
