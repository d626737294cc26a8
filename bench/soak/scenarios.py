"""The fault scenarios of issue 9 ("nothing lost"), each sized by `Size` (CI or soak)."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.common import create_bucket
from bench.soak.audit import Row, audit
from bench.soak.harness import (
    Delivery,
    Sender,
    Service,
    cli,
    new_database,
    running,
    service_env,
    simple_load,
    stamp,
    wait_for,
    wordpress_step,
)
from tests.support.postgres import PrivatePostgres
from tests.support.seaweedfs import SeaweedFS


@dataclass
class Size:
    events: int = 1000  # scenarios 1-3
    kills: int = 12  # scenario 3
    chaos_deliveries: int = 10_000  # scenario 4
    outage_seconds: float = 8.0


@dataclass
class World:
    """The servers every scenario shares; each scenario gets its own bucket and database."""

    workdir: Path
    seaweedfs: SeaweedFS
    postgres: PrivatePostgres

    def env(self, *, s3: bool = True, extra: dict[str, str] | None = None) -> dict[str, str]:
        label = uuid.uuid4().hex[:10]
        if s3:
            bucket = f"soak-{label}"
            create_bucket(self.seaweedfs.endpoint_url, bucket)
            storage = f"s3://{bucket}"
            extra = {"OFFENTLIG_S3_ENDPOINT_URL": self.seaweedfs.endpoint_url, **(extra or {})}
        else:
            storage = (self.workdir / label / "objects").as_uri()
        env = service_env(storage, new_database(self.postgres.url), extra)
        env["OFFENTLIG_DATA_DIR"] = str(self.workdir / label)
        return env


def _site(env: dict[str, str]) -> tuple[str, str, str]:
    cli(env, "migrate")
    site = cli(env, "sites", "add", "--name", "Soak", "--url", "https://www.example.se")
    token = cli(env, "tokens", "create", "--name", "soak", "--scope", "records:read")
    return site["id"], site["secret"], token["token"]


def _outage(
    begin: Callable[[], None], end: Callable[[], None], started: Callable[[], bool], seconds: float
) -> threading.Thread:
    """Take a backend away once `started()` says the load is under way (a step of progress,
    not of time: a fast machine still sends into the outage), and bring it back `seconds` on."""

    def run() -> None:
        if not started():
            return
        begin()
        time.sleep(seconds)
        end()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _probe_reads(
    url: str, token: str, until: threading.Event, seen: dict[int, int]
) -> threading.Thread:
    """Searches during the run: their answers (expected 200, or 503 while a backend is down)."""

    def run() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(100_000):
            if until.is_set():
                return
            try:
                code = requests.get(
                    f"{url}/v1/records?q=kommunen", headers=headers, timeout=30
                ).status_code
            except requests.RequestException:
                code = 0
            seen[code] = seen.get(code, 0) + 1
            time.sleep(0.3)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _under_outage(
    world: World,
    size: Size,
    scenario: str,
    begin: Callable[[], None],
    end: Callable[[], None],
) -> Row:
    """A load with a backend taken away a quarter of the way in and brought back, searches
    probed throughout; audited once the index has every record again (its repair loop runs
    every second)."""
    started = time.monotonic()
    env = world.env()
    site_id, secret, token = _site(env)
    service = Service(env, world.workdir / f"{scenario.split()[0]}.log")
    deliveries = simple_load(size.events, scenario.split()[0])
    reads: dict[int, int] = {}
    with running(service):
        sender = Sender([service.url], site_id, secret)
        done = threading.Event()
        prober = _probe_reads(service.url, token, done, reads)
        load = threading.Thread(target=sender.send_all, args=(deliveries,))
        load.start()
        outage = _outage(
            begin, end, lambda: _wait_for_acknowledged(sender, size.events // 4, load),
            size.outage_seconds,
        )  # fmt: skip
        load.join()
        outage.join()
        done.set()
        prober.join()
        records = len({d.data["id"] for d in deliveries})
        wait_for(lambda: _indexed(service.url, token) >= records, 60)
        time.sleep(3)
        row = audit(
            Row(scenario), env, site_id, token, service.url, deliveries, sender.answers, started
        )
    row.notes["reads"] = reads
    return row


def storage_down(world: World, size: Size) -> Row:
    """1. SeaweedFS stopped mid-run under load: 503 with Retry-After, never a 500; nothing lost."""
    return _under_outage(
        world, size, "1 storage down", world.seaweedfs.stop, world.seaweedfs.restart
    )


def database_down(world: World, size: Size) -> Row:
    """2. PostgreSQL stopped mid-run (as if it crashed): webhooks still 201/200 (storage),
    reads 503, and the index repairs itself once the database is back (no reindex)."""
    return _under_outage(
        world, size, "2 database down", lambda: world.postgres.stop("immediate"),
        world.postgres.start,
    )  # fmt: skip


def _indexed(url: str, token: str, pages: int = 1_000) -> int:
    """How many records the API lists (0 while it cannot answer), page by page."""
    found, cursor = 0, None
    for _ in range(pages):
        try:
            answer = requests.get(
                f"{url}/v1/records",
                params={"limit": 500, **({"cursor": cursor} if cursor else {})},
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
        except requests.RequestException:
            return 0
        if answer.status_code != 200:
            return 0
        page = answer.json()
        found += len(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return found


def crashes(world: World, size: Size) -> Row:
    """3. kill -9 of gunicorn workers, and now and then of the whole service, under load."""
    started = time.monotonic()
    env = world.env(s3=False)
    site_id, secret, token = _site(env)
    service = Service(env, world.workdir / "crashes.log", workers=2, threads=4)
    deliveries = simple_load(size.events, "k")
    kills = {"workers": 0, "service": 0}
    with running(service):
        sender = Sender([service.url], site_id, secret)
        load = threading.Thread(target=sender.send_all, args=(deliveries,))
        load.start()
        rng = random.Random(9)
        for i in range(size.kills):
            # Kills fall at even steps of progress, not of time, so a fast machine still
            # sees them all under load.
            if not _wait_for_acknowledged(sender, (i + 1) * size.events // (size.kills + 1), load):
                break
            if i % 4 == 3:
                service.kill_all()
                kills["service"] += 1
                service.start()
            else:
                pids = service.workers_pids()
                if pids:
                    with_pid = rng.choice(pids)
                    try:
                        os.kill(with_pid, signal.SIGKILL)
                        kills["workers"] += 1
                    except ProcessLookupError:
                        pass
        load.join()
        row = audit(
            Row("3 crashes"), env, site_id, token, service.url, deliveries, sender.answers, started
        )
    objects = Path(env["OFFENTLIG_DATA_DIR"]) / "objects"
    row.notes["kills"] = kills
    row.notes["temp_files_left"] = sum(1 for _ in objects.rglob(".tmp-*"))
    return row


def _wait_for_acknowledged(sender: Sender, count: int, load: threading.Thread) -> bool:
    """Until `count` deliveries are acknowledged (True), or the load has ended (False)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and load.is_alive():
        with sender.answers.lock:
            if len(sender.answers.acknowledged) >= count:
                return True
        time.sleep(0.02)
    return False


