"""Finding a URL's capture in a snapshot's CDXJ index without reading all of it.

The index is sorted by SURT key (`cdxj.py`), so a binary search over byte offsets finds
the first line at or after the key in O(log n) seeks; memory stays flat whatever the size.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import surt

MAX_STEPS = 64  # more than enough halvings for any file size


@dataclass(frozen=True)
class Capture:
    url: str
    timestamp: str  # YYYYMMDDhhmmss
    mime: str
    status: int
    offset: int
    length: int


def find(index: Path, url: str) -> Capture | None:
    """The capture of `url` (normalised as the crawler normalises) or None."""
    key = surt.surt(url).encode("utf-8") + b" "
    with index.open("rb") as stream:
        stream.seek(_first_at_or_after(stream, key))
        fallback = None
        for line in stream:
            if not line.startswith(key):
                break
            capture = _parse(line)
            if capture.url == url:
                return capture
            fallback = fallback or capture  # another spelling with the same SURT key
        return fallback


def _first_at_or_after(stream: IO[bytes], key: bytes) -> int:
    """The offset of the first line whose bytes sort at or after `key`."""
    low, high = 0, stream.seek(0, 2)
    for _ in range(MAX_STEPS):
        if low >= high:
            break
        middle = (low + high) // 2
        start = _line_start(stream, middle)
        stream.seek(start)
        line = stream.readline()
        if line and line < key:
            low = start + len(line)
        else:
            high = start
    return low


def _line_start(stream: IO[bytes], position: int) -> int:
    """The start of the line holding `position` (look back for the previous newline)."""
    step = 4096
    end = position
    for _ in range(MAX_STEPS * 1024):
        begin = max(0, end - step)
        stream.seek(begin)
        chunk = stream.read(end - begin)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            return begin + newline + 1
        if begin == 0:
            return 0
        end = begin
    raise ValueError("a CDXJ line longer than any index line can be")  # pragma: no cover


def _parse(line: bytes) -> Capture:
    _key, timestamp, data = line.decode("utf-8").split(" ", 2)
    fields = json.loads(data)
    return Capture(
        url=fields["url"],
        timestamp=timestamp,
        mime=fields.get("mime", ""),
        status=int(fields.get("status") or 0),
        offset=int(fields["offset"]),
        length=int(fields["length"]),
    )
