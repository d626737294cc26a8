"""A process that dies between storing a version or event and indexing it: the sender's
redelivery makes it visible in the API and the change feed, without a `reindex`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import comment_data, post_data


class WorkerDied(BaseException):
    """What the rest of the request sees when its process is killed (nothing runs after)."""


def die(*args: Any) -> None:
    raise WorkerDied()


@pytest.fixture
def index(app):  # type: ignore[no-untyped-def]
    return app.extensions["offentlig"].recorder.index


def visible(client, reader, record_id: str) -> tuple[list[int], list[tuple[str, int]]]:  # type: ignore[no-untyped-def]
    versions = client.get(f"/v1/records/{record_id}/versions", headers=reader).json["items"]
    feed = client.get("/v1/changes?limit=1000", headers=reader).json["items"]
    return (
        [v["version"] for v in versions],
        [(c["change"], c["version"]) for c in feed if c["record_id"] == record_id],
    )


def test_redelivery_indexes_a_version_stored_by_a_process_that_died(
    app, site, client, reader, index, monkeypatch
):
    first = site.sender.send("post.published", post_data(5, title="Ett"))
    record_id = first.json["record_id"]
    monkeypatch.setattr(index, "add_version", die)
    with pytest.raises(WorkerDied):
        site.sender.send("post.updated", post_data(5, title="Två"), webhook_id="msg_crash")
    monkeypatch.undo()
    assert visible(client, reader, record_id)[0] == [1]  # stored, not yet indexed

    again = site.sender.send("post.updated", post_data(5, title="Två"), webhook_id="msg_crash")

    assert (again.status_code, again.json["version"]) == (200, 2)
    assert visible(client, reader, record_id) == ([1, 2], [("version", 1), ("version", 2)])
    record = client.get(f"/v1/records/{record_id}", headers=reader).json
    assert (record["title"], record["latest_version"]) == ("Två", 2)


def test_a_later_edit_indexes_every_version_it_finds_missing(
    app, site, client, reader, index, monkeypatch
):
    record_id = site.sender.send("post.published", post_data(6, title="A")).json["record_id"]
    monkeypatch.setattr(index, "add_version", die)
    with pytest.raises(WorkerDied):
        site.sender.send("post.updated", post_data(6, title="B"))
    monkeypatch.undo()

    # Not a redelivery: the next edit, whose sender never knew of the crash.
    later = site.sender.send("post.updated", post_data(6, title="C"))

    assert (later.status_code, later.json["version"]) == (201, 3)
    assert visible(client, reader, record_id)[0] == [1, 2, 3]


def test_redelivery_indexes_an_event_stored_by_a_process_that_died(
    app, site, client, reader, index, monkeypatch
):
    record_id = site.sender.send("comment.received", comment_data(40)).json["record_id"]
    monkeypatch.setattr(index, "add_event", die)
    with pytest.raises(WorkerDied):
        site.sender.send(
            "comment.approved", comment_data(40, status="approved"), webhook_id="msg_ev"
        )
    monkeypatch.undo()

    again = site.sender.send(
        "comment.approved", comment_data(40, status="approved"), webhook_id="msg_ev"
    )

    assert again.status_code == 200
    events = client.get(f"/v1/records/{record_id}", headers=reader).json["events"]
    assert [e["type"] for e in events] == ["comment.approved"]
    assert ("event", 1) in visible(client, reader, record_id)[1]
