"""The registry system writes back case numbers (DOMAIN rule 5), every record answers what a
register entry shows (OSL 5:2, rule 6), and the change feed carries reviews and
registrations, so a registry system follows everything from one cursor."""

from __future__ import annotations

import pytest

from tests.factories import comment_data, post_data
from tests.support.review import PERSONNUMMER, decide, register

CASE = "KS 2026/245"


@pytest.fixture
def diarium(token) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The registry system: reads, follows the feed, writes back; sees secret records."""
    return token("records:read", "records:read-secret", "registry:write")  # type: ignore[no-any-return]


def ids(answer) -> list[str]:  # type: ignore[no-untyped-def]
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return [r["id"] for r in answer.json["items"]]


def test_registration_write_back_and_filters(app, site, client, reader, diarium, clock):
    site.sender.send("post.published", post_data(1))
    site.sender.send("comment.received", comment_data(10))
    post, comment = f"{site.id}.post.1", f"{site.id}.comment.10"

    written = register(
        client,
        diarium,
        comment,
        case_number=CASE,
        case_title="Synpunkt på snöröjning",
        registered_at="2026-11-29T10:00:00+01:00",
        registered_by="Registrator Rut",
    )
    detail = client.get(f"/v1/records/{comment}", headers=reader).json

    assert written == {
        "record_id": comment,
        "revision": 1,
        "case_number": CASE,
        "case_title": "Synpunkt på snöröjning",
        "registered_at": "2026-11-29T09:00:00+00:00",
        "registered_by": "Registrator Rut",
        "version": 1,
        "recorded_at": written["recorded_at"],
    }
    assert detail["registration"] == written
    assert (detail["case_number"], detail["registered_at"]) == (CASE, "2026-11-29T09:00:00+00:00")
    assert detail["register_entry"]["identifier"] == CASE
    assert ids(client.get("/v1/records?registered=true", headers=reader)) == [comment]
    assert ids(client.get("/v1/records?registered=false", headers=reader)) == [post]
    assert ids(client.get(f"/v1/records?case_number={CASE}", headers=reader)) == [comment]
    assert ids(client.get("/v1/records?case_number=KS 2026/1", headers=reader)) == []
    assert client.get(f"/v1/records/{post}", headers=reader).json["registration"] is None

    # The same registration again changes nothing; a new case number is a new revision.
    again = register(
        client,
        diarium,
        comment,
        case_number=CASE,
        case_title="Synpunkt på snöröjning",
        registered_by="Registrator Rut",
    )
    moved = register(client, diarium, comment, case_number="KS 2026/300")
    storage = app.extensions["offentlig"].storage
    revisions = list(storage.list(f"sites/{site.id}/comments/10/registration/"))

    assert again == written
    assert (moved["revision"], moved["registered_at"]) == (2, written["registered_at"])
    assert len(revisions) == 2
    assert ids(client.get(f"/v1/records?case_number={CASE}", headers=reader)) == []
    assert ids(client.get("/v1/records?case_number=KS 2026/300", headers=reader)) == [comment]


def test_a_secret_record_can_be_registered(site, client, token, diarium):
    """Secret documents must be registered: the registry system finds them to write back,
    though it reads them only with `records:read-secret`."""
    site.sender.send("comment.received", comment_data(10, content=f"Mitt nummer {PERSONNUMMER}"))
    comment = f"{site.id}.comment.10"
    decide(client, token("records:review"), comment, "secret")
    writer_only = token("registry:write")

    written = register(client, writer_only, comment, case_number=CASE)

    assert written["case_number"] == CASE
    assert (
        client.get(f"/v1/records?case_number={CASE}", headers=token("records:read")).json["items"]
        == []
    )
    assert ids(client.get(f"/v1/records?case_number={CASE}", headers=diarium)) == [comment]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "case_number"),
        ({"case_number": ""}, "case_number"),
        ({"case_number": "   "}, "case_number"),
        ({"case_number": "x" * 101}, "case_number"),
        ({"case_number": 245}, "case_number"),
        ({"case_number": "KS\x002026"}, "case_number"),
        ({"case_number": CASE, "registered_at": "2026-11-29T10:00:00"}, "registered_at"),
        ({"case_number": CASE, "registered_at": "igår"}, "registered_at"),
        ({"case_number": CASE, "case_title": "x" * 1001}, "case_title"),
        ({"case_number": CASE, "registered_by": "x" * 201}, "registered_by"),
    ],
)
def test_a_bad_registration_is_422_naming_the_field(app, site, client, diarium, body, field):
    site.sender.send("comment.received", comment_data(10))

    answer = client.put(
        f"/v1/records/{site.id}.comment.10/registration", json=body, headers=diarium
    )

    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert field in answer.json["errors"]["json"]
    storage = app.extensions["offentlig"].storage
    assert list(storage.list(f"sites/{site.id}/comments/10/registration/")) == []


@pytest.mark.parametrize("query", ["registered=maybe", "case_number=" + "x" * 101])
def test_bad_registration_filters_are_422(client, reader, query):
    answer = client.get(f"/v1/records?{query}", headers=reader)

    assert answer.status_code == 422, answer.get_data(as_text=True)


def test_registering_an_unknown_record_is_404(site, client, diarium):
    answer = client.put(
        f"/v1/records/{site.id}.post.99/registration", json={"case_number": CASE}, headers=diarium
    )

    assert answer.status_code == 404


def test_every_record_answers_osl_5_2(site, client, reader, diarium):
    site.sender.send("post.published", post_data(1, published_at="2026-11-27T08:00:00Z"))
    site.sender.send(
        "page.published", post_data(2, title="Kontakt", published_at="2026-01-01T00:00:00Z")
    )
    site.sender.send("comment.received", comment_data(10, post_id=1, date="2026-11-28T09:15:00Z"))
    long_text = "Hej! " + "Jag undrar över snöröjningen i Staffanstorp. " * 5
    site.sender.send(
        "comment.received",
        comment_data(11, post_id=1, post_title="", content=long_text, date="2026-11-28T10:00:00Z"),
    )
    register(client, diarium, f"{site.id}.page.2", case_number=CASE)

    listed = {
        r["id"]: r["register_entry"]
        for r in client.get("/v1/records", headers=reader).json["items"]
    }
    details = {
        rid: client.get(f"/v1/records/{rid}", headers=reader).json["register_entry"]
        for rid in listed
    }

    assert details == listed
    assert listed == {
        f"{site.id}.post.1": {
            "date": "2026-11-27T08:00:00+00:00",
            "date_kind": "drawn_up",
            "identifier": f"{site.id}.post.1",
            "sender": None,
            "subject": "Vinterns snöröjning",
        },
        f"{site.id}.page.2": {
            "date": "2026-01-01T00:00:00+00:00",
            "date_kind": "drawn_up",
            "identifier": CASE,
            "sender": None,
            "subject": "Kontakt",
        },
        f"{site.id}.comment.10": {
            "date": "2026-11-28T09:15:00+00:00",
            "date_kind": "received",
            "identifier": f"{site.id}.comment.10",
            "sender": "Bertil Bengtsson",
            "subject": "Re: Vinterns snöröjning",
        },
        f"{site.id}.comment.11": {
            "date": "2026-11-28T10:00:00+00:00",
            "date_kind": "received",
            "identifier": f"{site.id}.comment.11",
            "sender": "Bertil Bengtsson",
            "subject": long_text[:99].rstrip() + "…",
        },
    }


def test_register_entry_is_in_the_openapi_document(client):
    spec = client.get("/openapi.json").json
    schemas = spec["components"]["schemas"]

    entry = schemas["RegisterEntry"]["properties"]
    assert set(entry) == {"date", "date_kind", "identifier", "sender", "subject"}
    assert all(entry[name].get("description") for name in entry)
    assert schemas["Record"]["properties"]["register_entry"] == {
        "$ref": "#/components/schemas/RegisterEntry"
    }


def test_feed_carries_reviews_and_registrations(site, client, token, diarium):
    reviewer = token("records:review")
    site.sender.send("post.published", post_data(1))
    site.sender.send("comment.received", comment_data(10, content=f"Mitt nummer {PERSONNUMMER}"))
    comment = f"{site.id}.comment.10"
    start = client.get("/v1/changes", headers=diarium).json["next_cursor"]
    decide(client, reviewer, comment, "register", "Registreras.")
    register(client, diarium, comment, case_number=CASE)
    register(client, diarium, comment, case_number="KS 2026/300")
    decide(client, reviewer, comment, "secret")

    everything = client.get("/v1/changes", headers=diarium).json
    since = client.get(f"/v1/changes?after={start}", headers=diarium).json
    reader_sees = client.get("/v1/changes", headers=token("records:read")).json["items"]

    assert [
        (c["record_id"], c["change"], c["event_type"], c["version"]) for c in everything["items"]
    ] == [
        (f"{site.id}.post.1", "version", "post.published", 1),
        (comment, "version", "comment.received", 1),
        (comment, "review", "review.pending", 1),
        (comment, "review", "review.register", 1),
        (comment, "registration", "registration.registered", 1),
        (comment, "registration", "registration.updated", 1),
        (comment, "review", "review.secret", 1),
    ]
    assert [c["event_type"] for c in since["items"]] == [
        "review.register",
        "registration.registered",
        "registration.updated",
        "review.secret",
    ]
    assert all(c["site_id"] == site.id and c["event_id"] is None for c in everything["items"][2:])
    # Once secret, the record's entries leave the feed for callers without the privilege.
    assert [c["record_id"] for c in reader_sees] == [f"{site.id}.post.1"]
