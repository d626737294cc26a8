"""After a scenario: what was sent and acknowledged, and whether each acknowledged delivery
is in storage, in the API and in the change feed; duplicates, broken chains; and whether
`offentlig reindex` into a fresh database rebuilds the same index."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import requests
import sqlalchemy

from bench.soak.harness import Answers, Delivery, cli, new_database, stored
from schemas.webhook import WebhookEventSchema
from service.capture.snapshot import snapshot
from service.records.model import EventType


@dataclass
class Row:
    scenario: str
    sent: int = 0
    acknowledged: int = 0
    in_storage: int = 0
    in_api: int = 0
    in_feed: int = 0
    duplicates: int = 0
    broken_chains: int = 0
    corrupt_objects: int = 0
    answers_500: int = 0
    answers_503_without_retry_after: int = 0
    reindex_same: bool = False
    seconds: float = 0.0
    every_delivery_acknowledged: bool = True  # not when the fault lasts (a full disk)
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return self.acknowledged - min(self.in_storage, self.in_api, self.in_feed)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "lost": self.lost}


def content_sha256(site_id: str, delivery: Delivery) -> str:
    event = WebhookEventSchema().load(
        {"type": delivery.type, "timestamp": delivery.timestamp, "data": delivery.data}
    )
    return snapshot(site_id, EventType.parse(delivery.type), event["data"]).content_sha256(None)


def _feed(url: str, token: str) -> set[tuple[str, str, Any]]:
    entries: set[tuple[str, str, Any]] = set()
    after = 0
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(100_000):  # pages; bounded by the feed's length
        page = requests.get(
            f"{url}/v1/changes", params={"after": after, "limit": 1000}, headers=headers, timeout=60
        ).json()
        for item in page["items"]:
            key = item["event_id"] if item["change"] == "event" else item["version"]
            entries.add((item["record_id"], item["change"], key))
        if not page["items"]:
            return entries
        after = page["next_cursor"]
    return entries


def _api_versions(url: str, token: str, record_id: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"}
    answer = requests.get(f"{url}/v1/records/{record_id}/versions", headers=headers, timeout=60)
    return answer.json()["items"] if answer.status_code == 200 else []


def _api_events(url: str, token: str, record_id: str) -> set[str]:
    headers = {"Authorization": f"Bearer {token}"}
    answer = requests.get(f"{url}/v1/records/{record_id}", headers=headers, timeout=60)
    return {e["id"] for e in answer.json()["events"]} if answer.status_code == 200 else set()


def _broken(versions: list[dict[str, Any]]) -> bool:
    ordered = sorted(versions, key=lambda v: v["version"])
    if [v["version"] for v in ordered] != list(range(1, len(ordered) + 1)):
        return True
    previous = None
    for version in ordered:
        if version["previous_sha256"] != previous:
            return True
        previous = version["sha256"]
    return False


def audit(
    row: Row,
    env: dict[str, str],
    site_id: str,
    token: str,
    url: str,
    deliveries: list[Delivery],
    answers: Answers,
    started: float,
    wrap: tuple[str, ...] = (),
) -> Row:
    """`wrap`: a command prefix that sees the service's storage (its mount namespace)."""
    distinct = {d.webhook_id: d for d in deliveries}
    row.sent = len(distinct)
    row.acknowledged = len(answers.acknowledged)
    row.answers_500 = sum(n for code, n in answers.codes.items() if code >= 500 and code != 503)
    row.answers_503_without_retry_after = answers.unavailable_without_retry_after
    row.notes["answers"] = dict(sorted(answers.codes.items()))
    versions, events, row.corrupt_objects = (
        stored(env, site_id) if not wrap else stored_elsewhere(env, site_id, wrap)
    )
    feed = _feed(url, token)
    for record_id, kept in versions.items():
        row.duplicates += sum(n - 1 for n in Counter(v["content_sha256"] for v in kept).values())
        shown = _api_versions(url, token, record_id)
        row.broken_chains += _broken(kept) or [v["version"] for v in shown] != list(
            range(1, len(shown) + 1)
        )
    api_versions = {
        r: {v["content_sha256"]: v["version"] for v in _api_versions(url, token, r)}
        for r in versions
    }
    api_events = {r: _api_events(url, token, r) for r in events}
    for webhook_id in answers.acknowledged:
        delivery = distinct[webhook_id]
        record_id = f"{site_id}.post.{delivery.data['id']}"
        if delivery.changes_content:
            wanted = content_sha256(site_id, delivery)
            if any(v["content_sha256"] == wanted for v in versions.get(record_id, [])):
                row.in_storage += 1
            number = api_versions.get(record_id, {}).get(wanted)
            row.in_api += number is not None
            row.in_feed += (record_id, "version", number) in feed
        else:
            event = next(
                (e for e in events.get(record_id, []) if e["event"]["id"] == webhook_id), None
            )
            row.in_storage += event is not None
            row.in_api += event is not None and event["id"] in api_events.get(record_id, set())
            row.in_feed += event is not None and (record_id, "event", event["id"]) in feed
    row.reindex_same = reindex_matches(env, wrap)
    row.seconds = round(time.monotonic() - started, 1)
    return row


def stored_elsewhere(
    env: dict[str, str], site_id: str, wrap: tuple[str, ...]
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]], int]:
    """`harness.stored`, run under `wrap`."""
    script = (
        "import json, sys; from bench.soak.harness import stored; "
        "print(json.dumps(stored(json.loads(sys.argv[1]), sys.argv[2])))"
    )
    done = subprocess.run(  # noqa: S603 - fixed argv
        [*wrap, sys.executable, "-c", script, json.dumps(env), site_id],
        env=env, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    versions, events, broken = json.loads(done.stdout)
    return versions, events, broken


_COMPARED = {
    "records": "id, latest_version, latest_sha256, status, title",
    "record_versions": "record_id, version, sha256",
    "record_events": "id, record_id, version, sha256",
    "changes": "record_id, change, version, event_id",
}


def reindex_matches(env: dict[str, str], wrap: tuple[str, ...] = ()) -> bool:
    """`offentlig reindex` into a fresh database answers what the live one does."""
    live_url = env["OFFENTLIG_DATABASE_URL"]
    if live_url.startswith("sqlite"):
        rebuilt_url = live_url.replace(".sqlite3", f"-rebuilt-{int(time.time())}.sqlite3")
    else:
        rebuilt_url = new_database(live_url.rsplit("/", 1)[0] + "/postgres")
    report = cli({**env, "OFFENTLIG_DATABASE_URL": rebuilt_url}, "reindex", wrap=wrap)
    if report.get("corrupt"):
        return False
    live, rebuilt = _tables(live_url), _tables(rebuilt_url)
    for table in live:
        if live[table] != rebuilt[table]:
            only_live = sorted(set(live[table]) - set(rebuilt[table]))[:5]
            only_rebuilt = sorted(set(rebuilt[table]) - set(live[table]))[:5]
            print(f"reindex differs in {table}: live {only_live} rebuilt {only_rebuilt}")  # noqa: T201
    return live == rebuilt


def _tables(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table: sorted(
                    (
                        tuple(str(v) for v in r)
                        for r in conn.exec_driver_sql(f"SELECT {cols} FROM {table}")
                    ),  # noqa: S608 - fixed names
                )
                for table, cols in _COMPARED.items()
            }
    finally:
        engine.dispose()
