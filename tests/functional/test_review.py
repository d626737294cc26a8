"""Secrecy review (DOMAIN rule 5): new versions that may be secret are flagged as they are
captured, reviewers decide, and a record decided secret is kept but hidden."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from service.index import tables as t
from service.records.canonical import verify
from tests.factories import comment_data, post_data
from tests.support.review import (
    BAD_LUHN,
    PERSONNUMMER,
    SAMORDNINGSNUMMER,
    decide,
    queue,
)

FLAGGED_TEXT = f"Jag heter Bertil, personnummer {PERSONNUMMER}, och min gata är inte plogad."


@pytest.fixture
def reviewer(token) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return token("records:read", "records:review")  # type: ignore[no-any-return]


@pytest.fixture
def trusted(token) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A caller who may see secret records and personal data."""
    return token("records:read", "records:read-personal", "records:read-secret", "records:review")  # type: ignore[no-any-return]


def review_keys(app, record_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    site_id, _, number = record_id.split(".")
    return list(
        app.extensions["offentlig"].storage.list(f"sites/{site_id}/comments/{number}/review/")
    )


def test_comment_with_valid_personnummer_is_flagged_for_review(app, site, client, reviewer):
    answer = site.sender.send("comment.received", comment_data(10, content=FLAGGED_TEXT))
    record_id = f"{site.id}.comment.10"

    [item] = queue(client, reviewer)["items"]
    detail = client.get(f"/v1/records/{record_id}", headers=reviewer).json

    assert answer.status_code == 201
    assert item["record"]["id"] == record_id
    assert item["record"]["review"] == "pending"
    assert item["review"]["state"] == "pending"
    assert item["review"]["version"] == 1
    assert item["review"]["findings"] == [
        {"reason": "personnummer", "field": "text", "match": "XXXXXX-XXXX", "term": None}
    ]
    assert item["review"]["flagged_at"] and item["review"]["recorded_by"] == "secrecy screen"
    assert detail["review"] == "pending"
    assert detail["review_entry"]["findings"] == item["review"]["findings"]
    [key] = review_keys(app, record_id)
    stored = app.extensions["offentlig"].storage.get(key)
    assert verify(stored)["state"] == "pending"
    # The review document never holds the number, in any form.
    for form in (PERSONNUMMER, PERSONNUMMER.replace("-", ""), PERSONNUMMER[-4:]):
        assert form.encode() not in stored


def test_personnummer_with_bad_luhn_not_flagged(app, site, client, reviewer):
    text = f"Mitt nummer är {BAD_LUHN}."

    answer = site.sender.send("comment.received", comment_data(10, content=text))

    assert answer.status_code == 201
    assert queue(client, reviewer)["items"] == []
    assert client.get(f"/v1/records/{site.id}.comment.10", headers=reviewer).json["review"] is None
    assert review_keys(app, f"{site.id}.comment.10") == []


def test_coordination_number_is_flagged(site, client, reviewer):
    site.sender.send(
        "comment.received", comment_data(10, content=f"Samordningsnummer {SAMORDNINGSNUMMER}")
    )

    [item] = queue(client, reviewer)["items"]

    assert [(f["reason"], f["match"]) for f in item["review"]["findings"]] == [
        ("samordningsnummer", "XXXXXX-XXXX")
    ]


def test_a_post_is_screened_too_title_and_text(site, client, reviewer):
    site.sender.send(
        "post.published",
        post_data(5, title="Ekonomiskt bistånd", content="<p>Om LSS och sjukskrivning.</p>"),
    )

    [item] = queue(client, reviewer)["items"]

    assert [(f["field"], f["match"], f["term"]) for f in item["review"]["findings"]] == [
        ("title", "Ekonomiskt bistånd", "ekonomiskt bistånd*"),
        ("text", "LSS", "LSS"),
        ("text", "sjukskrivning", "sjukskriv*"),
    ]


class TestConfiguredTerms:
    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        # As OFFENTLIG_SECRECY_TERMS would give it: one comma-separated string.
        return {**app_config, "SECRECY_TERMS": "hjärtsvikt, cancer* ,blodtryck"}

    def test_configured_terms_flag_health_details(self, site, client, reviewer):
        site.sender.send("comment.received", comment_data(10, content="Min mor har cancern."))
        site.sender.send("comment.received", comment_data(11, content="Högt BLODTRYCK här."))
        # A default term, not in the configured list.
        site.sender.send("comment.received", comment_data(12, content="Fick en diagnos."))

        items = queue(client, reviewer)["items"]

        assert [i["record"]["source_id"] for i in items] == [10, 11]
        assert [(f["match"], f["term"]) for i in items for f in i["review"]["findings"]] == [
            ("cancern", "cancer*"),
            ("BLODTRYCK", "blodtryck"),
        ]


def test_detection_never_drops_or_alters_the_record(app, site, client, trusted, reader):
    plain = comment_data(10, content="Min gata är inte plogad.")
    flagged = comment_data(11, content=FLAGGED_TEXT)

    answers = [site.sender.send("comment.received", data) for data in (plain, flagged)]
    again = site.sender.send("comment.received", flagged, webhook_id="msg_again")

    assert [a.status_code for a in answers] == [201, 201]
    assert [a.json for a in answers] == [
        {"record_id": f"{site.id}.comment.{n}", "version": 1, "event_id": None} for n in (10, 11)
    ]
    assert (again.status_code, again.json) == (200, answers[1].json)
    documents = []
    for n in (10, 11):
        stored = client.get(f"/v1/records/{site.id}.comment.{n}/versions/1", headers=trusted)
        assert stored.status_code == 200
        documents.append(verify(stored.data))
    unflagged, kept = documents
    # Same shape as an unflagged capture; the content exactly as sent, the number included.
    assert kept.keys() == unflagged.keys()
    assert kept["content"] == FLAGGED_TEXT
    assert {k: v for k, v in kept.items() if k in ("status", "origin", "kind", "version")} == {
        k: v for k, v in unflagged.items() if k in ("status", "origin", "kind", "version")
    }
    # Pending review hides nothing: only a secret decision does.
    found = client.get("/v1/records?q=plogad", headers=reader).json["items"]
    assert {r["id"] for r in found} == {f"{site.id}.comment.10", f"{site.id}.comment.11"}


def screen_failures(client) -> float:  # type: ignore[no-untyped-def]
    for line in client.get("/metrics").get_data(as_text=True).splitlines():
        if line.startswith("offentlig_secrecy_screen_failures_total "):
            return float(line.split()[1])
    raise AssertionError("offentlig_secrecy_screen_failures_total is missing from /metrics")


def test_a_failing_screen_never_fails_the_capture(app, site, client, reader):
    """A review that cannot be read (here: a corrupt object where it lives) fails the screen;
    the delivery is still recorded and answered 201, and the failure is counted."""
    storage = app.extensions["offentlig"].storage
    storage.put(f"sites/{site.id}/comments/10/review/0000000001.json", b"{not json")
    before = screen_failures(client)

    answer = site.sender.send("comment.received", comment_data(10, content=FLAGGED_TEXT))

    assert answer.status_code == 201
    assert answer.json == {"record_id": f"{site.id}.comment.10", "version": 1, "event_id": None}
    assert client.get(f"/v1/records/{site.id}.comment.10", headers=reader).status_code == 200
    assert screen_failures(client) == before + 1


def test_review_queue_and_decisions(app, site, client, reviewer):
    for n in (10, 11, 12):
        site.sender.send("comment.received", comment_data(n, content=FLAGGED_TEXT))
    site.sender.send("comment.received", comment_data(13, content="Inget här."))
    ids = [f"{site.id}.comment.{n}" for n in (10, 11, 12)]

    first = queue(client, reviewer, limit=2)
    second = queue(client, reviewer, limit=2, cursor=first["next_cursor"])
    assert [i["record"]["id"] for i in first["items"] + second["items"]] == ids
    assert second["next_cursor"] is None

    cleared = decide(client, reviewer, ids[0], "cleared", "Eget nummer, inte känsligt.")
    registered = decide(client, reviewer, ids[1], "register")
    secret = decide(client, reviewer, ids[2], "secret", "Hälsouppgifter.")

    assert (cleared["state"], cleared["revision"], cleared["note"]) == (
        "cleared",
        2,
        "Eget nummer, inte känsligt.",
    )
    assert cleared["findings"] == first["items"][0]["review"]["findings"]
    assert cleared["flagged_at"] == first["items"][0]["review"]["flagged_at"]
    assert cleared["recorded_by"] == "test"
    assert queue(client, reviewer)["items"] == []
    assert [i["record"]["id"] for i in queue(client, reviewer, state="cleared")["items"]] == [
        ids[0]
    ]
    assert [i["record"]["id"] for i in queue(client, reviewer, state="register")["items"]] == [
        ids[1]
    ]
    assert (registered["state"], secret["state"]) == ("register", "secret")

    # A secret decision can be reversed by a later one; every decision is kept.
    reversed_ = decide(client, reviewer, ids[2], "cleared", "Omprövat.")
    assert reversed_["revision"] == 3
    assert client.get(f"/v1/records/{ids[2]}", headers=reviewer).json["secret"] is False
    storage = app.extensions["offentlig"].storage
    history = app.extensions["offentlig"].reviews.register.history(ids[2])
    assert [(d["state"], d["recorded_by"]["kind"]) for d in history] == [
        ("pending", "service"),
        ("secret", "token"),
        ("cleared", "token"),
    ]
    assert len(list(storage.list(f"sites/{site.id}/comments/12/review/"))) == 3

    with app.extensions["offentlig"].engine.connect() as conn:
        audited = conn.execute(
            select(t.audit_log.c.action, t.audit_log.c.subject).where(
                t.audit_log.c.action.like("review.%")
            )
        ).all()
    assert sorted(audited) == sorted(
        [
            ("review.cleared", ids[0]),
            ("review.register", ids[1]),
            ("review.secret", ids[2]),
            ("review.cleared", ids[2]),
        ]
    )

    # An unflagged record can be decided too (a reviewer's own finding).
    own = decide(client, reviewer, f"{site.id}.comment.13", "register")
    assert (own["revision"], own["findings"], own["flagged_at"]) == (1, [], None)


def test_new_versions_with_findings_requeue_a_cleared_record_but_not_a_secret_one(
    site, client, reviewer, trusted
):
    site.sender.send("comment.received", comment_data(10, content=FLAGGED_TEXT))
    site.sender.send("comment.received", comment_data(11, content=FLAGGED_TEXT))
    cleared, secret = f"{site.id}.comment.10", f"{site.id}.comment.11"
    decide(client, reviewer, cleared, "cleared")
    decide(client, reviewer, secret, "secret")

    # Still flagged content, edited: a new version of each.
    for n in (10, 11):
        site.sender.send(
            "comment.edited", comment_data(n, content=FLAGGED_TEXT + " Ändrad.", status="approved")
        )
    # A new version without findings changes nothing either.
    site.sender.send("comment.received", comment_data(12, content="Hej."))

    [item] = queue(client, reviewer)["items"]
    assert item["record"]["id"] == cleared
    assert (item["review"]["version"], item["review"]["revision"]) == (2, 3)
    kept = client.get(f"/v1/records/{secret}", headers=trusted).json
    assert (kept["review"], kept["secret"], kept["latest_version"]) == ("secret", True, 2)
    assert kept["review_entry"]["revision"] == 2


def test_secret_record_hidden_without_scope(app, site, client, token, reviewer):
    site.sender.send("post.published", post_data(1))
    site.sender.send(
        "comment.received", comment_data(10, content=FLAGGED_TEXT, author_ip="192.0.2.7")
    )
    record_id = f"{site.id}.comment.10"
    reader = token("records:read", "records:read-personal", "records:review")
    stats_before = client.get("/v1/stats", headers=reader).json
    decide(client, reviewer, record_id, "secret")

    listed = client.get("/v1/records", headers=reader).json["items"]
    searched = client.get("/v1/records?q=personnummer", headers=reader).json["items"]
    by_parent = client.get(f"/v1/records?parent={site.id}.post.1", headers=reader).json["items"]
    changes = client.get("/v1/changes", headers=reader).json["items"]
    stats = client.get("/v1/stats", headers=reader).json
    secret_queue = queue(client, reader, state="secret")["items"]

    assert [r["id"] for r in listed] == [f"{site.id}.post.1"]
    assert searched == [] and by_parent == []
    assert [c["record_id"] for c in changes] == [f"{site.id}.post.1"]
    assert (stats_before["total"], stats["total"]) == (2, 1)
    assert (stats_before["today"], stats["today"]) == (2, 1)
    assert sum(day["comment"] for day in stats["days"]) == 0
    assert secret_queue == []
    for path in (
        f"/v1/records/{record_id}",
        f"/v1/records/{record_id}/versions",
        f"/v1/records/{record_id}/versions/1",
        f"/v1/records/{record_id}/versions/1/personal-data",
    ):
        hidden = client.get(path, headers=reader)
        missing = client.get(path.replace(".comment.10", ".comment.99"), headers=reader)
        assert hidden.status_code == 404, path
        # Indistinguishable from a record that does not exist.
        assert hidden.get_json() == {
            **missing.get_json(),
            "message": missing.get_json()["message"].replace("99", "10"),
        }
        assert "Bertil" not in hidden.get_data(as_text=True)
        assert "192.0.2.7" not in hidden.get_data(as_text=True)
    # Still kept: storage has every object, the database every row.
    storage = app.extensions["offentlig"].storage
    assert list(storage.list(f"sites/{site.id}/comments/10/versions/"))
    with app.extensions["offentlig"].engine.connect() as conn:
        row = conn.execute(select(t.records).where(t.records.c.id == record_id)).one()
    assert (row.secret, row.review) == (True, "secret")


def test_secret_record_visible_with_read_secret(site, client, reviewer, trusted):
    site.sender.send("post.published", post_data(1))
    site.sender.send(
        "comment.received", comment_data(10, content=FLAGGED_TEXT, author_ip="192.0.2.7")
    )
    record_id = f"{site.id}.comment.10"
    decide(client, reviewer, record_id, "secret")

    listed = client.get("/v1/records", headers=trusted).json["items"]
    searched = client.get("/v1/records?q=personnummer", headers=trusted).json["items"]
    detail = client.get(f"/v1/records/{record_id}", headers=trusted)
    versions = client.get(f"/v1/records/{record_id}/versions", headers=trusted)
    document = client.get(f"/v1/records/{record_id}/versions/1", headers=trusted)
    personal = client.get(f"/v1/records/{record_id}/versions/1/personal-data", headers=trusted)
    changes = client.get("/v1/changes", headers=trusted).json["items"]
    stats = client.get("/v1/stats", headers=trusted).json
    secret_queue = queue(client, trusted, state="secret")["items"]

    assert {r["id"] for r in listed} == {f"{site.id}.post.1", record_id}
    assert [r["id"] for r in searched] == [record_id]
    assert (detail.status_code, detail.json["secret"], detail.json["review"]) == (
        200,
        True,
        "secret",
    )
    assert [v["version"] for v in versions.json["items"]] == [1]
    assert verify(document.data)["content"] == FLAGGED_TEXT
    assert personal.json["ip"] == "192.0.2.7"
    assert [(c["record_id"], c["event_type"]) for c in changes] == [
        (f"{site.id}.post.1", "post.published"),
        (record_id, "comment.received"),
        (record_id, "review.pending"),
        (record_id, "review.secret"),
    ]
    assert stats["total"] == 2
    assert [i["record"]["id"] for i in secret_queue] == [record_id]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "maybe"}, "decision"),
        ({"decision": "pending"}, "decision"),  # the screen's state, not a decision
        ({}, "decision"),
        ({"decision": "secret", "note": "x" * 2001}, "note"),
        ({"decision": "secret", "note": "a\x00b"}, "note"),
    ],
)
def test_a_bad_decision_is_422_naming_the_field(site, client, reviewer, body, field):
    site.sender.send("comment.received", comment_data(10, content=FLAGGED_TEXT))

    answer = client.post(f"/v1/records/{site.id}.comment.10/review", json=body, headers=reviewer)

    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert field in answer.json["errors"]["json"]
    assert queue(client, reviewer)["items"][0]["review"]["revision"] == 1


