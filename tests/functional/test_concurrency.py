"""Concurrent deliveries through a real threaded HTTP server: storage decides every race."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from service.records.canonical import verify
from service.records.model import Kind
from tests.factories import comment_data, event, post_data, signed_headers

THREADS = 8


@pytest.fixture
def server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)
    httpd.server_close()


def together(work: Callable[[int], Any], n: int = THREADS) -> list[Any]:
    """Run work(0..n-1) on n threads released at the same moment; re-raise any failure."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return results


def deliver(
    server: str, site, event_type: str, data: dict[str, Any], webhook_id: str
) -> requests.Response:  # type: ignore[no-untyped-def]
    body = json.dumps(event(event_type, data)).encode()
    return requests.post(
        f"{server}/v1/sites/{site.id}/events",
        data=body,
        headers=signed_headers(site.secret, body, webhook_id),
        timeout=60,
    )


def stored_versions(app, site_id: str, kind: str, source_id: int) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    storage = app.extensions["offentlig"].storage
    prefix = f"sites/{site_id}/{Kind(kind).folder}/{source_id}/versions/"
    return [verify(storage.get(key)) for key in storage.list(prefix)]


def stored_events(app, site_id: str, kind: str, source_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    return list(
        app.extensions["offentlig"].storage.list(
            f"sites/{site_id}/{Kind(kind).folder}/{source_id}/events/"
        )
    )


def assert_chain(versions: list[dict[str, Any]]) -> None:
    assert [v["version"] for v in versions] == list(range(1, len(versions) + 1))
    previous = None
    for version in versions:
        assert version["previous_sha256"] == previous
        previous = version["sha256"]


def test_same_delivery_from_many_threads_makes_one_version(app, server, site, client, reader):
    answers = together(lambda i: deliver(server, site, "post.published", post_data(1), "msg_same"))

    codes = sorted(a.status_code for a in answers)
    assert codes == [200] * (THREADS - 1) + [201], [a.text for a in answers]
    assert {json.dumps(a.json(), sort_keys=True) for a in answers} == {
        json.dumps(
            {"record_id": f"{site.id}.post.1", "version": 1, "event_id": None}, sort_keys=True
        )
    }
    assert len(stored_versions(app, site.id, "post", 1)) == 1
    versions = client.get(f"/v1/records/{site.id}.post.1/versions", headers=reader).json["items"]
    assert [v["version"] for v in versions] == [1]


def test_identical_content_under_different_webhook_ids_makes_one_version(
    app, server, site, client, reader
):
    answers = together(
        lambda i: deliver(server, site, "post.published", post_data(1), f"msg_twin_{i}")
    )

    codes = sorted(a.status_code for a in answers)
    assert codes == [200] * (THREADS - 1) + [201], [a.text for a in answers]
    assert {a.json()["version"] for a in answers} == {1}
    assert len(stored_versions(app, site.id, "post", 1)) == 1
    changes = client.get("/v1/changes", headers=reader).json["items"]
    assert [(c["record_id"], c["version"]) for c in changes] == [(f"{site.id}.post.1", 1)]


def test_concurrent_edits_become_consecutive_versions_with_a_valid_chain(
    app, server, site, client, reader
):
    first = deliver(server, site, "post.published", post_data(1), "msg_first")
    assert first.status_code == 201

    answers = together(
        lambda i: deliver(
            server, site, "post.updated", post_data(1, title=f"Redigering {i}"), f"msg_edit_{i}"
        )
    )

    assert [a.status_code for a in answers] == [201] * THREADS, [a.text for a in answers]
    assert sorted(a.json()["version"] for a in answers) == list(range(2, THREADS + 2))
    versions = stored_versions(app, site.id, "post", 1)
    assert_chain(versions)
    assert len(versions) == THREADS + 1
    # Each version holds the edit whose answer named it.
    by_number = {v["version"]: v["title"] for v in versions}
    for i, answer in enumerate(answers):
        assert by_number[answer.json()["version"]] == f"Redigering {i}"
    # The index agrees with storage, and the record shows the last version.
    listed = client.get(f"/v1/records/{site.id}.post.1/versions", headers=reader).json["items"]
    assert [(v["version"], v["sha256"]) for v in listed] == [
        (v["version"], v["sha256"]) for v in versions
    ]
    record = client.get(f"/v1/records/{site.id}.post.1", headers=reader).json
    assert record["latest_version"] == THREADS + 1
    assert record["latest_sha256"] == versions[-1]["sha256"]
    assert record["title"] == versions[-1]["title"]


def test_same_status_event_from_many_threads_is_one_event(app, server, site, client, reader):
    deliver(server, site, "comment.received", comment_data(10), "msg_received")
    approved = comment_data(10, status="approved")

    answers = together(lambda i: deliver(server, site, "comment.approved", approved, "msg_approve"))

    assert sorted(a.status_code for a in answers) == [200] * (THREADS - 1) + [201]
    assert len({a.json()["event_id"] for a in answers}) == 1
    assert len(stored_events(app, site.id, "comment", 10)) == 1
    record = client.get(f"/v1/records/{site.id}.comment.10", headers=reader).json
    assert [e["type"] for e in record["events"]] == ["comment.approved"]
    assert record["status"] == "approved"


def test_many_records_at_once_and_a_reader_following_the_feed(app, server, site, client, reader):
    """A registry system polling /v1/changes while deliveries land sees each change once."""
    done = threading.Event()
    followed: list[int] = []
    poll_errors: list[BaseException] = []

    def follow() -> None:
        after = 0
        session = requests.Session()
        try:
            while True:
                finished = done.is_set()
                page = session.get(
                    f"{server}/v1/changes", params={"after": after}, headers=reader, timeout=60
                ).json()
                followed.extend(item["cursor"] for item in page["items"])
                after = page["next_cursor"]
                if finished and not page["items"]:
                    return
                time.sleep(0.005)
        except BaseException as exc:  # noqa: BLE001 - reported below
            poll_errors.append(exc)

    poller = threading.Thread(target=follow)
    poller.start()
    try:
        answers = together(
            lambda i: [
                deliver(server, site, "post.published", post_data(100 * i + n), f"msg_{i}_{n}")
                for n in range(1, 4)
            ]
        )
    finally:
        done.set()
        poller.join(timeout=120)

    assert poll_errors == []
    assert all(a.status_code == 201 for batch in answers for a in batch)
    everything = [
        c["cursor"] for c in client.get("/v1/changes?limit=1000", headers=reader).json["items"]
    ]
    assert len(everything) == THREADS * 3
    assert followed == everything  # in order, nothing skipped, nothing twice
