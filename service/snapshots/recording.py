"""The exact bytes of an HTTP exchange, recorded at the socket as http.client reads them.

http.client parses status line, headers and (chunked) body from `sock.makefile("rb")`; we hand
it a reader that copies every byte it consumes into a spool file, so the WARC response record
holds what the server sent (not a re-serialisation of parsed headers, which is what
`warcio.capture_http` and urllib3 would give after their own parsing). The same copy feeds
the SHA-1 block and payload digests, so the spool is read only once more, to write it.
Requests are recorded the same way from `sendall`.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from typing import IO, Any

from warcio.utils import Digester

SPOOL_IN_MEMORY = 512 * 1024  # larger responses go to a temporary file


class Aborted(Exception):
    """The crawl's limits stopped a response half-way; it is not written."""


class ResponseSink:
    """Spool + digests + byte count for one response; `check` may abort mid-body."""

    def __init__(self, check: Callable[[int], None]):
        self.spool: IO[bytes] = tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY)  # noqa: SIM115 - closed in close()
        self.length = 0
        self.header_length: int | None = None
        self.block = Digester("sha1")
        self.payload = Digester("sha1")
        self._check = check

    def write(self, data: bytes | memoryview) -> None:
        if not data:
            return
        self.spool.write(data)
        self.length += len(data)
        self.block.update(data)
        if self.header_length is not None:
            self.payload.update(data)
        self._check(len(data))

    def headers_done(self) -> None:
        """http.client has read the header block and nothing more: the payload starts here."""
        self.header_length = self.length

    def close(self) -> None:
        self.spool.close()


class TeeReader(io.RawIOBase):
    """What http.client reads a response from: the socket's buffered reader, copied."""

    def __init__(self, fp: Any, sink: Callable[[bytes | memoryview], None]):
        self._fp = fp
        self._sink = sink

    def readable(self) -> bool:
        return True

    def read(self, n: int | None = -1) -> bytes:
        data: bytes = self._fp.read(n)
        self._sink(data)
        return data

    def read1(self, n: int = -1) -> bytes:
        data: bytes = self._fp.read1(n)
        self._sink(data)
        return data

    def readinto(self, buffer: Any) -> int:
        count: int = self._fp.readinto(buffer)
        if count:
            self._sink(memoryview(buffer)[:count])
        return count

    def readline(self, limit: int | None = -1) -> bytes:
        line: bytes = self._fp.readline(limit)
        self._sink(line)
        return line

    def peek(self, n: int = 0) -> bytes:
        return bytes(self._fp.peek(n))  # not consumed: not recorded

    def close(self) -> None:
        self._fp.close()
        super().close()


class RecordingSocket:
    """A socket whose traffic goes to the current exchange's recorders."""

    def __init__(self, sock: Any):
        self._sock = sock
        self.request = io.BytesIO()
        self.response: Callable[[bytes | memoryview], None] = _discard

    def sendall(self, data: bytes) -> None:
        self._sock.sendall(data)
        self.request.write(data)

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> Any:
        return TeeReader(self._sock.makefile(mode, *args, **kwargs), self.response)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def _discard(data: bytes | memoryview) -> None:
    return None