@pytest.mark.parametrize(
    "query",
    ["state=forgotten", "limit=0", "limit=501", "cursor=not-a-cursor", "site=a%00b"],
)
def test_a_bad_queue_query_is_422(client, reviewer, query):
    answer = client.get(f"/v1/review?{query}", headers=reviewer)

    assert answer.status_code == 422, answer.get_data(as_text=True)


def test_reviewing_an_unknown_record_is_404(site, client, reviewer):
    answer = client.post(
        f"/v1/records/{site.id}.comment.99/review", json={"decision": "secret"}, headers=reviewer
    )
    malformed = client.post(
        "/v1/records/not-a-record/review", json={"decision": "secret"}, headers=reviewer
    )

    assert (answer.status_code, malformed.status_code) == (404, 404)
    assert list(client.application.extensions["offentlig"].storage.list("sites/")) == []


def test_review_documents_are_json_with_the_record_and_its_version(app, site):
    site.sender.send("comment.received", comment_data(10, content=FLAGGED_TEXT))
    storage = app.extensions["offentlig"].storage

    [key] = storage.list(f"sites/{site.id}/comments/10/review/")
    document = json.loads(storage.get(key))

    assert document["schema"] == "offentlig.review/1"
    assert (document["id"], document["version"]) == (f"{site.id}.comment.10", 1)
    assert document["previous_sha256"] is None


def test_stats_count_records_awaiting_review_for_the_widget(app, site, client, reviewer):
    site.sender.send("comment.received", comment_data(21, content=FLAGGED_TEXT))
    site.sender.send("comment.received", comment_data(22, content=FLAGGED_TEXT))
    site.sender.send("comment.received", comment_data(23, content="Tack för snöröjningen!"))

    def pending() -> int:
        return client.get(f"/v1/stats?site={site.id}", headers=reviewer).json["review_pending"]

    assert pending() == 2
    decide(client, reviewer, f"{site.id}.comment.21", "cleared")
    assert pending() == 1
