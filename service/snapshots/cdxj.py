"""The CDXJ index pywb replays from: `SURT timestamp {json}` per response, sorted.

Same fields, order and JSON spelling as webrecorder's cdxj-indexer (what `wb-manager add`
writes), with SURT keys from the `surt` package pywb itself uses to look URLs up. Lines are
sorted in bounded memory: sorted runs go to temporary files and are merged at the end.
"""

from __future__ import annotations

import heapq
import json
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO

import surt

RUN_LINES = 50_000  # lines sorted in memory at once (a few MB)


def cdxj_line(
    *,
    url: str,
    date: datetime,
    mime: str,
    status: int,
    digest: str,
    length: int,
    offset: int,
    filename: str,
) -> str:
    fields = {
        "url": url,
        "mime": mime,
        "status": str(status),
        "digest": digest,
        "length": str(length),
        "offset": str(offset),
        "filename": filename,
    }
    timestamp = date.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    return f"{surt.surt(url)} {timestamp} {json.dumps(fields)}\n"


class CdxjIndex:
    def __init__(self, run_lines: int = RUN_LINES):
        self._run_lines = run_lines
        self._lines: list[str] = []
        self._runs: list[IO[str]] = []
        self.count = 0

    def add(self, line: str) -> None:
        self._lines.append(line)
        self.count += 1
        if len(self._lines) >= self._run_lines:
            self._spill()

    def _spill(self) -> None:
        run: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
        run.writelines(sorted(self._lines))
        run.seek(0)
        self._runs.append(run)
        self._lines = []

    def sorted_lines(self) -> Iterator[str]:
        """Every line, in byte order (code point order is UTF-8 byte order)."""
        self._lines.sort()
        return heapq.merge(self._lines, *self._runs)

    def write(self, out: IO[bytes]) -> None:
        for line in self.sorted_lines():
            out.write(line.encode("utf-8"))

    def close(self) -> None:
        for run in self._runs:
            run.close()
