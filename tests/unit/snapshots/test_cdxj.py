"""The CDXJ index: pywb's line format, sorted in bounded memory."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from service.snapshots.cdxj import CdxjIndex, cdxj_line

WHEN = datetime(2026, 11, 28, 9, 0, 5, tzinfo=UTC)


def test_a_line_is_surt_timestamp_and_cdxj_indexer_fields() -> None:
    line = cdxj_line(
        url="http://127.0.0.1:8080/Sida/?b=2&a=1",
        date=WHEN,
        mime="text/html",
        status=200,
        digest="sha1:ABC",
        length=123,
        offset=456,
        filename="snapshot.warc.gz",
    )
    key, timestamp, fields = line.rstrip("\n").split(" ", 2)
    assert key == "1,0,0,127:8080)/sida?a=1&b=2"
    assert timestamp == "20261128090005"
    assert list(json.loads(fields).items()) == [
        ("url", "http://127.0.0.1:8080/Sida/?b=2&a=1"),
        ("mime", "text/html"),
        ("status", "200"),
        ("digest", "sha1:ABC"),
        ("length", "123"),
        ("offset", "456"),
        ("filename", "snapshot.warc.gz"),
    ]
    assert '"url": "http' in fields  # json.dumps spacing, as cdxj-indexer writes it


def test_lines_come_out_in_byte_order_across_sorted_runs() -> None:
    index = CdxjIndex(run_lines=3)
    urls = [f"http://site.test/{name}" for name in ("z", "a", "m", "b", "y", "c", "é", "a/b", "0")]
    for offset, url in enumerate(urls):
        index.add(
            cdxj_line(
                url=url,
                date=WHEN,
                mime="text/html",
                status=200,
                digest="sha1:X",
                length=1,
                offset=offset,
                filename="w",
            )  # fmt: skip
        )
    out = io.BytesIO()
    index.write(out)
    index.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == len(urls) == index.count
    assert lines == sorted(lines)
