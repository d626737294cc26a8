"""When storage or the database is down: 503 with Retry-After, never a 500 (webhooks are
still taken without the database); when only the index write fails, the delivery still
succeeds and the index is repaired."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from service import create_app
from service.errors import IndexUnavailable
from tests.factories import Sender, post_data
from tests.support.ports import free_port


@pytest.fixture
def broken(app_config, site, monkeypatch) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """broken(**settings): an app on the same site and data, with some settings replaced."""
    apps: list[Flask] = []

    def make(**settings: Any) -> Flask:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "offentlig-test")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "offentlig-test-secret")
        application = create_app({**app_config, **settings})
        apps.append(application)
        return application

    yield make
    for application in apps:
        application.extensions["offentlig"].close()


def closed_s3() -> dict[str, Any]:
    return {
        "STORAGE_URL": "s3://offentlig-nowhere/records",
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
    }


def closed_postgres() -> dict[str, Any]:
    return {
        "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/offentlig",
        "AUTO_MIGRATE": False,
    }


def unavailable(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 503, answer.get_data(as_text=True)
    assert answer.headers["Retry-After"] == "30"
    body: dict[str, Any] = answer.get_json()
    assert body["code"] == 503
    assert body["status"] == "Service Unavailable"
    assert set(body) <= {"code", "status", "message", "errors"}
    return body


def test_storage_down_webhook_is_503_with_retry_after(app, site, broken, reader):
    down = broken(**closed_s3())
    sender = Sender(down.test_client(), site.id, site.secret)

    body = unavailable(sender.send("post.published", post_data(1), webhook_id="msg_down"))

    assert body["message"] == "Object storage is unreachable; retry later."
    assert "127.0.0.1" not in json.dumps(body)  # where the storage is stays in the log
    # Nothing reached the index: the retry, once storage is back, records the post.
    assert app.test_client().get(f"/v1/records/{site.id}.post.1", headers=reader).status_code == 404
    retry = site.sender.send("post.published", post_data(1), webhook_id="msg_down")
    assert retry.status_code == 201


def test_storage_down_readyz_names_the_check(site, broken):
    down = broken(**closed_s3())

    answer = down.test_client().get("/readyz")

    assert answer.status_code == 503
    assert answer.json["status"] == "unavailable"
    assert answer.json["checks"]["database"] == "ok"
    assert answer.json["checks"]["storage"] != "ok"
    assert down.test_client().get("/healthz").status_code == 200


def test_storage_down_reading_a_stored_version_is_503(site, broken, reader):
    site.sender.send("post.published", post_data(1))
    down = broken(**closed_s3())

    answer = down.test_client().get(f"/v1/records/{site.id}.post.1/versions/1", headers=reader)
    listing = down.test_client().get(f"/v1/records/{site.id}.post.1/versions", headers=reader)

    unavailable(answer)
    assert listing.status_code == 200  # the index alone answers this


@pytest.mark.parametrize("backend", ["s3-postgresql"], indirect=True)
def test_database_down_reads_are_503_and_webhooks_still_kept(site, broken, reader):
    down = broken(**closed_postgres())
    client = down.test_client()
    sender = Sender(client, site.id, site.secret)

    # Storage is the archive: the delivery is kept (test_database_down.py has the rest).
    assert sender.send("post.published", post_data(1)).status_code == 201
    body = unavailable(client.get("/v1/records", headers=reader))
    assert body["message"] == "The database is unreachable; retry later."
    unavailable(client.get("/v1/changes", headers=reader))
    unavailable(client.get("/v1/stats", headers=reader))
    unavailable(client.get("/v1/sites", headers=reader))
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["storage"] == "ok"
    assert "database" in ready.json["checks"]["database"].lower()
    assert client.get("/healthz").status_code == 200


def test_readyz_when_all_is_well(client):
    answer = client.get("/readyz")

    assert answer.status_code == 200
    assert answer.json == {"status": "ok", "checks": {"storage": "ok", "database": "ok"}}


# --- the index write fails after storage has the object ------------------------------------


def index_failures(client) -> float:  # type: ignore[no-untyped-def]
    for line in client.get("/metrics").get_data(as_text=True).splitlines():
        if line.startswith("offentlig_index_write_failures_total "):
            return float(line.split()[1])
    raise AssertionError("offentlig_index_write_failures_total is missing from /metrics")


def test_index_write_failure_still_201_and_reindex_repairs(
    app, site, client, reader, cli, monkeypatch
):
    index = app.extensions["offentlig"].recorder.index

    def down(*args: Any) -> None:
        raise IndexUnavailable("database: connection refused")

    site.sender.send("post.published", post_data(1))
    failures = index_failures(client)
    # Only the index is put back afterwards: the S3 credentials the fixtures set stay.
    with monkeypatch.context() as broken_index:
        broken_index.setattr(index, "add_version", down)
        broken_index.setattr(index, "add_event", down)

        edited = site.sender.send("post.updated", post_data(1, title="Rättad"), webhook_id="msg_e")
        new = site.sender.send("post.published", post_data(2), webhook_id="msg_new")
        trashed = site.sender.send("post.trashed", post_data(2, status="trash"), webhook_id="msg_t")

        assert (edited.status_code, edited.json["version"]) == (201, 2)
        assert (new.status_code, new.json["version"]) == (201, 1)
        assert trashed.status_code == 201 and trashed.json["event_id"]
        # Three writes, and the trash event's attempt to index the version 1 it found stored.
        assert index_failures(client) == failures + 4
        # The index lags behind storage until it is repaired.
        assert (
            client.get(f"/v1/records/{site.id}.post.1", headers=reader).json["latest_version"] == 1
        )
        assert client.get(f"/v1/records/{site.id}.post.2", headers=reader).status_code == 404

        # A redelivery meanwhile finds the version in storage and makes no second one.
        again = site.sender.send("post.updated", post_data(1, title="Rättad"), webhook_id="msg_e")
        assert (again.status_code, again.json["version"]) == (200, 2)

    result = cli("reindex", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["corrupt"] == []
    first = client.get(f"/v1/records/{site.id}.post.1", headers=reader).json
    second = client.get(f"/v1/records/{site.id}.post.2", headers=reader).json
    assert (first["latest_version"], first["title"]) == (2, "Rättad")
    assert (second["status"], [e["type"] for e in second["events"]]) == ("trash", ["post.trashed"])
    changes = client.get("/v1/changes", headers=reader).json["items"]
    assert [(c["record_id"][-6:], c["change"], c["version"]) for c in changes] == [
        ("post.1", "version", 1),
        ("post.1", "version", 2),
        ("post.2", "version", 1),
        ("post.2", "event", 1),
    ]
