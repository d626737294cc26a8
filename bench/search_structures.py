"""What the search structures cost, next to the ones before issue 11 (migrations 0001–0002:
FTS5 over the words as written / PostgreSQL's `swedish` configuration in a generated column):
their size on disk, and how fast the index takes captured versions with each.

    python -m bench.search_structures --records 1000000      # sizes on the cached search index
    python -m bench.search_structures --writes 3000          # index writes only

Sizes: on a copy of the search benchmark's SQLite index, the pages of the current FTS5 table,
then of the old one built over the same rows. Writes: `RecordIndex.add_version` (what capture
does after storage) for the same synthetic versions into two fresh databases, one with each
structure, alternated in rounds; a ratio new ÷ old of versions per second (goal ≥ 0.9: capture
may lose at most 10 %)."""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.corpus import Corpus
from bench.search import cache_name
from service.index.db import make_engine, migrate
from service.index.fulltext import SQLiteFullText, register_sqlite_functions
from service.index.migrations import first_fulltext
from service.index.writer import RecordIndex

console = Console()
RESULTS = Path(__file__).parent / "results"
WRITE_GOAL = 0.9


def _used_bytes(conn: sqlite3.Connection) -> int:
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    used = (
        conn.execute("PRAGMA page_count").fetchone()[0]
        - conn.execute("PRAGMA freelist_count").fetchone()[0]
    )
    return int(used * page)


def sqlite_sizes(index: Path, work: Path) -> dict[str, int]:
    """Bytes of the whole index, of the current FTS5 table, and of the old one."""
    copy = work / "sizes.sqlite3"
    shutil.copyfile(index, copy)
    conn = sqlite3.connect(copy)
    register_sqlite_functions(conn)
    whole = _used_bytes(conn)
    for statement in SQLiteFullText().drop_statements():
        conn.execute(statement)
    conn.commit()
    conn.execute("VACUUM")
    without = _used_bytes(conn)
    for statement in first_fulltext.SQLITE_CREATE:
        conn.execute(statement)
    conn.execute("INSERT INTO records_fts(records_fts) VALUES ('rebuild')")
    conn.commit()
    with_old = _used_bytes(conn)
    conn.close()
    return {"index": whole, "fts_now": whole - without, "fts_before": with_old - without}


def versions(count: int, seed: int = 7) -> Iterator[tuple[dict[str, Any], str]]:
    """Stored-version documents as capture indexes them (new records, one version each)."""
    import random

    corpus = Corpus(seed)
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for n in range(1, count + 1):
        payload = corpus.post_payload(rng, n, 0)
        at = (start + timedelta(seconds=n)).isoformat()
        site = "01benchsite000000000000001"
        yield (
            {
                "record_id": f"{site}.post.{n}",
                "site": {"id": site},
                "kind": "post",
                "source_id": n,
                "origin": "drawn_up",
                "status": "publish",
                "title": payload["title"],
                "content": payload["content"],
                "author": payload["author"],
                "parent": None,
                "permalink": payload["permalink"],
                "published_at": payload["published_at"],
                "occurred_at": at,
                "captured_at": at,
                "version": 1,
                "sha256": f"{n:064x}",
                "content_sha256": f"{n + 1:064x}",
                "personal_data": None,
                "terms": payload["terms"],
                "event": {"id": f"msg_{n}", "type": "post.published"},
            },
            f"sites/{site}/posts/{n}/versions/0000000001.json",
        )


def _as_before(url: str) -> None:
    """SQLite's full text as migration 0001 made it (the writer is the same: on SQLite it
    never fills `search_vector`). PostgreSQL's old generated column cannot be compared this
    way: its writer did not send the column, which today's builds in Python."""
    engine = make_engine(url)
    with engine.begin() as conn:
        for statement in SQLiteFullText().drop_statements() + first_fulltext.SQLITE_CREATE:
            conn.exec_driver_sql(statement)
    engine.dispose()


def write_rate(url: str, documents: list[tuple[dict[str, Any], str]]) -> float:
    engine = make_engine(url)
    index = RecordIndex(engine)
    started = time.perf_counter()
    for document, key in documents:
        index.add_version(document, key)
    rate = len(documents) / (time.perf_counter() - started)
    engine.dispose()
    return rate


def write_rates(count: int, rounds: int, work: Path) -> dict[str, Any]:
    """SQLite: versions per second into each structure, rounds alternated (fresh databases)."""
    documents = list(versions(count))
    rates: dict[str, list[float]] = {"before": [], "now": []}
    for round_number in range(rounds):
        order = ["before", "now"] if round_number % 2 == 0 else ["now", "before"]
        for name in order:
            url = f"sqlite:///{work / f'{name}-{round_number}.sqlite3'}"
            engine = make_engine(url)
            migrate(engine)
            engine.dispose()
            if name == "before":
                _as_before(url)
            rates[name].append(write_rate(url, documents))
    before, now = statistics.median(rates["before"]), statistics.median(rates["now"])
    return {"before_per_s": before, "now_per_s": now, "ratio": now / before, "rates": rates}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.search_structures", description=__doc__)
    p.add_argument("--records", type=int, default=1_000_000, help="The cached search index.")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--writes", type=int, default=2_000, help="Versions per round.")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="offentlig-structures-"))
    try:
        index = RESULTS / "cache" / cache_name(args.records, args.seed)
        if index.exists():
            sizes = sqlite_sizes(index, work)
            table = Table(title=f"SQLite index, {args.records:,} records: bytes on disk")
            for column in ("whole index", "FTS5 now (stems)", "FTS5 before", "now ÷ before"):
                table.add_column(column, justify="right")
            table.add_row(
                f"{sizes['index']:,}",
                f"{sizes['fts_now']:,}",
                f"{sizes['fts_before']:,}",
                f"{sizes['fts_now'] / sizes['fts_before']:.2f}",
            )
            console.print(table)
        else:
            console.print(f"[yellow]no cached index {index.name}: run `make -C bench search`")
        table = Table(title=f"Index writes per captured version ({args.writes:,} versions)")
        for column in ("database", "before /s", "now /s", f"ratio (goal ≥ {WRITE_GOAL})"):
            table.add_column(column, justify="right")
        found = write_rates(args.writes, args.rounds, work)
        mark = "[green]✓[/]" if found["ratio"] >= WRITE_GOAL else "[red]✗[/]"
        table.add_row(
            "sqlite",
            f"{found['before_per_s']:.0f}",
            f"{found['now_per_s']:.0f}",
            f"{found['ratio']:.2f} {mark}",
        )
        console.print(table)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
