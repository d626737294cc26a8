"""`make bench`: (1) capture throughput vs. a minimal reference, (2) search latency via the
API vs. the same query on the index. Prints rich tables; writes bench/results/*.json."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from bench import capture, common, search
from bench.common import RESULTS, SECRET_KEY, ServerSettings
from bench.corpus import Corpus
from service.auth.actor import operator
from service.cli import DEFAULT_THREADS, DEFAULT_WORKERS

console = Console(width=None if sys.stdout.isatty() else 120)
CAPTURE_GOAL = 0.6
LOG_GOAL = 0.9  # capture with the integrity log on ÷ the same with it off
SEARCH_GOAL = 10.0
# Issue 11: every query class's p95 through the API, ms (without facets, with facets).
SEARCH_LATENCY_GOALS = {"sqlite": (50.0, 100.0), "postgresql": (100.0, 200.0)}
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--only", choices=["capture", "search"], help="Run one half only.")
    p.add_argument("--quick", action="store_true", help="Small and short: a smoke run (~2 min).")
    p.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help="gunicorn workers (both sides); default: what `offentlig serve` uses.",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_THREADS,
        help="gunicorn threads per worker; default: what `offentlig serve` uses.",
    )
    g = p.add_argument_group("capture")
    g.add_argument("--clients", type=int, default=16, help="Concurrent webhook senders.")
    g.add_argument("--seconds", type=float, default=12.0, help="Length of one measured phase.")
    g.add_argument("--warmup-seconds", type=float, default=4.0)
    g.add_argument("--rounds", type=int, default=3, help="Reference/service phases alternated.")
    g.add_argument(
        "--profile",
        action="store_true",
        help="After the measured rounds, one more (unmeasured) phase per service target "
        "under py-spy; prints where the time goes.",
    )
    g.add_argument(
        "--capture-db",
        default="sqlite,postgresql",
        help="Index database(s) of the service under load: sqlite, postgresql or both.",
    )
    g.add_argument(
        "--log-off",
        action="store_true",
        help="Also run each service with the integrity log off (LOG_ENABLED false), in "
        "the same rounds: what the log costs capture (goal: on ÷ off ≥ 0.9).",
    )
    s = p.add_argument_group("search")
    s.add_argument("--records", type=int, default=1_000_000, help="Records in the index.")
    s.add_argument("--search-db", default="sqlite", help="sqlite, postgresql or both.")
    s.add_argument("--repeat", type=int, default=30, help="Measured runs of each query.")
    s.add_argument("--query-warmup", type=int, default=3, help="Unmeasured runs first.")
    s.add_argument("--no-cache", action="store_true", help="Rebuild the SQLite index.")
    s.add_argument("--seed", type=int, default=2026)
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("OFFENTLIG_BENCH_POSTGRES_URL")
        or os.environ.get("OFFENTLIG_TEST_POSTGRES_URL")
        or DEFAULT_POSTGRES,
        help="A server where a scratch database may be created (and dropped).",
    )
    p.add_argument(
        "--time-limit", type=float, default=15 * 60, help="Stop measuring after this (s)."
    )
    args = p.parse_args(argv)
    if args.quick:
        args.records = min(args.records, 50_000)
        args.seconds = min(args.seconds, 8.0)
        args.warmup_seconds = min(args.warmup_seconds, 2.0)
        args.rounds = 1
        args.repeat = min(args.repeat, 15)
    return args


def _dbs(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    for name in names:
        if name not in ("sqlite", "postgresql"):
            raise SystemExit(f"unknown database {name!r}: use sqlite and/or postgresql")
    return names


def progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


@contextlib.contextmanager
def stopping(servers: list[common.Server]) -> Iterator[list[common.Server]]:
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


def _service_config(data_dir: Path, **extra: Any) -> dict[str, Any]:
    return {"DATA_DIR": str(data_dir), "SECRET_KEY": SECRET_KEY, **extra}


def _provision(config: dict[str, Any], site: bool, token: bool) -> dict[str, str]:
    """Migrate, add a site and/or a token in-process, as the CLI would."""
    from service import config as settings_module
    from service import services

    os.environ.update(common.AWS_ENV)
    svc = services.build(settings_module.load(config))
    made: dict[str, str] = {}
    try:
        if site:
            created, secret = svc.sites.add(
                "Benchmarks kommun", "https://www.example.se", actor=operator()
            )
            made.update(site_id=created["id"], secret=secret)
        if token:
            _, value = svc.tokens.create("bench", ["records:read"], actor=operator())
            made["token"] = value
    finally:
        svc.close()
    return made


# --- capture ---------------------------------------------------------------------------


def run_capture(args: argparse.Namespace, work: Path, deadline: float) -> dict[str, Any]:
    from service.sites.registry import new_webhook_secret

    settings = ServerSettings(args.workers, args.threads)
    dbs = _dbs(args.capture_db)
    notes: list[str] = []
    if "postgresql" in dbs:
        why = common.postgres_reachable(args.postgres_url)
        if why:
            notes.append(f"PostgreSQL skipped (unreachable: {why})")
            dbs.remove("postgresql")
    corpus = Corpus(args.seed)
    console.rule("[bold]1. Webhook capture throughput")
    console.print(
        f"{settings.describe()} on 127.0.0.1 for every target; SeaweedFS `weed mini` as S3; "
        f"{args.clients} concurrent senders (Python threads, keep-alive), "
        f"{args.rounds} × {args.seconds:.0f} s per target after {args.warmup_seconds:.0f} s "
        f"warm-up; index database(s): {', '.join(dbs)}."
    )
    with contextlib.ExitStack() as stack:
        weed = stack.enter_context(common.seaweedfs(work / "seaweedfs"))
        endpoint = weed.endpoint_url
        storage_cpu = {"storage": weed.process.pid}
        targets: list[capture.Target] = []
        servers: list[common.Server] = []
        stack.enter_context(stopping(servers))
        ref_secret = new_webhook_secret()
        common.create_bucket(endpoint, "bench-reference")
        servers.append(
            common.start_reference(
                "reference",
                {
                    "BENCH_REF_SECRET": ref_secret,
                    "BENCH_REF_BUCKET": "bench-reference",
                    "BENCH_REF_ENDPOINT_URL": endpoint,
                },
                settings,
                work / "logs",
            )
        )
        targets.append(
            capture.Target(
                "reference", servers[-1].url, "ref", ref_secret, servers[-1].pid, storage_cpu
            )
        )
        database_urls: dict[str, str] = {}
        variants = [(db, log) for db in dbs for log in ((True, False) if args.log_off else (True,))]
        for db, log in variants:
            name = db if log else f"{db}, log off"
            label = name.replace(", ", "-").replace(" ", "-")
            bucket = f"bench-{label}"
            common.create_bucket(endpoint, bucket)
            extra: dict[str, Any] = {
                "STORAGE_URL": f"s3://{bucket}",
                "S3_ENDPOINT_URL": endpoint,
                "LOG_ENABLED": log,
            }
            if db == "postgresql":
                extra["DATABASE_URL"] = stack.enter_context(
                    common.scratch_postgres(args.postgres_url, "capture")
                )
            config = _service_config(work / f"service-{label}", **extra)
            made = _provision(config, site=True, token=False)
            env = common.config_env(config)
            servers.append(common.start_service(f"service-{label}", env, settings, work / "logs"))
            from service import config as settings_module

            database_urls[name] = settings_module.load(config)["DATABASE_URL"]
            targets.append(
                capture.Target(
                    f"service ({name})",
                    servers[-1].url,
                    made["site_id"],
                    made["secret"],
                    servers[-1].pid,
                    storage_cpu,
                    {"database": "postgres"} if db == "postgresql" else {},
                )
            )
        results: dict[str, list[capture.PhaseResult]] = {t.name: [] for t in targets}
        phases = len(targets) * (1 + args.rounds)
        with progress() as bar:
            task = bar.add_task("capture phases", total=phases)
            number = 0
            for target in targets:
                number += 1
                bar.update(task, description=f"warm-up: {target.name}")
                capture.run_phase(
                    target, corpus, "warmup", number, args.clients, args.warmup_seconds, 100_000
                )
                bar.advance(task)
            for round_number in range(args.rounds):
                # Alternate the order, so a drift in machine load favours no one.
                ordered = targets if round_number % 2 == 0 else targets[::-1]
                if time.monotonic() > deadline:
                    notes.append("time limit reached: fewer rounds than asked")
                    break
                for target in ordered:
                    number += 1
                    bar.update(task, description=f"round {round_number + 1}: {target.name}")
                    results[target.name].append(
                        capture.run_phase(
                            target,
                            corpus,
                            f"r{round_number}",
                            number,
                            args.clients,
                            args.seconds,
                            100_000,
                        )
                    )
                    bar.advance(task)
        profiles = _profile(args, corpus, targets, servers, number) if args.profile else {}
        versions = {db: _count_versions(url) for db, url in database_urls.items()}
    report = _capture_report(args, settings, targets, results, versions, notes)
    report["profiles"] = profiles
    return report


def _profile(
    args: argparse.Namespace,
    corpus: Corpus,
    targets: list[capture.Target],
    servers: list[common.Server],
    number: int,
) -> dict[str, Any]:
    from bench import profile

    profiles: dict[str, Any] = {}
    for target, server in zip(targets, servers, strict=True):
        raw = RESULTS / f"profile-{server.name}.txt"
        spy = profile.start(server.pid, args.seconds, raw)
        if spy is None:
            console.print("[yellow]py-spy is not installed: no profile[/]")
            return profiles
        number += 1
        console.print(f"profiling {target.name} for {args.seconds:.0f} s …")
        capture.run_phase(target, corpus, "profile", number, args.clients, args.seconds, 100_000)
        spy.wait(timeout=args.seconds + 60)
        if not raw.exists():
            console.print(f"[yellow]py-spy wrote nothing for {target.name}[/]")
            continue
        rows = profile.summarize(raw)
        table = Table(title=f"Where {target.name} spends its busy time (py-spy, all workers)")
        table.add_column("function (file)")
        table.add_column("on stack %", justify="right")
        table.add_column("self %", justify="right")
        for label, inclusive, own in rows:
            table.add_row(label, f"{inclusive:.1f}", f"{own:.1f}")
        console.print(table)
        profiles[target.name] = {
            "raw": str(raw.relative_to(common.REPO)),
            "top": [
                {"function": a, "inclusive_pct": round(b, 1), "self_pct": round(c, 1)}
                for a, b, c in rows
            ],
        }
    return profiles


def _count_versions(url: str) -> int:
    from sqlalchemy import text

    from service.index.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM record_versions")).scalar_one())
    finally:
        engine.dispose()


def _cpu_ms_per_request(phases: list[capture.PhaseResult]) -> dict[str, float]:
    ok = sum(p.ok for p in phases)
    parts = dict.fromkeys(part for p in phases for part in p.cpu_seconds)
    return {
        part: 1000 * sum(p.cpu_seconds.get(part, 0.0) for p in phases) / ok if ok else math.nan
        for part in parts
    }


def _cpu_table(rows: list[dict[str, Any]]) -> Table:
    """The machine's CPU per answered request, by part: all of them share its cores."""
    parts = ["server", "storage", "database", "load generator"]
    table = Table(
        title="CPU ms per answered request (user + system; all parts share the same cores)",
        caption="server: gunicorn master + workers; storage: SeaweedFS; database: every "
        "`postgres` process; load generator: this benchmark's sender threads. Less sensitive "
        "than req/s to other work on the machine.",
    )
    table.add_column("target")
    for part in [*parts, "total"]:
        table.add_column(part, justify="right")
    for row in rows:
        cpu = row["cpu_ms_per_request"]
        cells = [f"{cpu[part]:.2f}" if part in cpu else "–" for part in parts]
        table.add_row(row["target"], *cells, f"{sum(cpu.values()):.2f}")
    return table


