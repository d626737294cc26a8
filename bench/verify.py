"""`offentlig verify` throughput (issue 10), as a ratio to reading the same objects with
raw parallel S3 GETs, on SeaweedFS.

1. The archive, built once and cached in bench/results/cache/verify-<objects>-<seed>/ (the
   SeaweedFS data directory, the SQLite index and the log's signing key): `--objects`
   record versions — posts from bench/corpus.py, published and then edited, 4 versions each
   — captured through the service's capture path in-process (the webhook schema, then
   `Recorder.record`) into a filesystem store on tmpfs, the log sequenced and a checkpoint
   signed; then every object uploaded with raw parallel PUTs into s3://bucket/archive on a
   versioned Object Lock bucket (as `offentlig storage create-bucket` makes it). Capturing
   straight into SeaweedFS gives the same objects, four times slower.
2. verify: `offentlig verify --json` run as an operator runs it (a subprocess with the
   service's configuration in its environment), timed from start to exit. It must find no
   discrepancy.
3. reference: every archive object verify reads (the vouched keys under authority/ and
   sites/, listed beforehand, untimed), each read whole with boto3 GET from 16 threads.

The two take turns (`--rounds`; reference first in odd rounds); ratio = reference s /
verify s over all rounds, goal ≥ 0.8. CPU per object (this process, the verify process and
SeaweedFS) is printed beside it.

    python -m bench.verify [--objects 100000] [--rounds 1] [--no-cache]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.common import (
    AWS_ENV,
    REPO,
    RESULTS,
    SECRET_KEY,
    CpuMeter,
    by_part,
    config_env,
    create_bucket,
    finish_report,
    start_report,
    verdict,
)
from bench.corpus import Corpus
from service.auth.actor import operator
from tests.support.seaweedfs import SeaweedFS, start_seaweedfs

GOAL = 0.8
THREADS = 16  # verify's default, and the reference's
VERSIONS = 4  # per post: published, then edited three times
BUCKET = "offentlig-verify-bench"
PREFIX = "archive"
CACHE_VERSION = 1  # bump when the archive built here changes


def _config(home: Path, storage_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "DATA_DIR": str(home / "data"),
        "DATABASE_URL": f"sqlite:///{home / 'index.sqlite3'}",
        "STORAGE_URL": storage_url,
        "SECRET_KEY": SECRET_KEY,
        **extra,
    }


# --- 1. the archive --------------------------------------------------------------------


def capture(home: Path, objects: Path, count: int, seed: int, console: Console) -> None:
    """`count` record versions through the capture path into a filesystem store."""
    from schemas.webhook import WebhookEventSchema
    from service import config as settings
    from service.capture.provenance import Provenance
    from service.capture.snapshot import snapshot
    from service.records.model import EventType
    from service.services import build

    svc = build(settings.load(_config(home, objects.as_uri())))
    schema = WebhookEventSchema()
    corpus = Corpus(seed)
    try:
        made, _ = svc.sites.add("Verifierings kommun", "https://www.example.se", actor=operator())
        site, _ = svc.sites.with_secret(made["id"])

        def post(number: int) -> None:
            rng = random.Random(seed * 1_000_003 + number)
            for edit in range(VERSIONS):
                body = {
                    "type": "post.updated" if edit else "post.published",
                    "timestamp": datetime.now(UTC).isoformat(),
                    "data": corpus.post_payload(rng, number, edit),
                }
                event = schema.load(json.loads(json.dumps(body)))
                svc.recorder.record(
                    site,
                    Provenance.webhook(f"msg_verify_{number}_{edit}"),
                    event["timestamp"],
                    snapshot(site.id, EventType.parse(event["type"]), event["data"]),
                )

        posts = -(-count // VERSIONS)
        started = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            for done, _ in enumerate(pool.map(post, range(1, posts + 1)), start=1):
                if done % 2500 == 0:
                    console.print(f"  captured {done * VERSIONS:,} versions")
        console.print(
            f"captured {posts * VERSIONS:,} versions in {time.monotonic() - started:.0f} s"
        )
        assert svc.integrity is not None
        signed = svc.integrity.checkpoint()
        console.print(f"log checkpoint signed: {signed.checkpoint.size:,} leaves")
    finally:
        svc.close()


def upload(objects: Path, client: Any, console: Console) -> int:
    """Every object of the filesystem store into the bucket, with its content type."""
    from service.storage.filesystem import FileStore

    store = FileStore(objects)
    keys = list(store.list(""))

    def put(key: str) -> None:
        client.put_object(
            Bucket=BUCKET,
            Key=f"{PREFIX}/{key}",
            Body=store.get(key),
            ContentType=store.stat(key).content_type,
        )

    started = time.monotonic()
    with ThreadPoolExecutor(32) as pool:
        list(pool.map(put, keys))
    console.print(f"uploaded {len(keys):,} objects in {time.monotonic() - started:.0f} s")
    return len(keys)


def build_archive(home: Path, count: int, seed: int, console: Console) -> None:
    """Capture into tmpfs, then upload into a fresh SeaweedFS under `home`."""
    console.print(f"building the archive of {count:,} versions in {home} (once) …")
    scratch = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="verify-objects-", dir=scratch) as tmp:
        objects = Path(tmp)
        capture(home, objects, count, seed, console)
        with seaweedfs(home / "weed") as weed:
            create_bucket(weed.endpoint_url, BUCKET)
            upload(objects, s3_client(weed.endpoint_url), console)
    (home / "built").write_text(datetime.now(UTC).isoformat())


@contextlib.contextmanager
def seaweedfs(data_dir: Path) -> Iterator[SeaweedFS]:
    for key, value in AWS_ENV.items():
        os.environ.setdefault(key, value)
    server = start_seaweedfs(data_dir, timeout=120)
    try:
        yield server
    finally:
        server.stop()


def s3_client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        config=Config(
            max_pool_connections=64,
            retries={"max_attempts": 3, "mode": "standard"},
            s3={"addressing_style": "path"},
        ),
    )


# --- 2. verify, 3. the reference -------------------------------------------------------


def run_verify(home: Path, endpoint: str) -> tuple[float, dict[str, Any]]:
    """`offentlig verify --json` as an operator runs it; (seconds, its report)."""
    config = _config(
        home,
        f"s3://{BUCKET}/{PREFIX}",
        S3_ENDPOINT_URL=endpoint,
        LOG_CHECKPOINT_SECONDS=0,
        AUTO_MIGRATE=False,
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OFFENTLIG_")},
        **AWS_ENV,
        **config_env(config),
    }
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "service.cli", "verify", "--json", "--threads", str(THREADS)],
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=3600,
        check=False,
    )
    seconds = time.perf_counter() - started
    try:
        report: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"verify failed ({done.returncode}):\n{done.stderr[-3000:]!r}") from None
    return seconds, report


def archive_keys(client: Any) -> list[str]:
    """The keys verify reads as archive objects (full keys, untimed)."""
    from service.integrity.leaves import vouched

    found: list[str] = []
    for root in ("authority/", "sites/"):
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=BUCKET, Prefix=f"{PREFIX}/{root}"
        )
        for page in pages:
            for item in page.get("Contents", []):
                key = str(item["Key"])
                if vouched(key[len(PREFIX) + 1 :]):
                    found.append(key)
    return found


def raw_read(client: Any, keys: list[str]) -> float:
    def read(key: str) -> int:
        return len(client.get_object(Bucket=BUCKET, Key=key)["Body"].read())

    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        total = sum(pool.map(read, keys))
    seconds = time.perf_counter() - started
    if total == 0:
        raise RuntimeError("the reference read nothing")
    return seconds


def _children_cpu() -> float:
    """CPU seconds of the finished subprocesses (the verify runs; SeaweedFS still runs)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def measure(home: Path, rounds: int, console: Console) -> dict[str, Any]:
    result: dict[str, Any] = {"rounds": []}
    with seaweedfs(home / "weed") as weed:
        client = s3_client(weed.endpoint_url)
        keys = archive_keys(client)
        result["objects_read"] = len(keys)
        console.print(f"{len(keys):,} archive objects in the bucket")
        meter = CpuMeter({"storage": weed.process.pid})
        for number in range(rounds):
            took: dict[str, Any] = {}
            for side in ("reference", "verify") if number % 2 == 0 else ("verify", "reference"):
                before = {**meter.read(), "verify process": _children_cpu()}
                if side == "verify":
                    took["verify"], report = run_verify(home, weed.endpoint_url)
                    if report["discrepancies"] or report["objects"] < len(keys):
                        raise RuntimeError(f"verify did not pass: {json.dumps(report)[:2000]}")
                    took["report"] = report
                else:
                    took["reference"] = raw_read(client, keys)
                after = {**meter.read(), "verify process": _children_cpu()}
                took[f"{side}_cpu"] = meter.spent(before, after)
            console.print(
                f"round {number + 1}: verify {took['verify']:.1f} s, reference "
                f"{took['reference']:.1f} s, ratio {took['reference'] / took['verify']:.2f}"
            )
            result["rounds"].append(took)
    result["verify_s"] = sum(r["verify"] for r in result["rounds"])
    result["reference_s"] = sum(r["reference"] for r in result["rounds"])
    result["ratio"] = result["reference_s"] / result["verify_s"]
    return result


