"""The reader both adapters copy streams through."""

from __future__ import annotations

from typing import BinaryIO


class SizedReader:
    """Reads exactly `n` bytes per `read(n)` unless the stream ends, counts them, and checks
    the announced size.

    Filling matters: raw streams (sockets, pipes, generators) may return fewer bytes than
    asked, and boto3's uploader takes a short first read for the end of the stream — it would
    store a truncated object. Seeing the end here also lets a wrong `size` fail before the
    upload is completed.
    """

    def __init__(self, stream: BinaryIO, size: int | None = None):
        if size is not None and size < 0:
            raise ValueError(f"size must not be negative, not {size}")
        self._stream = stream
        self._size = size
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        chunks: list[bytes] = []
        got = 0
        while n < 0 or got < n:
            chunk = self._stream.read(n - got if n >= 0 else -1)
            if not chunk:
                self._check_end()
                break
            chunks.append(chunk)
            got += len(chunk)
            self.count += len(chunk)
            if self._size is not None and self.count > self._size:
                raise ValueError(f"the stream is longer than the announced {self._size} bytes")
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _check_end(self) -> None:
        if self._size is not None and self.count != self._size:
            raise ValueError(
                f"the stream ended after {self.count} of the announced {self._size} bytes"
            )