def chaos_history(records: int, deliveries: int, rng: random.Random) -> list[Delivery]:
    """A WordPress history (per post: publish, edits, a trash and restore now and then), then
    delivered as senders do when things go wrong: duplicated, replayed late, concurrent
    twins (the same webhook-id twice at once), twins of a state under a new webhook-id,
    all shuffled."""
    history: list[Delivery] = []
    second = 0
    per_record = max(1, deliveries // (records * 2))
    for n in range(1, records + 1):
        for step in range(per_record):
            second += 1
            when = stamp(second)
            kind, data = wordpress_step(n, step, when, cycle=4)
            history.append(Delivery(f"msg_c_{n}_{step}", kind, when, data))
    sent = list(history)
    while len(sent) < deliveries:
        original = rng.choice(history)
        roll = rng.random()
        if roll < 0.2 and original.changes_content:  # the same state under another webhook-id
            sent.append(
                Delivery(
                    f"{original.webhook_id}_twin{len(sent)}",
                    original.type,
                    original.timestamp,
                    original.data,
                )
            )
        else:  # a duplicate, a replay, a concurrent twin: the same delivery again
            sent.append(original)
    rng.shuffle(sent)
    return sent


def chaos(world: World, size: Size) -> Row:
    """4. Shuffled, duplicated, replayed deliveries against several processes sharing one
    bucket and one database: one version per distinct content per record, WordPress's order."""
    started = time.monotonic()
    env = world.env()
    site_id, secret, token = _site(env)
    services = [
        Service(env, world.workdir / f"chaos-{i}.log", workers=1, threads=4) for i in range(3)
    ]
    rng = random.Random(4)
    deliveries = chaos_history(max(10, size.chaos_deliveries // 40), size.chaos_deliveries, rng)
    with running(*services):
        sender = Sender([s.url for s in services], site_id, secret)
        sender.send_all(deliveries, threads=12)
        row = audit(
            Row("4 chaos delivery"),
            env,
            site_id,
            token,
            services[0].url,
            deliveries,
            sender.answers,
            started,
        )
        row.notes["order_mismatches"] = _order_mismatches(env, site_id, deliveries)
    return row


def _order_mismatches(env: dict[str, str], site_id: str, deliveries: list[Delivery]) -> int:
    """Records whose stored versions and events, ordered by occurred_at, are not the history's
    distinct content states and status events in its order."""
    from bench.soak.audit import content_sha256
    from bench.soak.harness import stored

    versions, events, _ = stored(env, site_id)
    expected: dict[str, list[tuple[str, str]]] = {}
    seen: set[tuple[str, str]] = set()
    for delivery in sorted(
        {d.webhook_id.split("_twin")[0]: d for d in deliveries}.values(), key=lambda d: d.timestamp
    ):
        record_id = f"{site_id}.post.{delivery.data['id']}"
        item = (
            ("version", content_sha256(site_id, delivery))
            if delivery.changes_content
            else ("event", delivery.webhook_id)
        )
        if (record_id, item[1]) not in seen:
            seen.add((record_id, item[1]))
            expected.setdefault(record_id, []).append(item)
    mismatches = 0
    for record_id, wanted in expected.items():
        kept = [
            (v["occurred_at"], 0, ("version", v["content_sha256"]))
            for v in versions.get(record_id, [])
        ]
        kept += [
            (e["occurred_at"], 1, ("event", e["event"]["id"])) for e in events.get(record_id, [])
        ]
        order = [item for _, _, item in sorted(kept)]
        # Versions in the history's order, events in the history's order. (A version made
        # by a status delivery that came before any version stands at that delivery's
        # moment, so versions and events interleave as they arrived there.)
        for change in ("version", "event"):
            mismatches += [i for i in order if i[0] == change] != [
                i for i in wanted if i[0] == change
            ]
    return mismatches


def _all() -> dict[str, Callable[[World, Size], Row]]:
    from bench.soak.edge import disk_full, read_only_bucket, slow_clients

    return {
        "storage-down": storage_down,
        "database-down": database_down,
        "crashes": crashes,
        "chaos": chaos,
        "disk-full": disk_full,
        "read-only-bucket": read_only_bucket,
        "slow-clients": slow_clients,
    }
