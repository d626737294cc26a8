"""The audit trail: sealed batches in storage, reads and captures batched, decisions at once,
readable at /v1/audit and with `offentlig audit`, rebuilt by `reindex`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from prometheus_client import REGISTRY

from service import create_app
from service.records.canonical import verify
from service.storage.filesystem import FileStore
from service.storage.s3 import S3Store
from tests.conftest import CLI_SETTINGS
from tests.factories import TEST_ACTOR, comment_data, post_data
from tests.functional.test_reindex import empty_the_database, reindex
from tests.support.ports import free_port

PREFIX = "authority/audit/"


def batches(app) -> list[str]:  # type: ignore[no-untyped-def]
    return list(app.extensions["offentlig"].storage.list(PREFIX))


def stored(app, key: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return verify(app.extensions["offentlig"].storage.get(key))


def trail(client, admin, query: str = "") -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    answer = client.get(f"/v1/audit?limit=500{query}", headers=admin)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.json["next_cursor"] is None
    return answer.json["items"]  # type: ignore[no-any-return]


@pytest.fixture
def admin(token):  # type: ignore[no-untyped-def]
    return token("admin")


@pytest.fixture
def published(app, site) -> str:  # type: ignore[no-untyped-def]
    """A post and a comment with personal data; the trail flushed afterwards."""
    site.sender.send("post.published", post_data(1))
    site.sender.send("comment.received", comment_data(10, post_id=1, author_ip="192.0.2.7"))
    app.extensions["offentlig"].audit.flush()
    return f"{site.id}.post.1"


def test_reads_are_batched_not_written_per_read(app, client, reader, admin, published):
    before = batches(app)

    for _ in range(3):
        assert client.get(f"/v1/records/{published}/versions/1", headers=reader).status_code == 200

    assert batches(app) == before
    assert trail(client, admin, "&action=read-version") == []
    assert app.extensions["offentlig"].audit.pending() == 3

    assert app.extensions["offentlig"].audit.flush() is True
    (new,) = set(batches(app)) - set(before)
    batch = stored(app, new)
    assert batch["schema"] == "offentlig.audit-batch/1"
    assert batch["process"] == f"{os.uname().nodename}:{os.getpid()}"
    assert [e["action"] for e in batch["entries"]] == ["read-version"] * 3
    assert [e["details"] for e in batch["entries"]] == [{"version": 1}] * 3
    first = batch["entries"][0]["at"].replace("-", "").replace(":", "").replace("T", "/")
    assert new.startswith(f"{PREFIX}{first[:4]}/{first[4:6]}/{first[6:8]}/")
    assert len(trail(client, admin, "&action=read-version")) == 3
    assert app.extensions["offentlig"].audit.pending() == 0


def test_decisions_are_written_at_once(app, client, admin, cli):
    before = set(batches(app))

    made = client.post(
        "/v1/tokens",
        json={"name": "diarium", "scopes": ["records:read"]},
        headers=admin,
        environ_base={"REMOTE_ADDR": "192.0.2.44"},
    )
    after_create = set(batches(app))
    client.delete(f"/v1/tokens/{made.json['id']}", headers=admin)
    by_cli = json.loads(
        cli("sites", "add", "--name", "Lund", "--url", "https://lund.se", "--json").stdout
    )

    assert made.status_code == 201
    (created,) = after_create - before
    entry = stored(app, created)["entries"][0]
    assert entry["action"] == "token-created"
    assert entry["subject"] == made.json["id"]
    assert entry["details"] == {"name": "diarium", "scopes": ["records:read"], "site_id": None}
    assert entry["actor"]["kind"] == "token"
    assert entry["actor"]["address"] == "192.0.2.44"
    assert entry["request_id"] == made.headers["X-Request-ID"]
    assert app.extensions["offentlig"].audit.pending() == 0
    newest = trail(client, admin)[:4]  # without a flush
    assert [(e["action"], e["subject"]) for e in newest] == [
        ("channel.created", by_cli["id"]),  # every site is a channel
        ("site-added", by_cli["id"]),
        ("token-revoked", made.json["id"]),
        ("token-created", made.json["id"]),
    ]
    assert newest[1]["actor"]["kind"] == "cli"
    assert newest[1]["details"] == {"name": "Lund", "url": "https://lund.se"}


def test_personal_data_read_is_audited_with_who_and_address(app, client, admin, published):
    svc = app.extensions["offentlig"]
    row, value = svc.tokens.create(
        "handläggare", ["records:read", "records:read-personal"], actor=TEST_ACTOR
    )
    comment = published.replace(".post.1", ".comment.10")

    answer = client.get(
        f"/v1/records/{comment}/versions/1/personal-data",
        headers={"Authorization": f"Bearer {value}", "X-Request-ID": "req-personal-1"},
        environ_base={"REMOTE_ADDR": "198.51.100.23"},
    )
    svc.audit.flush()

    assert answer.json["ip"] == "192.0.2.7"
    (entry,) = trail(client, admin, "&action=read-personal-data")
    assert entry["subject"] == comment
    assert entry["actor"] == {
        "kind": "token",
        "name": "handläggare",
        "id": row["id"],
        "address": "198.51.100.23",
    }
    assert entry["details"] == {"version": 1}
    assert entry["request_id"] == "req-personal-1"
    assert entry["batch_key"].startswith(PREFIX)
    in_storage = [e for e in stored(app, entry["batch_key"])["entries"] if e["id"] == entry["id"]]
    assert in_storage[0]["actor"]["address"] == "198.51.100.23"


def test_reading_a_record_with_personal_data_is_audited_too(app, client, admin, token, published):
    comment = published.replace(".post.1", ".comment.10")
    client.get(f"/v1/records/{comment}", headers=token("records:read", "records:read-personal"))
    client.get(f"/v1/records/{comment}", headers=token("records:read"))  # no personal data
    app.extensions["offentlig"].audit.flush()

    (entry,) = trail(client, admin, "&action=read-personal-data")
    assert (entry["subject"], entry["details"]) == (comment, {"version": 1})


def test_captures_are_audited(app, client, admin, site):
    first = site.sender.send("post.published", post_data(5), webhook_id="msg_first")
    again = site.sender.send("post.published", post_data(5), webhook_id="msg_first")
    trashed = site.sender.send("post.trashed", post_data(5, status="trash"), webhook_id="msg_t")
    app.extensions["offentlig"].audit.flush()

    captures = trail(client, admin, "&action=capture")
    assert [e["details"] for e in reversed(captures)] == [
        {"version": 1, "event_id": None, "webhook_id": "msg_first", "created": True},
        {"version": 1, "event_id": None, "webhook_id": "msg_first", "created": False},
        {
            "version": 1,
            "event_id": trashed.json["event_id"],
            "webhook_id": "msg_t",
            "created": True,
        },
    ]
    assert (first.status_code, again.status_code) == (201, 200)
    assert {e["subject"] for e in captures} == {f"{site.id}.post.5"}
    assert captures[0]["actor"] == {
        "kind": "site",
        "name": "Staffanstorps kommun",
        "id": site.id,
        "address": "127.0.0.1",
    }


def walk(client, admin, limit: int, query: str = "") -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    seen, cursor = [], None
    for _ in range(100):
        url = f"/v1/audit?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=admin).json
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return seen
    raise AssertionError("the cursor never ended")


@pytest.fixture
def busy(app, client, reader, site, published):  # type: ignore[no-untyped-def]
    """Reads of three versions by two tokens, captures, decisions: all written."""
    for n in (2, 3):
        site.sender.send("post.updated", post_data(1, title=f"Rättad {n}"))
    for n in (1, 2, 3):
        client.get(f"/v1/records/{published}/versions/{n}", headers=reader)
    app.extensions["offentlig"].audit.flush()
    return published


def test_a_cursor_walks_every_entry_once_newest_first(client, admin, busy):
    everything = trail(client, admin)

    for limit in (1, 2, 5):
        assert walk(client, admin, limit) == everything
    times = [(e["at"], e["id"]) for e in everything]
    assert times == sorted(times, reverse=True)
    assert len({e["id"] for e in everything}) == len(everything) >= 10


def test_filters_narrow_the_trail(app, client, admin, reader, busy):
    everything = trail(client, admin)
    reads = [e for e in everything if e["action"] == "read-version"]
    reader_id = reads[0]["actor"]["id"]
    middle = quote(reads[1]["at"])

    assert trail(client, admin, "&action=read-version") == reads
    assert trail(client, admin, f"&token_id={reader_id}") == reads
    assert trail(client, admin, "&actor=Staffanstorps kommun") == [
        e for e in everything if e["action"] == "capture"
    ]
    assert trail(client, admin, f"&subject={busy}&action=read-version") == reads
    assert trail(client, admin, f"&action=read-version&since={middle}") == reads[:2]
    assert trail(client, admin, f"&action=read-version&until={middle}") == reads[2:]
    assert walk(client, admin, 1, "&action=read-version") == reads
    assert trail(client, admin, "&action=nothing-like-it") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=WyIyMDI2LTExLTI4VDA5OjAwOjAwKzAwOjAwIiwgNV0", "cursor"),  # [time, 5]
        ("since=2026-11-28T10:00:00Z&until=2026-11-28T09:00:00Z", "until"),
        ("since=yesterday", "since"),
        ("limit=0", "limit"),
    ],
)
def test_bad_arguments_are_422_naming_the_field(client, admin, query, field):
    answer = client.get(f"/v1/audit?{query}", headers=admin)

    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert field in answer.json["errors"]["query"]


def test_audit_requires_admin(client, token, reader):
    assert client.get("/v1/audit").status_code == 401
    assert client.get("/v1/audit", headers=reader).status_code == 403
    assert client.get("/v1/audit", headers=token("records:read-personal")).status_code == 403
    assert client.get("/v1/audit", headers=token("admin")).status_code == 200


def test_audit_survives_reindex(app, client, admin, cli, busy):
    before = trail(client, admin)

    empty_the_database(app)
    app.extensions["offentlig"].sites._recent.clear()
    report = reindex(cli)

    assert report["audit"] == len(before)
    assert report["corrupt"] == []
    assert trail(client, admin) == before


def test_a_corrupt_batch_is_named_by_reindex(app, cli, published):
    storage = app.extensions["offentlig"].storage
    victim = batches(app)[-1]
    document = json.loads(storage.get(victim))
    document["entries"][0]["actor"]["name"] = "någon annan"
    storage.put(victim, json.dumps(document).encode())

    result = cli("reindex", "--json")

    assert result.exit_code != 0
    assert json.loads(result.stdout)["corrupt"] == [victim]
    assert victim in result.stderr


def test_offentlig_audit_prints_the_trail(client, cli, busy):
    as_json = cli("audit", "--action", "read-version", "--limit", "2", "--json")
    as_text = cli("audit", "--subject", busy)
    bad = cli("audit", "--since", "igår")

    assert as_json.exit_code == 0, as_json.output
    entries = json.loads(as_json.stdout)
    assert [e["details"] for e in entries] == [{"version": 3}, {"version": 2}]
    assert entries[0]["actor"]["kind"] == "token"
    assert as_text.exit_code == 0, as_text.output
    assert "action" in as_text.stdout and "capture" in as_text.stdout
    assert bad.exit_code == 2 and "igår" in bad.output


# --- when the process goes, and when storage is down ------------------------------------


def test_a_process_exit_flushes_the_buffer(app, app_config, client, admin):
    environment = {
        **os.environ,
        **{f"OFFENTLIG_{k}": str(app_config[k]) for k in CLI_SETTINGS if k in app_config},
        "PYTHONPATH": str(Path(__file__).parents[2]),
    }
    program = (
        "from service import config, services\n"
        "from service.auth.actor import Actor\n"
        "svc = services.build(config.load())\n"
        "svc.audit.record('read-version', 'x.post.1', actor=Actor('cli', 'exit-test'))\n"
        "assert svc.audit.pending() == 1\n"  # and no close(): the atexit hook writes it
    )
    before = batches(app)

    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed program
        [sys.executable, "-c", program], env=environment, capture_output=True, timeout=120
    )

    assert done.returncode == 0, done.stderr.decode()
    (new,) = set(batches(app)) - set(before)
    (entry,) = stored(app, new)["entries"]
    assert (entry["action"], entry["actor"]["name"]) == ("read-version", "exit-test")
    assert trail(client, admin, "&actor=exit-test")[0]["id"] == entry["id"]


def test_the_oldest_entry_waits_at_most_the_flush_window(app_config, site):
    quick = create_app({**app_config, "AUDIT_FLUSH_SECONDS": 0.2})
    try:
        svc = quick.extensions["offentlig"]
        reader = {
            "Authorization": "Bearer "
            + svc.tokens.create("r", ["records:read"], actor=TEST_ACTOR)[1]
        }
        site.sender.send("post.published", post_data(1))
        quick.test_client().get(f"/v1/records/{site.id}.post.1/versions/1", headers=reader)
        actions: list[str] = []
        for _ in range(100):  # up to 5 s; no one flushes but the timer
            keys = list(svc.storage.list(PREFIX))
            actions = [e["action"] for k in keys for e in verify(svc.storage.get(k))["entries"]]
            if "read-version" in actions:
                break
            time.sleep(0.05)
        assert "read-version" in actions
        assert svc.audit.pending() == 0
    finally:
        quick.extensions["offentlig"].close()


def unreachable(backend: str, tmp_path: Path) -> Any:
    """A store that cannot take a write: a root under a regular file, or S3 at a closed port."""
    if backend == "fs-sqlite":
        (tmp_path / "a-file").write_text("not a directory")
        return FileStore(tmp_path / "a-file" / "objects")
    return S3Store.from_url(
        "s3://offentlig-nowhere/audit", endpoint_url=f"http://127.0.0.1:{free_port()}"
    )


def failures() -> float:
    return REGISTRY.get_sample_value("offentlig_audit_flush_failures_total") or 0.0


def test_flush_failure_keeps_entries(app, client, reader, admin, published, backend, tmp_path):
    svc = app.extensions["offentlig"]
    working = svc.audit.storage
    before, failed = batches(app), failures()
    for n in (1, 1):
        client.get(f"/v1/records/{published}/versions/{n}", headers=reader)

    svc.audit.storage = unreachable(backend, tmp_path)
    try:
        assert svc.audit.flush() is False
        assert svc.audit.pending() == 2
        # A decision is durable in its own register: its request succeeds all the same.
        made = client.post("/v1/tokens", json={"name": "x", "scopes": ["admin"]}, headers=admin)
        assert made.status_code == 201
        assert svc.audit.pending() == 3
    finally:
        svc.audit.storage = working

    assert failures() >= failed + 2
    assert batches(app) == before
    assert svc.audit.flush() is True
    assert svc.audit.pending() == 0
    written = trail(client, admin)
    assert [e["action"] for e in written[:3]] == ["token-created", "read-version", "read-version"]


def test_a_read_that_cannot_even_be_buffered_returns_nothing(
    app, client, token, published, backend, tmp_path
):
    svc = app.extensions["offentlig"]
    personal = token("records:read", "records:read-personal")
    comment = published.replace(".post.1", ".comment.10")
    working = svc.audit.storage
    svc.audit.storage = unreachable(backend, tmp_path)
    svc.audit.batches.limit = 2
    try:
        for _ in range(2):
            client.get(f"/v1/records/{published}/versions/1", headers=personal)
        svc.audit.flush()
        refused = client.get(f"/v1/records/{comment}/versions/1/personal-data", headers=personal)
    finally:
        svc.audit.storage = working

    assert refused.status_code == 503
    assert "192.0.2.7" not in refused.get_data(as_text=True)
    assert svc.audit.pending() == 2
    assert svc.audit.flush() is True