def _capture_report(
    args: argparse.Namespace,
    settings: ServerSettings,
    targets: list[capture.Target],
    results: dict[str, list[capture.PhaseResult]],
    versions: dict[str, int],
    notes: list[str],
) -> dict[str, Any]:
    reference = results["reference"]
    table = Table(title="Webhook capture throughput (higher is better)")
    for column in (
        "target",
        "req/s",
        "ok",
        "other answers",
        "p50 ms",
        "p95 ms",
        "ratio per round",
        "ratio",
    ):
        table.add_column(column, justify="left" if column == "target" else "right")
    rows = []
    for target in targets:
        phases = results[target.name]
        seconds = sum(p.seconds for p in phases)
        ok = sum(p.ok for p in phases)
        rate = ok / seconds if seconds else 0.0
        cpu_ms = _cpu_ms_per_request(phases)
        latencies = [ms for p in phases for ms in p.latencies_ms]
        statuses: dict[int, int] = {}
        for p in phases:
            for status, count in p.statuses.items():
                statuses[status] = statuses.get(status, 0) + count
        other = {s: c for s, c in statuses.items() if not 200 <= s < 300}
        # Each round's service phase against the reference phase of the same round.
        per_round = [
            p.rate / ref.rate for p, ref in zip(phases, reference, strict=False) if ref.rate
        ]
        ratio = statistics.median(per_round) if per_round else float("nan")
        row = {
            "target": target.name,
            "req_per_s": round(rate, 1),
            "ok": ok,
            "other_answers": {str(k): v for k, v in other.items()},
            "latency_p50_ms": round(common.percentile(latencies, 0.5), 2),
            "latency_p95_ms": round(common.percentile(latencies, 0.95), 2),
            "cpu_ms_per_request": {part: round(ms, 2) for part, ms in cpu_ms.items()},
            "ratio_per_round": [round(r, 3) for r in per_round],
            "ratio_to_reference": round(ratio, 3),
            "rounds": [p.summary() for p in phases],
        }
        rows.append(row)
        is_ref = target.name == "reference"
        verdict = "" if is_ref else (" [green]✓[/]" if ratio >= CAPTURE_GOAL else " [red]✗[/]")
        table.add_row(
            target.name,
            f"{row['req_per_s']:.1f}",
            str(ok),
            ", ".join(f"{k}: {v}" for k, v in other.items()) or "–",
            f"{row['latency_p50_ms']:.1f}",
            f"{row['latency_p95_ms']:.1f}",
            "" if is_ref else " ".join(f"{r:.2f}" for r in per_round),
            "1.000" if is_ref else f"{ratio:.3f}{verdict}",
        )
    console.print(table)
    console.print(
        "ratio = service req/s ÷ reference req/s of the same round (median over rounds); goal ≥ "
        f"{CAPTURE_GOAL}. Reference: verify the Standard Webhooks HMAC + one S3 PUT of the body "
        "(bench/reference.py)."
    )
    console.print(_cpu_table(rows))
    for db, count in versions.items():
        console.print(f"service ({db}) index now holds {count} record versions.")
    log_cost = _log_cost(results, {row["target"]: row for row in rows})
    for note in notes:
        console.print(f"[yellow]note:[/] {note}")
    return {
        "log_cost": log_cost,
        "settings": {
            "server": settings.describe(),
            "clients": args.clients,
            "seconds_per_round": args.seconds,
            "warmup_seconds": args.warmup_seconds,
            "rounds": args.rounds,
            "storage": "SeaweedFS weed mini (S3, Object Lock buckets)",
        },
        "goal_ratio_min": CAPTURE_GOAL,
        "targets": rows,
        "versions_in_index": versions,
        "notes": notes,
    }


