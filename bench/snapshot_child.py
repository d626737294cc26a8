"""Helpers `bench.snapshot` runs as child processes, so each crawler's peak RSS and CPU are
its own (`wait4` on exactly that process):

    python -m bench.snapshot_child measure -- ARGV…   run ARGV; print `RUSAGE {json}`
    python -m bench.snapshot_child crawl URL DIR [--connections N]
                                                        take_snapshot of URL into DIR/objects
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import asdict, replace
from pathlib import Path


def measure(argv: list[str]) -> int:
    child = subprocess.Popen(argv)  # noqa: S603 - the bench's own argv
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    report = {
        "max_rss_kib": usage.ru_maxrss,  # Linux: KiB
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "exit": child.returncode,
    }
    print("RUSAGE " + json.dumps(report), flush=True)
    return child.returncode


def crawl(url: str, directory: Path, connections: int | None) -> int:
    from service.snapshots.settings import CrawlSettings
    from service.snapshots.snapshot import take_snapshot
    from service.storage.filesystem import FileStore

    settings = CrawlSettings()
    if connections:
        settings = replace(settings, connections=connections)
    last = []
    manifest = take_snapshot(
        url, FileStore(directory / "objects"), "snapshot/", settings, progress=last.append
    )
    summary = {
        "settings": settings.as_dict(),
        "progress": asdict(last[-1]) if last else None,
        "counts": manifest.document["counts"],
        "limits_hit": manifest.document["limits_hit"],
        "errors": manifest.document["errors"][:20],
    }
    (directory / "crawl.json").write_text(json.dumps(summary, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:2] == ["measure", "--"]:
        return measure(args[2:])
    parser = argparse.ArgumentParser(prog="python -m bench.snapshot_child crawl")
    parser.add_argument("what", choices=["crawl"])
    parser.add_argument("url")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--connections", type=int, default=None)
    parsed = parser.parse_args(args)
    return crawl(parsed.url, parsed.directory, parsed.connections)


if __name__ == "__main__":
    sys.exit(main())
