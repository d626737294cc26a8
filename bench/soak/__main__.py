"""`python -m bench.soak [--quick] [--only NAME …]`: run the fault scenarios, print one row
each, write bench/results/soak-*.json. Exits non-zero if anything was lost."""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.common import finish_report, seaweedfs, start_report
from bench.soak.audit import Row
from bench.soak.scenarios import Size, World, _all
from tests.support.postgres import start_private_postgres

COLUMNS = (
    ("sent", "sent"),
    ("acknowledged", "acked"),
    ("in_storage", "in storage"),
    ("in_api", "in API"),
    ("in_feed", "in feed"),
    ("lost", "lost"),
    ("duplicates", "dupl."),
    ("broken_chains", "broken chains"),
    ("answers_500", "500s"),
    ("reindex_same", "reindex same"),
    ("seconds", "s"),
)


def table(rows: list[Row]) -> Table:
    out = Table(title="Nothing lost: the fault scenarios")
    out.add_column("scenario")
    for _, heading in COLUMNS:
        out.add_column(heading, justify="right")
    for row in rows:
        data = row.as_dict()
        out.add_row(row.scenario, *(str(data[name]) for name, _ in COLUMNS))
    return out


def failed(row: Row) -> bool:
    return bool(
        row.lost
        or row.duplicates
        or row.broken_chains
        or row.corrupt_objects
        or row.answers_500
        or row.answers_503_without_retry_after
        or not row.reindex_same
        or (row.every_delivery_acknowledged and row.acknowledged != row.sent)
        or row.notes.get("temp_files_left")
        or row.notes.get("p95_ms_during", 0) > 1000
        or row.notes.get("order_mismatches")
    )


def run(names: list[str], size: Size, console: Console) -> list[Row]:
    rows = []
    workdir = Path(tempfile.mkdtemp(prefix="offentlig-soak-"))
    postgres = start_private_postgres()
    try:
        with seaweedfs(workdir / "seaweedfs") as s3:
            world = World(workdir, s3, postgres)
            for name in names:
                console.print(f"[bold]{name}[/] …")
                row = _all()[name](world, size)
                console.print(row.as_dict())
                rows.append(row)
    finally:
        postgres.remove()
        with contextlib.suppress(OSError):
            shutil.rmtree(workdir)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak")
    parser.add_argument("--quick", action="store_true", help="CI sizes (200 events, 1,000 chaos)")
    parser.add_argument("--only", action="append", choices=sorted(_all()))
    args = parser.parse_args()
    size = (
        Size(events=200, kills=5, chaos_deliveries=1000, outage_seconds=4) if args.quick else Size()
    )
    console = Console(width=160)
    started = time.monotonic()
    result = start_report(console, "Soak: nothing lost")
    rows = run(args.only or list(_all()), size, console)
    console.print(table(rows))
    result["size"] = size.__dict__
    (Path(__file__).resolve().parents[1] / "results").mkdir(exist_ok=True)
    result["scenarios"] = [row.as_dict() for row in rows]
    finish_report(console, result, started, "soak", "soak-latest.json")
    bad = [row.scenario for row in rows if failed(row)]
    if bad:
        console.print(f"[red]failed:[/] {', '.join(bad)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