def _log_cost(
    results: dict[str, list[capture.PhaseResult]], rows: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Each service with the integrity log on ÷ the same with it off, round by round."""
    cost: dict[str, Any] = {}
    for name in results:
        if not name.endswith(", log off)"):
            continue
        on_name = name.replace(", log off)", ")")
        on, off = results[on_name], results[name]
        per_round = [a.rate / b.rate for a, b in zip(on, off, strict=False) if b.rate]
        ratio = statistics.median(per_round) if per_round else float("nan")
        cpu_on, cpu_off = (sum(rows[n]["cpu_ms_per_request"].values()) for n in (on_name, name))
        cost[on_name] = {
            "ratio_per_round": [round(r, 3) for r in per_round],
            "ratio": round(ratio, 3),
            "cpu_ms_per_request": {"log on": round(cpu_on, 2), "log off": round(cpu_off, 2)},
        }
        console.print(
            f"{on_name}: integrity log on ÷ off = {ratio:.3f} (rounds: "
            f"{' '.join(f'{r:.2f}' for r in per_round)}) — "
            f"{common.verdict(ratio, LOG_GOAL)} the goal of {LOG_GOAL}; "
            f"CPU per request {cpu_on:.2f} ms on, {cpu_off:.2f} ms off"
        )
    return cost


# --- search ----------------------------------------------------------------------------


def _load(
    db: str, args: argparse.Namespace, work: Path, stack: contextlib.ExitStack
) -> tuple[str, str]:
    """The database URL holding `args.records` records, and how it came to be."""
    corpus = Corpus(args.seed)
    if db == "sqlite":
        cache_dir = RESULTS / "cache"
        cache_dir.mkdir(parents=True, exist_ok=True)
        path = cache_dir / search.cache_name(args.records, args.seed)
        if path.exists() and not args.no_cache:
            return f"sqlite:///{path}", f"cached {path.relative_to(common.REPO)}"
        for old in cache_dir.glob("search-*.sqlite3*"):
            old.unlink()  # one cached index at a time: they are large
        loader = search.load_sqlite
        url = f"sqlite:///{path}"
        target: Any = path
    else:
        url = stack.enter_context(common.scratch_postgres(args.postgres_url, "search"))
        loader = search.load_postgres
        target = url
    started = time.monotonic()
    with progress() as bar:
        task = bar.add_task(f"loading {db}", total=args.records)

        def phase(name: str) -> None:
            bar.update(task, description=f"{db}: {name}")

        loader(target, args.records, corpus, lambda n: bar.advance(task, n), phase)
        bar.update(task, description=f"{db}: loaded")
    return url, f"loaded in {time.monotonic() - started:.0f} s"


def run_search(args: argparse.Namespace, work: Path, deadline: float) -> dict[str, Any]:
    from service.index.db import make_engine

    settings = ServerSettings(args.workers, args.threads)
    dbs = _dbs(args.search_db)
    notes: list[str] = []
    if "postgresql" in dbs and (why := common.postgres_reachable(args.postgres_url)):
        notes.append(f"PostgreSQL skipped (unreachable: {why})")
        dbs.remove("postgresql")
    console.rule("[bold]2. Search latency")
    console.print(
        f"{args.records:,} synthetic records bulk-loaded straight into the index tables "
        "(not through webhooks or storage); each query "
        f"{args.query_warmup} + {args.repeat} times, one at a time, API (HTTP, bearer token, "
        f"{settings.describe()}) and direct (RecordQueries.search on the same database: the "
        "SQL the API runs) interleaved."
    )
    report: dict[str, Any] = {"records": args.records, "databases": {}, "notes": notes}
    for db in dbs:
        with contextlib.ExitStack() as stack:
            url, origin = _load(db, args, work, stack)
            engine = make_engine(url)
            stack.callback(engine.dispose)
            count = search.count_records(engine)
            config = _service_config(work / f"search-{db}", DATABASE_URL=url)
            token = _provision(config, site=False, token=True)["token"]
            servers: list[common.Server] = []
            stack.enter_context(stopping(servers))
            servers.append(
                common.start_service(
                    f"search-{db}", common.config_env(config), settings, work / "logs"
                )
            )
            api = search.ApiClient(servers[-1].url, token)
            stack.callback(api.close)
            with progress() as bar:
                task = bar.add_task(f"queries on {db}", total=args.repeat)
                timings = search.measure(
                    engine,
                    api,
                    args.repeat,
                    args.query_warmup,
                    deadline,
                    lambda n, task=task: bar.advance(task, n),  # type: ignore[misc]
                )
            report["databases"][db] = _search_table(db, count, origin, timings)
    for note in notes:
        console.print(f"[yellow]note:[/] {note}")
    return report


def _search_table(
    db: str, count: int, origin: str, timings: dict[str, search.Timing]
) -> dict[str, Any]:
    table = Table(title=f"Search latency, {db}, {count:,} records ({origin}); limit 50")
    goals = SEARCH_LATENCY_GOALS[db]
    cases = {case.name: case for case in search.cases()}
    for column in (
        "query",
        "items",
        "direct p50",
        "direct p95",
        "API p50",
        "API p95 (goal)",
        "p50 ×",
        "p95 ×",
    ):
        table.add_column(column, justify="left" if column == "query" else "right")
    pooled = search.Timing()
    rows = {}
    for name, timing in timings.items():
        pooled.api_ms += timing.api_ms
        pooled.direct_ms += timing.direct_ms
        s = timing.summary()
        rows[name] = {k: round(v, 3) if isinstance(v, float) else v for k, v in s.items()}
        rows[name]["samples"] = len(timing.api_ms)
        goal = goals[1] if cases[name].facets else goals[0]
        rows[name]["goal_api_p95_ms"] = goal
        met = "[green]✓[/]" if s["api_p95_ms"] <= goal else "[red]✗[/]"
        table.add_row(
            name,
            str(s["items"]),
            f"{s['direct_p50_ms']:.2f}",
            f"{s['direct_p95_ms']:.2f}",
            f"{s['api_p50_ms']:.2f}",
            f"{s['api_p95_ms']:.2f} ({goal:.0f}) {met}",
            f"{s['ratio_p50']:.1f}",
            _verdict(s["ratio_p95"]),
        )
    total = pooled.summary()
    table.add_section()
    table.add_row(
        "[bold]all queries pooled",
        "",
        f"{total['direct_p50_ms']:.2f}",
        f"{total['direct_p95_ms']:.2f}",
        f"{total['api_p50_ms']:.2f}",
        f"{total['api_p95_ms']:.2f}",
        f"{total['ratio_p50']:.1f}",
        _verdict(total["ratio_p95"]),
    )
    console.print(table)
    worst = max(r["ratio_p95"] for r in rows.values())
    missed = [n for n, r in rows.items() if r["api_p95_ms"] > r["goal_api_p95_ms"]]
    console.print(
        f"times in ms; ratio = API ÷ direct; goal p95 ≤ {SEARCH_GOAL:.0f}×. "
        f"Pooled p95 ratio {total['ratio_p95']:.1f}×, worst single query {worst:.1f}×. "
        f"Latency goal (issue 11, API p95 ≤ {goals[0]:.0f} ms, ≤ {goals[1]:.0f} ms with "
        f"facets): {len(rows) - len(missed)} of {len(rows)} query classes met."
    )
    return {
        "records": count,
        "origin": origin,
        "goal_ratio_p95_max": SEARCH_GOAL,
        "queries": rows,
        "pooled": {k: round(v, 3) for k, v in total.items() if isinstance(v, float)},
        "worst_query_ratio_p95": worst,
        "latency_goals_ms": goals,
        "latency_goal_missed": missed,
    }


def _verdict(ratio: float) -> str:
    mark = "[green]✓[/]" if ratio <= SEARCH_GOAL else "[red]✗[/]"
    return f"{ratio:.1f} {mark}"


# --- main ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.monotonic()
    deadline = started + args.time_limit
    RESULTS.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        **common.start_report(console, "Offentlig bench"),
        "arguments": {k: v for k, v in vars(args).items() if k != "postgres_url"},
    }
    work = Path(tempfile.mkdtemp(prefix="offentlig-bench-"))
    try:
        if args.only in (None, "capture"):
            result["capture"] = run_capture(args, work, deadline)
        if args.only in (None, "search"):
            result["search"] = run_search(args, work, deadline)
    finally:
        if (work / "logs").exists():  # server logs, kept for a look after the run
            shutil.rmtree(RESULTS / "logs", ignore_errors=True)
            shutil.copytree(work / "logs", RESULTS / "logs")
        shutil.rmtree(work, ignore_errors=True)
    common.finish_report(console, result, started, "bench", "latest.json")


if __name__ == "__main__":
    main(sys.argv[1:])
