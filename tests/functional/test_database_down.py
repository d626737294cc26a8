"""The database down: webhooks are still taken (storage is the archive), reads answer 503,
and the index repairs itself once the database is back, without `reindex`.

PostgreSQL: a private server of our own, stopped as if it crashed. SQLite: its directory
taken away (as an unmounted volume would be)."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from flask import Flask

from service import create_app
from service.capture.repairs import MARKERS
from tests.factories import Sender, comment_data, post_data
from tests.support.postgres import PrivatePostgres, start_private_postgres


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    server = start_private_postgres()
    yield server
    server.remove()


@pytest.fixture
def app_config(app_config, backend, tmp_path, request) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    config = {**app_config, "SITE_CACHE_SECONDS": 0, "INDEX_REPAIR_SECONDS": 0.2}
    if backend == "s3-postgresql":
        server: PrivatePostgres = request.getfixturevalue("private_postgres")
        name = f"offentlig_{uuid.uuid4().hex[:12]}"
        admin = sqlalchemy.create_engine(server.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        config["DATABASE_URL"] = server.url.rsplit("/", 1)[0] + f"/{name}"
    else:
        config["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db' / 'index.sqlite3'}"
    return config


class Outage:
    """Takes the database away and brings it back, the same way for every test."""

    def __init__(self, app: Flask, backend: str, request: pytest.FixtureRequest, tmp_path: Path):
        self.app, self.backend, self.request, self.tmp_path = app, backend, request, tmp_path

    def begin(self) -> None:
        if self.backend == "s3-postgresql":
            self.request.getfixturevalue("private_postgres").stop("immediate")
        else:
            self.app.extensions["offentlig"].engine.dispose()
            (self.tmp_path / "db").rename(self.tmp_path / "db-away")

    def end(self) -> None:
        if self.backend == "s3-postgresql":
            self.request.getfixturevalue("private_postgres").start()
        else:
            (self.tmp_path / "db-away").rename(self.tmp_path / "db")


@pytest.fixture
def outage(app, backend, request, tmp_path) -> Iterator[Outage]:  # type: ignore[no-untyped-def]
    down = Outage(app, backend, request, tmp_path)
    yield down
    if (tmp_path / "db-away").exists():
        down.end()
    if backend == "s3-postgresql":
        with contextlib.suppress(RuntimeError):  # running already
            down.end()


def unavailable(answer: Any) -> None:
    assert answer.status_code == 503, answer.get_data(as_text=True)
    assert answer.headers["Retry-After"] == "30"


def wait_until(check: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"not so within {timeout} s: {check()}")


def everything(client, reader) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """What the API answers about every record and change (feed positions left out)."""
    records = client.get("/v1/records?limit=100&sort=published_at", headers=reader).json["items"]
    shown = {}
    for record in records:
        full = client.get(f"/v1/records/{record['id']}", headers=reader).json
        versions = client.get(f"/v1/records/{record['id']}/versions", headers=reader).json
        shown[record["id"]] = (
            full["latest_version"],
            full["status"],
            full["title"],
            [(e["type"], e["version"]) for e in full["events"]],
            [(v["version"], v["sha256"]) for v in versions["items"]],
        )
    feed = client.get("/v1/changes?limit=1000", headers=reader).json["items"]
    return {
        "records": shown,
        "feed": sorted((c["record_id"], c["change"], c["version"]) for c in feed),
    }


def test_webhooks_are_taken_while_the_database_is_down_and_the_index_repairs_itself(
    app, site, client, reader, outage, cli
):
    storage = app.extensions["offentlig"].storage
    site.sender.send("post.published", post_data(1, title="Ett"), webhook_id="msg_p1")
    outage.begin()

    edited = site.sender.send("post.updated", post_data(1, title="Två"), webhook_id="msg_e1")
    new = site.sender.send("post.published", post_data(2), webhook_id="msg_p2")
    trashed = site.sender.send("post.trashed", post_data(2, status="trash"), webhook_id="msg_t2")
    comment = site.sender.send("comment.received", comment_data(9), webhook_id="msg_c9")
    # Redeliveries are still known, by the delivery id the stored objects carry.
    again = site.sender.send("post.updated", post_data(1, title="Två"), webhook_id="msg_e1")
    trashed_again = site.sender.send(
        "post.trashed", post_data(2, status="trash"), webhook_id="msg_t2"
    )

    assert (edited.status_code, edited.json["version"]) == (201, 2)
    assert (new.status_code, new.json["version"]) == (201, 1)
    assert trashed.status_code == 201 and trashed.json["event_id"]
    assert comment.status_code == 201
    assert (again.status_code, again.json) == (200, edited.json)
    assert (trashed_again.status_code, trashed_again.json) == (200, trashed.json)
    for path in ("/v1/records", "/v1/changes", f"/v1/records/{site.id}.post.1", "/v1/stats"):
        unavailable(client.get(path, headers=reader))
    assert client.get("/readyz").status_code == 503
    assert len(list(storage.list(MARKERS))) == 4  # what waits for the index, kept in storage

    outage.end()

    # No delivery, no `reindex`: the process's repair loop tells the index.
    record = wait_until(
        lambda: (
            client.get(f"/v1/records/{site.id}.post.2", headers=reader).json.get("status")
            == "trash"
        )
    )
    assert record
    live = everything(client, reader)
    assert live["records"][f"{site.id}.post.1"][:3] == (2, "publish", "Två")
    assert [v for v, _ in live["records"][f"{site.id}.post.1"][4]] == [1, 2]
    assert live["records"][f"{site.id}.post.2"][3] == [("post.trashed", 1)]
    assert f"{site.id}.comment.9" in live["records"]
    assert list(storage.list(MARKERS)) == []

    result = cli("reindex", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["corrupt"] == []
    assert everything(client, reader) == live


def test_repairs_left_by_a_process_that_died_in_the_outage_are_made_by_another(
    app, app_config, site, client, reader, outage, monkeypatch
):
    quiet = {**app_config, "INDEX_REPAIR_SECONDS": 0}
    app.extensions["offentlig"].repairs.stop()  # its loop would otherwise race the survivor
    doomed = create_app(quiet)
    sender = Sender(doomed.test_client(), site.id, site.secret)
    outage.begin()
    if app_config["DATABASE_URL"].startswith("sqlite"):
        doomed.extensions["offentlig"].engine.dispose()

    assert sender.send("post.published", post_data(7), webhook_id="msg_p7").status_code == 201
    assert sender.send("post.updated", post_data(7, title="B")).json["version"] == 2
    doomed.extensions["offentlig"].close()  # its memory of the repairs is gone with it
    outage.end()

    survivor = create_app(quiet)
    try:
        told = survivor.extensions["offentlig"].repairs.replay()
        versions = survivor.test_client().get(
            f"/v1/records/{site.id}.post.7/versions", headers=reader
        )
    finally:
        survivor.extensions["offentlig"].close()

    assert told == 2
    assert [v["version"] for v in versions.json["items"]] == [1, 2]


class WorkerDied(BaseException):
    """What the rest of the request sees when its process is killed."""


def test_an_index_failure_holds_back_the_later_versions_of_the_record(
    app, site, client, reader, monkeypatch
):
    """Version 3 is never shown without version 2: once an index write of a record failed,
    the later ones wait behind it for the repair."""
    from service.errors import IndexUnavailable

    index = app.extensions["offentlig"].recorder.index
    repairs = app.extensions["offentlig"].repairs
    repairs.stop()  # this test replays by hand
    site.sender.send("post.published", post_data(3, title="A"))
    real_add_version = index.add_version
    attempts: list[int] = []

    def died(document: dict[str, Any], key: str) -> None:
        raise WorkerDied()

    def fails_once(document: dict[str, Any], key: str) -> None:
        attempts.append(document["version"])
        if len(attempts) == 1:
            raise IndexUnavailable("database: a moment away")
        real_add_version(document, key)

    monkeypatch.setattr(index, "add_version", died)
    with pytest.raises(WorkerDied):  # version 2 stored, its process gone before indexing it
        site.sender.send("post.updated", post_data(3, title="B"))
    monkeypatch.setattr(index, "add_version", fails_once)
    # The next edit finds version 2 in storage; telling the index of it fails this once.
    third = site.sender.send("post.updated", post_data(3, title="C"))
    monkeypatch.undo()

    assert third.json["version"] == 3
    assert attempts == [2]  # version 3 was not told before version 2
    listed = client.get(f"/v1/records/{site.id}.post.3/versions", headers=reader).json["items"]
    assert [v["version"] for v in listed] == [1]
    assert repairs.replay() == 3  # versions 2 and 3, and the record's version 1 with them
    listed = client.get(f"/v1/records/{site.id}.post.3/versions", headers=reader).json["items"]
    assert [v["version"] for v in listed] == [1, 2, 3]


def test_a_repaired_version_does_not_undo_a_later_status_event(
    app, site, client, reader, monkeypatch
):
    """The latest capture decides the status, whatever order the index hears of them in."""
    from service.errors import IndexUnavailable

    index = app.extensions["offentlig"].recorder.index
    repairs = app.extensions["offentlig"].repairs
    repairs.stop()
    site.sender.send("post.published", post_data(4, title="A"))

    def down(*args: Any) -> None:
        raise IndexUnavailable("database: a moment away")

    monkeypatch.setattr(index, "add_version", down)
    assert site.sender.send("post.updated", post_data(4, title="B")).json["version"] == 2
    monkeypatch.undo()
    monkeypatch.setattr(repairs, "replay", lambda **kwargs: 0)  # the event is indexed first
    trashed = site.sender.send("post.trashed", post_data(4, title="B", status="trash"))
    monkeypatch.undo()
    assert trashed.status_code == 201

    repairs.replay(sweep=True)

    record = client.get(f"/v1/records/{site.id}.post.4", headers=reader).json
    assert (record["latest_version"], record["title"], record["status"]) == (2, "B", "trash")
