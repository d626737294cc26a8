"""Culling (issue 7): a dry run over the 1,000,000-record index, and an executed cull on
SeaweedFS as a ratio to deleting the same objects with raw parallel S3 calls.

1. Dry run: the search benchmark's cached SQLite index (bench/search.py, built on first use),
   copied to a temporary directory; one rule (comments, `retention: P1Y`) created through
   the service; `runs.start(dry_run=True)` timed end to end (plan + storing the plan).
   A bare `SELECT count(*)` over the same rows is printed as a floor.
2. Executed cull: `--records` comments (1 version each, with personal data, under
   GOVERNANCE retention) captured through `svc.recorder.record` into s3://bucket/service on a
   versioned Object Lock bucket, and as many into s3://bucket/reference. One run is planned
   (`runs.start(dry_run=False, execute=False)`), then executed in `--rounds` parts
   (`runs.execute(limit=…)`), each part taking turns with the reference: exactly the objects
   the culler would erase for as many reference records (listed beforehand, untimed), every
   version of them deleted with raw boto3 from 16 threads. A drift in the machine's load
   then hits both alike. Ratio = reference s / (plan s + cull s), goal ≥ 0.5; the S3 calls
   of each side are counted by operation.

    python -m bench.culling [--records 1000] [--rounds 4] [--index-records 1000000] [--skip-dry-run]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from bench.common import (
    AWS_ENV,
    RESULTS,
    SECRET_KEY,
    CpuMeter,
    by_part,
    create_bucket,
    finish_report,
    start_report,
    verdict,
)
from bench.corpus import Corpus
from service.auth.actor import Actor
from service.capture.provenance import Provenance
from service.capture.snapshot import snapshot
from service.records import keys
from service.records.model import EventType, parse_record_id
from service.services import Services, build
from tests.support.seaweedfs import SeaweedFS, start_seaweedfs

ACTOR = Actor("cli", "bench")
RULE = {
    "decision_reference": "KS 2026/114 § 12",
    "decision_date": "2026-06-01",
    "description": "Kommentarer på webbplatsen",
    "retention": "P1Y",
    "counted_from": "published",
    "scope": {"kinds": ["comment"]},
}
CAPTURE_THREADS = 8
RAW_THREADS = 16
GOAL = 0.5


def _config(data_dir: Path, database: Path, storage_url: str, **extra: Any) -> dict[str, Any]:
    from service import config as settings

    return settings.load(
        {
            "DATA_DIR": str(data_dir),
            "DATABASE_URL": f"sqlite:///{database}",
            "STORAGE_URL": storage_url,
            "SECRET_KEY": SECRET_KEY,
            **extra,
        }
    )


# --- 1. dry run over the big index -----------------------------------------------------


def _index(records: int, seed: int, console: Console) -> Path:
    from bench.search import cache_name, load_sqlite

    cache = RESULTS / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / cache_name(records, seed)
    if not path.exists():
        console.print(f"building the {records:,}-record index (cached in {path.parent}) …")
        load_sqlite(path, records, Corpus(seed), lambda n: None, console.print)
    return path


def dry_run(records: int, seed: int, console: Console) -> dict[str, Any]:
    source = _index(records, seed, console)
    with tempfile.TemporaryDirectory(prefix="cull-dry-") as tmp:
        database = Path(tmp) / "index.sqlite3"
        shutil.copyfile(source, database)
        svc = build(_config(Path(tmp), database, (Path(tmp) / "objects").as_uri()))
        try:
            rule = svc.retention.rules.create(RULE, actor=ACTOR)
            with svc.engine.connect() as conn:
                total = conn.execute(text("SELECT count(*) FROM records")).scalar_one()
                conn.execute(text("SELECT count(*) FROM records")).scalar_one()  # warm
                started = time.perf_counter()
                conn.execute(text("SELECT count(*) FROM records")).scalar_one()
                floor_all = time.perf_counter() - started
                started = time.perf_counter()
                comments = conn.execute(
                    text("SELECT count(*) FROM records WHERE kind = 'comment'")
                ).scalar_one()
                floor_comments = time.perf_counter() - started
            started = time.perf_counter()
            run = svc.retention.runs.start(actor=ACTOR, dry_run=True)
            seconds = time.perf_counter() - started
        finally:
            svc.close()
    counts = run["counts"]["rules"][rule["id"]]
    return {
        "records": total,
        "comments": comments,
        "due": counts["due"],
        "spared": {k: counts[k] for k in ("held", "review_pending", "registered")},
        "plan_items": run["counts"]["items"],
        "seconds": seconds,
        "records_per_s": total / seconds,
        "count_all_s": floor_all,
        "count_comments_s": floor_comments,
    }


# --- 2. executed cull on SeaweedFS -----------------------------------------------------


def _service(root: Path, endpoint: str, bucket: str, prefix: str) -> Services:
    data_dir = root / prefix
    data_dir.mkdir(parents=True, exist_ok=True)
    return build(
        _config(
            data_dir,
            data_dir / "index.sqlite3",
            f"s3://{bucket}/{prefix}",
            S3_ENDPOINT_URL=endpoint,
            # versions are written under GOVERNANCE retention, as an operator with Object
            # Lock would configure it: culling overrides it
            OBJECT_LOCK_DEFAULT_RETENTION="P10Y",
            CULLING_BYPASS_GOVERNANCE=True,
        )
    )


def capture(svc: Services, count: int) -> list[str]:
    """`count` comments, one version each with personal data; their record ids."""
    document, _ = svc.sites.add("Bench kommun", "https://www.example.se", actor=ACTOR)
    site, _ = svc.sites.with_secret(document["id"])
    received = EventType.parse("comment.received")
    occurred = datetime(2020, 3, 1, 9, 30, tzinfo=UTC)

    def one(n: int) -> str:
        data = {
            "id": n,
            "post_id": 1,
            "post_type": "post",
            "post_title": "Vinterns snöröjning",
            "parent": 0,
            "content": f"Min gata har inte plogats på två dagar ({n}).",
            "status": "approve",
            "author": {"name": "Bertil Bengtsson", "url": "", "user_id": 0},
            "author_email": f"bertil{n}@example.se",
            "author_ip": "192.0.2.7",
            "date": datetime(2020, 3, 1, 9, 0, tzinfo=UTC),
            "permalink": f"https://www.example.se/2020/03/snorojning/#comment-{n}",
        }
        snap = snapshot(site.id, received, data)
        outcome = svc.recorder.record(site, Provenance.webhook(f"msg_b{n:08d}"), occurred, snap)
        return outcome.record_id

    with ThreadPoolExecutor(CAPTURE_THREADS) as pool:
        ids = list(pool.map(one, range(1, count + 1)))
    svc.audit.flush()
    return ids


def plan(svc: Services) -> tuple[str, int, float]:
    """The executed run, planned: its id, how many records are due, and the seconds taken."""
    rule = svc.retention.rules.create(RULE, actor=ACTOR)
    started = time.perf_counter()
    planned = svc.retention.runs.start(actor=ACTOR, dry_run=False, execute=False)
    return (
        planned["id"],
        planned["counts"]["rules"][rule["id"]]["due"],
        time.perf_counter() - started,
    )


def cull_part(svc: Services, run_id: str, count: int) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    run = svc.retention.runs.execute(run_id, actor=ACTOR, limit=count)
    return time.perf_counter() - started, run


def objects_to_erase(svc: Services, record_ids: list[str]) -> list[list[str]]:
    """Per record, the keys the culler would erase (found as it finds them, not timed)."""
    culler = svc.retention.runs.culler
    found: list[list[str]] = []
    for record_id in record_ids:
        site_id, kind, source_id = parse_record_id(record_id)
        prefix = keys.record_prefix(site_id, kind, source_id)
        versions = svc.storage.versions(prefix, read=lambda key: "/versions/" in key)
        personal = culler._personal_keys(site_id, versions)  # noqa: SLF001
        found.append([*sorted({v.key for v in versions}), *sorted(personal)])
    return found


def raw_client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        config=Config(max_pool_connections=RAW_THREADS * 2, retries={"max_attempts": 3}),
    )


def raw_delete(client: Any, bucket: str, prefix: str, object_keys: list[str]) -> float:
    """Every version of every key, from RAW_THREADS threads: list_object_versions + deletes."""

    def one(key: str) -> int:
        full = f"{prefix}/{key}"
        listed = client.list_object_versions(Bucket=bucket, Prefix=full)
        gone = 0
        for version in [*listed.get("Versions", []), *listed.get("DeleteMarkers", [])]:
            if version["Key"] == full:
                client.delete_object(
                    Bucket=bucket,
                    Key=full,
                    VersionId=version["VersionId"],
                    BypassGovernanceRetention=True,
                )
                gone += 1
        return gone

    started = time.perf_counter()
    with ThreadPoolExecutor(RAW_THREADS) as pool:
        deleted = sum(pool.map(one, object_keys))
    seconds = time.perf_counter() - started
    if deleted < len(object_keys):
        raise RuntimeError(f"raw delete removed {deleted} versions of {len(object_keys)} keys")
    return seconds


def left_under(endpoint: str, bucket: str, prefix: str) -> int:
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint)
    listed = client.list_object_versions(Bucket=bucket, Prefix=f"{prefix}/sites/", MaxKeys=1000)
    return len(listed.get("Versions", [])) + len(listed.get("DeleteMarkers", []))


class CallCounter:
    """S3 requests a boto3 client sends, by operation."""

    def __init__(self, client: Any):
        self.calls: Counter[str] = Counter()
        client.meta.events.register("before-call.s3.*", self._count)

    def _count(self, event_name: str, **_: Any) -> None:
        self.calls[event_name.rsplit(".", 1)[-1]] += 1


@contextlib.contextmanager
def seaweedfs_with_credentials(data_dir: Path) -> Iterator[SeaweedFS]:
    """`bench.common.seaweedfs`, but with an identity: an anonymous SeaweedFS refuses
    BypassGovernanceRetention, and every captured version is under GOVERNANCE retention."""
    server = start_seaweedfs(data_dir, timeout=60, with_credentials=True)
    os.environ["AWS_ACCESS_KEY_ID"] = server.access_key
    os.environ["AWS_SECRET_ACCESS_KEY"] = server.secret_key
    os.environ.setdefault("AWS_DEFAULT_REGION", AWS_ENV["AWS_DEFAULT_REGION"])
    try:
        yield server
    finally:
        server.stop()


def executed(count: int, rounds: int, console: Console) -> dict[str, Any]:
    bucket = "offentlig-cull-bench"
    with (
        tempfile.TemporaryDirectory(prefix="cull-s3-") as tmp,
        seaweedfs_with_credentials(Path(tmp) / "weed") as weed,
    ):
        root = Path(tmp)
        create_bucket(weed.endpoint_url, bucket)
        result: dict[str, Any] = {"records": count, "rounds": []}
        svc = _service(root, weed.endpoint_url, bucket, "service")
        ref = _service(root, weed.endpoint_url, bucket, "reference")
        try:
            started = time.perf_counter()
            capture(svc, count)
            result["capture_s"] = time.perf_counter() - started
            ids = capture(ref, count)
            per_record = objects_to_erase(ref, ids)
            console.print(
                f"captured {count:,} records twice ({result['capture_s']:.1f} s each, about)"
            )
            run_id, result["due"], result["plan_s"] = plan(svc)
            client = raw_client(weed.endpoint_url)
            service_calls = CallCounter(cast(Any, svc.storage).client)  # the S3 adapter's
            raw_calls = CallCounter(client)
            size = -(-count // rounds)
            meter = CpuMeter({"storage": weed.process.pid})
            run: dict[str, Any] = {}
            for number, first in enumerate(range(0, count, size)):
                records = per_record[first : first + size]
                part = [key for keys_ in records for key in keys_]
                took: dict[str, Any] = {"records": len(records), "objects": len(part)}
                for side in ("cull", "raw") if number % 2 == 0 else ("raw", "cull"):
                    before = meter.read()
                    if side == "cull":
                        took["cull"], run = cull_part(svc, run_id, len(records))
                    else:
                        took["raw"] = raw_delete(client, bucket, "reference", part)
                    took[f"{side}_cpu"] = meter.spent(before, meter.read())
                result["rounds"].append(took)
                console.print(
                    f"round {number + 1}: cull {took['cull']:.1f} s, raw {took['raw']:.1f} s "
                    f"({len(part):,} keys), ratio {took['raw'] / took['cull']:.2f}"
                )
        finally:
            svc.close()
            ref.close()
        result["culled"] = run["counts"]["culled"]
        result["state"] = run["state"]
        result["seconds"] = result["plan_s"] + sum(r["cull"] for r in result["rounds"])
        result["reference_s"] = sum(r["raw"] for r in result["rounds"])
        result["objects"] = sum(r["objects"] for r in result["rounds"])
        for side in ("cull", "raw"):
            result[f"{side}_cpu_ms"] = {
                part: 1000 * sum(r[f"{side}_cpu"][part] for r in result["rounds"]) / count
                for part in result["rounds"][0][f"{side}_cpu"]
            }
        result["cpu_ratio"] = sum(result["raw_cpu_ms"].values()) / sum(
            result["cull_cpu_ms"].values()
        )
        result["ratio"] = result["reference_s"] / result["seconds"]
        result["ratio_median"] = statistics.median(r["raw"] / r["cull"] for r in result["rounds"])
        result["calls"] = {
            "service": _per_record(service_calls.calls, count),
            "reference": _per_record(raw_calls.calls, count),
        }
        result["left_service"] = left_under(weed.endpoint_url, bucket, "service")
        result["left_reference"] = left_under(weed.endpoint_url, bucket, "reference")
    return result


def _per_record(calls: Counter[str], records: int) -> dict[str, float]:
    return {op: round(n / records, 2) for op, n in calls.most_common()}


# --- report ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000, help="records culled on S3")
    parser.add_argument("--rounds", type=int, default=4, help="parts, taking turns")
    parser.add_argument("--index-records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-dry-run", action="store_true")
    parser.add_argument("--skip-cull", action="store_true")
    args = parser.parse_args(argv)
    console = Console()
    started = time.monotonic()
    RESULTS.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        **start_report(console, "Culling benchmark"),
        "arguments": vars(args),
    }

    if not args.skip_dry_run:
        dry = result["dry_run"] = dry_run(args.index_records, args.seed, console)
        table = Table(title="Dry run (SQLite, plan + storing the plan)")
        columns = ("records", "due", "seconds", "records/s", "count(*) all", "count(*) comments")
        for column in columns:
            table.add_column(column, justify="right")
        table.add_row(
            f"{dry['records']:,}",
            f"{dry['due']:,}",
            f"{dry['seconds']:.2f}",
            f"{dry['records_per_s']:,.0f}",
            f"{dry['count_all_s']:.3f} s",
            f"{dry['count_comments_s']:.3f} s",
        )
        console.print(table)
        console.print(f"spared: {dry['spared']}; plan items {dry['plan_items']:,}")

    if not args.skip_cull:
        res = result["executed"] = executed(args.records, max(1, args.rounds), console)
        table = Table(title=f"Executed cull of {res['records']:,} records on SeaweedFS")
        for column in ("", "seconds", "records/s", "CPU ms/record", "S3 calls/record"):
            table.add_column(column, justify="right")
        sides = (
            ("service", "cull", f"service (plan {res['plan_s']:.2f} s + execute)", res["seconds"]),
            ("reference", "raw", f"raw boto3, {RAW_THREADS} threads", res["reference_s"]),
        )
        for side, short, label, seconds in sides:
            cpu = res[f"{short}_cpu_ms"]
            table.add_row(
                label,
                f"{seconds:.2f}",
                f"{res['records'] / seconds:,.1f}",
                by_part(cpu, 1),
                f"{sum(res['calls'][side].values()):.2f}",
            )
        console.print(table)
        for side, *_ in sides:
            calls = res["calls"][side]
            console.print(f"{side} S3 calls: " + ", ".join(f"{op} {n}" for op, n in calls.items()))
        console.print(
            f"ratio (reference s / cull s) = {res['ratio']:.2f} (median of the rounds "
            f"{res['ratio_median']:.2f}; of CPU time {res['cpu_ratio']:.2f}) — "
            f"{verdict(res['ratio'], GOAL)} the goal of {GOAL}; "
            f"culled {res['culled']:,}/{res['due']:,} due ({res['state']}); versions left: "
            f"service {res['left_service']}, reference {res['left_reference']}"
        )
    finish_report(console, result, started, "culling", "culling-latest.json")


if __name__ == "__main__":
    main()
