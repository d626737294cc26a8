"""What every fault scenario runs on: `offentlig serve` (real gunicorn) on real storage and
a private PostgreSQL, a sender that retries as the plugin does, and the audit that counts
what was sent, acknowledged, stored, shown and rebuilt. Loopback only; every wait bounded."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import sqlalchemy
from standardwebhooks.webhooks import Webhook

from bench.common import AWS_ENV, SECRET_KEY, free_port
from service.records.canonical import verify
from service.records.model import EventType
from service.storage import open_store
from tests.support.processes import stop_group

REPO = Path(__file__).resolve().parents[2]
OFFENTLIG = str(Path(sys.executable).parent / "offentlig")  # PYTHONPATH picks this tree


# --- deliveries ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One webhook as the plugin sends it: its id, type, WordPress time and data."""

    webhook_id: str
    type: str
    timestamp: str
    data: dict[str, Any]

    @property
    def body(self) -> bytes:
        return json.dumps(
            {"type": self.type, "timestamp": self.timestamp, "data": self.data}
        ).encode()

    @property
    def changes_content(self) -> bool:
        return EventType.parse(self.type).action.changes_content


def post(n: int, title: str, *, status: str = "publish", stamp: str) -> dict[str, Any]:
    return {
        "id": n,
        "guid": f"https://www.example.se/?p={n}",
        "title": title,
        "content": f"<p>{title}: kommunen informerar.</p>",
        "content_raw": f"{title}: kommunen informerar.",
        "excerpt": "",
        "permalink": f"https://www.example.se/{n}/",
        "status": status,
        "author": {"id": 1, "name": "Anna"},
        "published_at": "2026-11-28T08:00:00Z",
        "modified_at": stamp,
    }


def stamp(second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_790_000_000 + second))


def wordpress_step(n: int, step: int, when: str, cycle: int) -> tuple[str, dict[str, Any]]:
    """Post `n`'s `step`-th event: a publish, then edits, and every `cycle` steps a trash and
    then a restore (which carry the content of the edit before them)."""
    if step == 0:
        return "post.published", post(n, f"Inlägg {n} v0", stamp=when)
    if step % cycle == cycle - 2:
        return "post.trashed", post(n, f"Inlägg {n} v{step - 1}", status="trash", stamp=when)
    if step % cycle == cycle - 1:
        return "post.restored", post(n, f"Inlägg {n} v{step - 2}", stamp=when)
    return "post.updated", post(n, f"Inlägg {n} v{step}", stamp=when)


def simple_load(count: int, prefix: str, records: int = 50) -> list[Delivery]:
    """`count` deliveries over `records` posts (`wordpress_step`), each with its own
    webhook-id, in order."""
    deliveries = []
    steps: Counter[int] = Counter()
    for i in range(count):
        n = i % records + 1
        when = stamp(i)
        kind, data = wordpress_step(n, steps[n], when, cycle=5)
        steps[n] += 1
        deliveries.append(Delivery(f"msg_{prefix}_{i:06d}", kind, when, data))
    return deliveries


# --- the sender ------------------------------------------------------------------------------


@dataclass
class Answers:
    """Every HTTP answer the senders got, and how each delivery ended."""

    codes: Counter[int] = field(default_factory=Counter)
    unavailable_without_retry_after: int = 0
    acknowledged: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, answer: requests.Response | None) -> None:
        with self.lock:
            self.codes[answer.status_code if answer is not None else 0] += 1
            if (
                answer is not None
                and answer.status_code == 503
                and "Retry-After" not in answer.headers
            ):
                self.unavailable_without_retry_after += 1