# --- report ----------------------------------------------------------------------------


def _cpu_ms(rounds: list[dict[str, Any]], side: str, objects: int) -> dict[str, float]:
    """CPU ms per object read, by process: SeaweedFS, this one (the reference's reads),
    the verify subprocess."""
    parts = rounds[0][f"{side}_cpu"]
    return {
        part: 1000 * sum(r[f"{side}_cpu"][part] for r in rounds) / (objects * len(rounds))
        for part in parts
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=100_000, help="record versions")
    parser.add_argument("--rounds", type=int, default=1, help="verify/reference turns")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-cache", action="store_true", help="build the archive again")
    args = parser.parse_args(argv)
    console = Console()
    started = time.monotonic()
    RESULTS.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        **start_report(console, "verify benchmark"),
        "arguments": vars(args),
    }
    home = RESULTS / "cache" / f"verify-v{CACHE_VERSION}-{args.objects}-{args.seed}"
    if args.no_cache or not (home / "built").exists():
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        build_archive(home, args.objects, args.seed, console)
    res = result["measured"] = measure(home, max(1, args.rounds), console)
    objects = res["objects_read"]
    report = res["rounds"][-1]["report"]
    table = Table(title=f"verify over {objects:,} archive objects on SeaweedFS")
    for column in ("", "seconds", "objects/s", "CPU ms/object"):
        table.add_column(column, justify="right")
    for side, label in (
        ("verify", "offentlig verify --json"),
        ("reference", f"raw GETs, {THREADS} threads"),
    ):
        seconds = res[f"{side}_s"] / len(res["rounds"])
        cpu = res[f"{side}_cpu_ms"] = _cpu_ms(res["rounds"], side, objects)
        table.add_row(
            label,
            f"{seconds:.1f}",
            f"{objects / seconds:,.0f}",
            by_part(cpu, 2),
        )
    console.print(table)
    console.print(
        f"ratio (reference s / verify s) = {res['ratio']:.2f} — "
        f"{verdict(res['ratio'], GOAL)} the goal of {GOAL}; "
        f"verify checked {report['objects']:,} objects, {report['leaves']:,} log entries, "
        f"{report['checkpoints']} checkpoint(s), no discrepancy"
    )
    finish_report(console, result, started, "verify", "verify-latest.json")


if __name__ == "__main__":
    main()
