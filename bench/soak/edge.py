"""Scenarios at the edges: a full disk and a bucket that refuses writes (5), and slow or
oversized clients behind the documented nginx configuration (6)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import requests

from bench.common import percentile
from bench.soak.audit import Row, audit
from bench.soak.harness import (
    REPO,
    Delivery,
    Sender,
    Service,
    free_port,
    post,
    running,
    stamp,
    stored,
)
from bench.soak.scenarios import Size, World, _site
from tests.support.processes import stop_group

NGINX_CONF = REPO / "docs" / "nginx.conf"
P95_BOUND_SECONDS = 1.0  # a normal request's p95 while the attack runs


def disk_full(world: World, size: Size) -> Row:
    """5. The filesystem store on a 2 MB tmpfs (in the service's private mount namespace):
    once it is full, every write is a 503 with Retry-After, no temp file or partial object
    is left, and the index shows exactly what storage took."""
    started = time.monotonic()
    env = world.env(s3=False)
    objects = Path(env["OFFENTLIG_DATA_DIR"]) / "objects"
    site_id, secret, token = _site(env)
    keep = Path(env["OFFENTLIG_DATA_DIR"]) / "objects-before"
    shutil.copytree(objects, keep)
    service = Service(env, world.workdir / "disk-full.log", workers=1, threads=4)
    service.wrap = [
        "unshare", "-m", "--propagation", "private", "sh", "-c",
        f'mount -t tmpfs -o size=2m tmpfs "{objects}" && cp -a "{keep}/." "{objects}/" '
        '&& exec "$0" "$@"',
    ]  # fmt: skip
    big = "x" * 60_000
    deliveries = [
        Delivery(
            f"msg_full_{i:05d}",
            "post.published",
            stamp(i),
            {**post(i + 1, f"Stor {i}", stamp=stamp(i)), "content": big},
        )
        for i in range(max(60, size.events // 4))
    ]
    with running(service):
        sender = Sender([service.url], site_id, secret, patience=2)
        sender.send_all(deliveries, threads=4)
        assert service.process is not None
        inside = ("nsenter", "-t", str(service.process.pid), "-m")
        temp_files = _in_namespace(service, f'find "{objects}" -name ".tmp-*" | wc -l')
        stored_deliveries = [d for d in deliveries if d.webhook_id in sender.answers.acknowledged]
        row = audit(
            Row("5 disk full"), env, site_id, token, service.url, stored_deliveries,
            sender.answers, started, wrap=inside,
        )  # fmt: skip
    row.sent = len(deliveries)
    row.every_delivery_acknowledged = False
    row.notes["refused_503"] = sender.answers.codes.get(503, 0)
    row.notes["temp_files_left"] = int(temp_files)
    return row


def _in_namespace(service: Service, command: str) -> str:
    assert service.process is not None
    done = subprocess.run(  # noqa: S603 - fixed argv
        ["nsenter", "-t", str(service.process.pid), "-m", "sh", "-c", command],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout.strip() or "0"


# --- 6. slow loris and oversized input behind nginx ------------------------------------------


def nginx_config(directory: Path, listen: int, upstream: int) -> Path:
    """docs/nginx.conf as documented, on loopback ports, under a private prefix."""
    for sub in ("run", "tmp"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    site = NGINX_CONF.read_text()
    site = site.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};")
    (directory / "offentlig.conf").write_text(site)
    main = """user root; worker_processes 1; pid run/nginx.pid; error_log run/error.log;
events { worker_connections 4096; }
http {
  access_log off; client_body_temp_path tmp/body; proxy_temp_path tmp/proxy;
  fastcgi_temp_path tmp/fastcgi; scgi_temp_path tmp/scgi; uwsgi_temp_path tmp/uwsgi;
  include offentlig.conf;
}
"""
    (directory / "nginx.conf").write_text(main)
    return directory / "nginx.conf"


def _source(i: int) -> tuple[str, int]:
    """Attackers come from other addresses than the site (127.0.0.2 …, still loopback)."""
    return (f"127.0.0.{2 + i % 250}", 0)


def _trickle(port: int, stop: threading.Event, i: int) -> None:
    """A slow client: headers (or a body) a few bytes at a time, until cut off or stopped."""
    body = i % 2 == 1
    with (
        contextlib.suppress(OSError),
        socket.create_connection(("127.0.0.1", port), timeout=5, source_address=_source(i)) as s,
    ):
        if body:
            s.sendall(
                b"POST /v1/sites/x/events HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n"
            )
        else:
            s.sendall(b"GET /healthz HTTP/1.1\r\n")
        for _ in range(600):  # at most a minute
            if stop.wait(0.5):
                return
            s.sendall(b"x" if body else b"X-a: b\r\n")


def _oversized(port: int, stop: threading.Event, codes: dict[int, int], i: int) -> None:
    """Bodies over the limit, announced (Content-Length) and sent: nginx answers 413."""
    head = b"POST /v1/sites/x/events HTTP/1.1\r\nHost: a\r\nContent-Length: 11534336\r\n\r\n"
    for n in range(1000):
        if stop.is_set():
            return
        code = 0
        with (
            contextlib.suppress(OSError, ValueError),
            socket.create_connection(
                ("127.0.0.1", port), timeout=10, source_address=_source(i + n)
            ) as s,
        ):
            s.sendall(head + b"x" * 65536)
            code = int(s.recv(64).split(b" ", 2)[1])
        codes[code] = codes.get(code, 0) + 1


def slow_clients(world: World, size: Size) -> Row:
    started = time.monotonic()
    env = world.env()
    site_id, secret, token = _site(env)
    service = Service(env, world.workdir / "edge.log", workers=2, threads=1)  # sync workers
    port = free_port()
    with running(service):
        conf = nginx_config(world.workdir / "nginx", port, service.port)
        nginx = subprocess.Popen(  # noqa: S603 - fixed argv
            ["nginx", "-p", f"{conf.parent}/", "-c", "nginx.conf", "-g", "daemon off;"],
            start_new_session=True,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_ok(url + "/healthz")
            baseline = _timings(url, 40)
            stop = threading.Event()
            oversized: dict[int, int] = {}
            attackers = [
                threading.Thread(target=_trickle, args=(port, stop, i))
                for i in range(min(size.events, 300))
            ]
            attackers += [
                threading.Thread(target=_oversized, args=(port, stop, oversized, 100 * i))
                for i in range(2)
            ]
            for thread in attackers:
                thread.start()
            time.sleep(2)
            sender = Sender([url], site_id, secret)
            deliveries = [
                Delivery(
                    f"msg_edge_{i}",
                    "post.published",
                    stamp(i),
                    post(i + 1, f"Kant {i}", stamp=stamp(i)),
                )
                for i in range(50)
            ]
            during = _timings(url, 60, sender, deliveries)
            stop.set()
            for thread in attackers:
                thread.join(timeout=70)
            row = audit(
                Row("6 slow clients"), env, site_id, token, url, deliveries, sender.answers, started
            )
        finally:
            stop_group(nginx, grace=5)
    row.notes["p95_ms_before"] = round(percentile(baseline, 0.95) * 1000)
    row.notes["p95_ms_during"] = round(percentile(during, 0.95) * 1000)
    row.notes["slow_connections"] = min(size.events, 300)
    row.notes["oversized_answers"] = oversized
    return row


def _wait_ok(url: str) -> None:
    for _ in range(100):
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def _timings(
    url: str, count: int, sender: Sender | None = None, deliveries: list[Delivery] | None = None
) -> list[float]:
    """Seconds per normal request: a health check, and a webhook when given."""
    seconds = []
    for i in range(count):
        begin = time.monotonic()
        if sender is not None and deliveries and i < len(deliveries):
            sender.send(deliveries[i])
        else:
            requests.get(url + "/healthz", timeout=30)
        seconds.append(time.monotonic() - begin)
        time.sleep(0.05)
    return seconds


def read_only_bucket(world: World, size: Size) -> Row:
    """5b. A bucket that refuses writes (SeaweedFS `fs.configure -readOnly`): every delivery
    a 503 with Retry-After, nothing stored, nothing in the index."""
    started = time.monotonic()
    env = world.env()
    site_id, secret, token = _site(env)
    bucket = env["OFFENTLIG_STORAGE_URL"].removeprefix("s3://")
    _seaweed_shell(world, f"fs.configure -locationPrefix=/buckets/{bucket}/ -readOnly -apply")
    service = Service(env, world.workdir / "read-only.log", workers=1, threads=4)
    deliveries = [
        Delivery(f"msg_ro_{i}", "post.published", stamp(i), post(i + 1, f"Ro {i}", stamp=stamp(i)))
        for i in range(20)
    ]
    with running(service):
        sender = Sender([service.url], site_id, secret, patience=1)
        sender.send_all(deliveries, threads=4)
        row = audit(
            Row("5b read-only bucket"), env, site_id, token, service.url, deliveries,
            sender.answers, started,
        )  # fmt: skip
    row.every_delivery_acknowledged = False
    row.notes["stored_versions"] = sum(len(v) for v in stored(env, site_id)[0].values())
    return row


def _seaweed_shell(world: World, command: str) -> None:
    argv = world.seaweedfs.argv
    master = next(a for a in argv if a.startswith("-master.port=")).split("=")[1]
    filer = next(a for a in argv if a.startswith("-filer.port=")).split("=")[1]
    subprocess.run(  # noqa: S603 - fixed argv
        [argv[0], "shell", f"-master=127.0.0.1:{master}", f"-filer=127.0.0.1:{filer}"],
        input=command + "\n", capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