class Sender:
    """Signs and posts deliveries, retrying refused connections and 5xx answers with backoff
    (as the plugin's outbox does), up to `patience` seconds per delivery."""

    def __init__(self, urls: list[str], site_id: str, secret: str, patience: float = 180.0):
        self.urls, self.site_id, self.patience = urls, site_id, patience
        self.signer = Webhook(secret)
        self.answers = Answers()
        self._local = threading.local()

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session  # type: ignore[no-any-return]

    def send(self, delivery: Delivery, attempt_url: int = 0) -> int:
        body = delivery.body
        deadline = time.monotonic() + self.patience
        pause = 0.1
        for attempt in range(10_000):  # bounded by the deadline long before
            url = self.urls[(attempt_url + attempt) % len(self.urls)]
            now = time.time()
            headers = {
                "content-type": "application/json",
                "webhook-id": delivery.webhook_id,
                "webhook-timestamp": str(int(now)),
                "webhook-signature": self.signer.sign(
                    delivery.webhook_id, _utc(now), body.decode()
                ),
            }
            answer = None
            with contextlib.suppress(requests.RequestException):
                answer = self._session().post(
                    f"{url}/v1/sites/{self.site_id}/events", data=body, headers=headers, timeout=30
                )
            self.answers.note(answer)
            if answer is not None and answer.status_code < 300:
                with self.answers.lock:
                    self.answers.acknowledged.add(delivery.webhook_id)
                return answer.status_code
            if answer is not None and answer.status_code < 500:
                return answer.status_code  # refused for good: a 4xx is not retried
            if time.monotonic() + pause > deadline:
                return answer.status_code if answer is not None else 0
            time.sleep(pause)
            pause = min(pause * 2, 2.0)
        return 0

    def send_all(self, deliveries: Iterable[Delivery], threads: int = 8) -> None:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda pair: self.send(pair[1], pair[0]), enumerate(deliveries)))


def _utc(moment: float) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(moment, UTC)


# --- the service -------------------------------------------------------------------------


@dataclass
class Service:
    """`offentlig serve` in its own process group, restartable on the same port."""

    env: dict[str, str]
    log_path: Path
    workers: int = 2
    threads: int = 4
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    wrap: list[str] = field(default_factory=list)  # e.g. a private mount namespace

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> None:
        argv = [OFFENTLIG, "serve", "--host", "127.0.0.1"]
        argv += ["--port", str(self.port), "--workers", str(self.workers)]
        argv = [*self.wrap, *argv, "--threads", str(self.threads)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argv
                argv, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"offentlig serve exited:\n{self.log_path.read_text()[-3000:]}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"offentlig serve did not answer in {timeout:.0f} s")

    def workers_pids(self) -> list[int]:
        if self.process is None:
            return []
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError):
                    fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                    if int(fields[1]) == self.process.pid:
                        found.append(int(entry))
        return found

    def kill_all(self) -> None:
        """kill -9 of the whole service: master and workers, no chance to clean up."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process, grace=20)


def service_env(
    storage_url: str, database_url: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("OFFENTLIG_")}
    return {
        **inherited,
        **AWS_ENV,
        "PYTHONPATH": str(REPO),
        "OFFENTLIG_STORAGE_URL": storage_url,
        "OFFENTLIG_DATABASE_URL": database_url,
        "OFFENTLIG_SECRET_KEY": SECRET_KEY,
        "OFFENTLIG_LOG_LEVEL": "WARNING",
        "OFFENTLIG_INDEX_REPAIR_SECONDS": "1",
        **(extra or {}),
    }


def cli(env: dict[str, str], *args: str, timeout: float = 600, wrap: tuple[str, ...] = ()) -> Any:
    done = subprocess.run(  # noqa: S603 - fixed argv
        [*wrap, OFFENTLIG, *args, "--json"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"offentlig {' '.join(args)}: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def new_database(server_url: str) -> str:
    name = f"soak_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@contextlib.contextmanager
def running(*services: Service) -> Iterator[None]:
    try:
        for service in services:
            service.start()
        yield
    finally:
        for service in services:
            service.stop()


def wait_for(check: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return False


def storage_of(env: dict[str, str]) -> Any:
    config = {
        "STORAGE_URL": env["OFFENTLIG_STORAGE_URL"],
        "S3_ENDPOINT_URL": env.get("OFFENTLIG_S3_ENDPOINT_URL"),
        "S3_REGION": None,
    }
    with _aws():
        return open_store(config)


@contextlib.contextmanager
def _aws() -> Iterator[None]:
    for key, value in AWS_ENV.items():
        os.environ.setdefault(key, value)
    yield


def stored(
    env: dict[str, str], site_id: str
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]], int]:
    """Every record's versions and events in storage, checked; and how many failed the check."""
    storage = storage_of(env)
    versions: dict[str, list[dict[str, Any]]] = {}
    events: dict[str, list[dict[str, Any]]] = {}
    broken = 0
    for key in storage.list(f"sites/{site_id}/"):
        parts = key.split("/")
        if len(parts) != 6 or parts[4] not in ("versions", "events"):
            continue
        try:
            document = verify(storage.get(key))
        except (ValueError, json.JSONDecodeError):
            broken += 1
            continue
        (versions if parts[4] == "versions" else events).setdefault(
            document["record_id"], []
        ).append(document)
    return versions, events, broken
