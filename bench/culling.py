"""Culling (issue 7): a dry run over the 1,000,000-record index, and an executed cull on
SeaweedFS as a ratio to deleting the same objects with raw parallel S3 calls.

1. Dry run: the search benchmark's cached SQLite index (bench/search.py, built on first use),
   copied to a temporary directory; one rule (comments, `retention: P1Y`) created through
   the service; `runs.start(dry_run=True)` timed end to end (plan + storing the plan).
   A bare `SELECT count(*)` over the same rows is printed as a floor.
2. Executed cull: `--records` comments (1 version each, with personal data) captured through
   `svc.recorder.record` into s3://bucket/service on a versioned Object Lock bucket, culled
   with `runs.start(dry_run=False, limit=N)`. Reference, in the same run: the same number
   captured into s3://bucket/reference, then exactly the objects the culler would erase
   (every version of them) deleted with raw boto3 from 16 threads. Ratio = reference s / cull s
   (goal ≥ 0.5). Below the goal, a smaller cull is run under cProfile and its top functions
   printed.

    python -m bench.culling [--records 10000] [--index-records 1000000] [--skip-dry-run]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import shutil
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from bench.common import AWS_ENV, RESULTS, SECRET_KEY, create_bucket
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


def cull(svc: Services, count: int) -> dict[str, Any]:
    rule = svc.retention.rules.create(RULE, actor=ACTOR)
    started = time.perf_counter()
    planned = svc.retention.runs.start(actor=ACTOR, dry_run=False, execute=False)
    plan_s = time.perf_counter() - started
    run = svc.retention.runs.execute(planned["id"], actor=ACTOR, limit=count)
    seconds = time.perf_counter() - started
    return {
        "due": planned["counts"]["rules"][rule["id"]]["due"],
        "culled": run["counts"]["culled"],
        "state": run["state"],
        "plan_s": plan_s,
        "seconds": seconds,
    }


def objects_to_erase(svc: Services, record_ids: list[str]) -> list[str]:
    """The full S3 keys the culler would erase for these records (read, not timed)."""
    culler = svc.retention.runs.culler
    full: list[str] = []
    for record_id in record_ids:
        site_id, kind, source_id = parse_record_id(record_id)
        prefix = keys.record_prefix(site_id, kind, source_id)
        versions = svc.storage.versions(prefix, read=lambda key: "/versions/" in key)
        personal = culler._personal_keys(site_id, versions)  # noqa: SLF001
        full.extend([*sorted({v.key for v in versions}), *sorted(personal)])
    return full


def raw_delete(endpoint: str, bucket: str, prefix: str, object_keys: list[str]) -> float:
    """Every version of every key, from RAW_THREADS threads: list_object_versions + deletes."""
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        config=Config(max_pool_connections=RAW_THREADS * 2, retries={"max_attempts": 3}),
    )

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


def profiled_cull(svc: Services, count: int) -> str:
    capture(svc, count)
    profiler = cProfile.Profile()
    profiler.enable()
    cull(svc, count)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
    stats.print_stats(35)
    out.write("\n--- by own time ---\n")
    stats.sort_stats("tottime").print_stats(15)
    return out.getvalue()


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


def executed(count: int, profile_records: int, console: Console) -> dict[str, Any]:
    bucket = "offentlig-cull-bench"
    with (
        tempfile.TemporaryDirectory(prefix="cull-s3-") as tmp,
        seaweedfs_with_credentials(Path(tmp) / "weed") as weed,
    ):
        root = Path(tmp)
        create_bucket(weed.endpoint_url, bucket)
        result: dict[str, Any] = {"records": count}

        svc = _service(root, weed.endpoint_url, bucket, "service")
        try:
            started = time.perf_counter()
            capture(svc, count)
            result["capture_s"] = time.perf_counter() - started
            console.print(f"captured {count:,} into service/ in {result['capture_s']:.1f} s")
            result |= cull(svc, count)
            console.print(f"culled {result['culled']:,} in {result['seconds']:.1f} s")
        finally:
            svc.close()
        result["left_service"] = left_under(weed.endpoint_url, bucket, "service")

        ref = _service(root, weed.endpoint_url, bucket, "reference")
        try:
            ids = capture(ref, count)
            object_keys = objects_to_erase(ref, ids)
        finally:
            ref.close()
        result["objects"] = len(object_keys)
        result["reference_s"] = raw_delete(weed.endpoint_url, bucket, "reference", object_keys)
        result["left_reference"] = left_under(weed.endpoint_url, bucket, "reference")
        result["ratio"] = result["reference_s"] / result["seconds"]
        console.print(f"raw delete of {len(object_keys):,} keys in {result['reference_s']:.1f} s")

        if result["ratio"] < GOAL and profile_records:
            prof = _service(root, weed.endpoint_url, bucket, "profiled")
            try:
                result["profile"] = profiled_cull(prof, profile_records)
            finally:
                prof.close()
    return result


# --- report ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000, help="records culled on S3")
    parser.add_argument("--index-records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--profile-records", type=int, default=200)
    parser.add_argument("--skip-dry-run", action="store_true")
    parser.add_argument("--skip-cull", action="store_true")
    args = parser.parse_args(argv)
    console = Console()
    console.print(
        f"[bold]Culling benchmark[/] {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} CPUs"
    )

    if not args.skip_dry_run:
        dry = dry_run(args.index_records, args.seed, console)
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
        res = executed(args.records, args.profile_records, console)
        table = Table(title=f"Executed cull of {res['records']:,} records on SeaweedFS")
        for column in ("", "seconds", "records/s", "objects"):
            table.add_column(column, justify="right")
        table.add_row(
            "service: plan + execute",
            f"{res['seconds']:.2f} (plan {res['plan_s']:.2f})",
            f"{res['culled'] / res['seconds']:,.0f}",
            "",
        )
        table.add_row(
            f"raw boto3, {RAW_THREADS} threads",
            f"{res['reference_s']:.2f}",
            f"{res['records'] / res['reference_s']:,.0f}",
            f"{res['objects']:,}",
        )
        console.print(table)
        verdict = "[green]meets[/]" if res["ratio"] >= GOAL else "[red]below[/]"
        console.print(
            f"ratio (reference s / cull s) = {res['ratio']:.2f} — {verdict} the goal of {GOAL}; "
            f"culled {res['culled']:,}/{res['due']:,} due ({res['state']}); versions left: "
            f"service {res['left_service']}, reference {res['left_reference']}; "
            f"capture took {res['capture_s']:.1f} s"
        )
        if "profile" in res:
            console.print(f"cProfile of a {args.profile_records}-record cull:")
            console.print(res["profile"], markup=False, highlight=False)


if __name__ == "__main__":
    main()
