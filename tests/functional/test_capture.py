"""Webhook → record: versions, events, idempotency, origins, personal data."""

from __future__ import annotations

import json

from tests.factories import comment_data, post_data


def test_published_post_is_a_drawn_up_record_returned_at_once(site, client, reader):
    answer = site.sender.send("post.published", post_data(7))

    assert answer.status_code == 201
    record_id = f"{site.id}.post.7"
    assert answer.json == {"record_id": record_id, "version": 1, "event_id": None}
    record = client.get(f"/v1/records/{record_id}", headers=reader).json
    assert record["origin"] == "drawn_up"
    assert record["title"] == "Vinterns snöröjning"
    assert record["status"] == "publish"
    assert record["latest_version"] == 1
    assert record["author"] == "Anna Andersson"


def test_every_edit_is_a_new_version_chained_by_hash(site, client, reader):
    site.sender.send("post.published", post_data(1))
    site.sender.send("post.updated", post_data(1, title="Andra rubriken"))
    third = site.sender.send("post.updated", post_data(1, title="Tredje rubriken"))

    assert third.status_code == 201
    assert third.json["version"] == 3
    versions = client.get(f"/v1/records/{site.id}.post.1/versions", headers=reader).json["items"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    stored = [
        json.loads(client.get(f"/v1/records/{site.id}.post.1/versions/{n}", headers=reader).data)
        for n in (1, 2, 3)
    ]
    assert stored[0]["previous_sha256"] is None
    assert stored[1]["previous_sha256"] == stored[0]["sha256"]
    assert stored[2]["previous_sha256"] == stored[1]["sha256"]
    assert [s["title"] for s in stored] == [
        "Vinterns snöröjning",
        "Andra rubriken",
        "Tredje rubriken",
    ]


def test_redelivery_of_the_same_webhook_id_answers_200_with_the_same_body(site):
    first = site.sender.send("post.published", post_data(1), webhook_id="msg_same")
    again = site.sender.send("post.published", post_data(1), webhook_id="msg_same")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json


def test_late_redelivery_of_an_edit_answers_with_the_version_it_made(site, client, reader):
    """A sender retrying an old delivery after a newer edit landed must not revert the post."""
    first = site.sender.send("post.published", post_data(1), webhook_id="msg_first")
    site.sender.send("post.updated", post_data(1, title="Ny rubrik"), webhook_id="msg_second")
    late = site.sender.send("post.published", post_data(1), webhook_id="msg_first")

    assert (late.status_code, late.json) == (200, first.json)
    versions = client.get(f"/v1/records/{site.id}.post.1/versions", headers=reader).json["items"]
    assert [v["version"] for v in versions] == [1, 2]


def test_unchanged_content_under_a_new_webhook_id_records_nothing(site, client, reader):
    site.sender.send("post.published", post_data(1))
    resend = site.sender.send("post.updated", post_data(1, modified_at="2026-11-28T10:00:00Z"))

    assert resend.status_code == 200
    assert resend.json["version"] == 1
    versions = client.get(f"/v1/records/{site.id}.post.1/versions", headers=reader).json["items"]
    assert len(versions) == 1


def test_status_change_is_an_event_not_a_version(site, client, reader):
    site.sender.send("post.published", post_data(1))
    trashed = site.sender.send(
        "post.trashed", post_data(1, status="trash", previous_status="publish")
    )

    assert trashed.status_code == 201
    assert trashed.json["version"] == 1
    assert trashed.json["event_id"]
    record = client.get(f"/v1/records/{site.id}.post.1", headers=reader).json
    assert record["status"] == "trash"
    assert record["latest_version"] == 1
    assert [(e["type"], e["status"], e["previous_status"]) for e in record["events"]] == [
        ("post.trashed", "trash", "publish")
    ]


def test_delete_keeps_the_content_and_adds_a_tombstone(site, client, reader):
    site.sender.send("post.published", post_data(1))
    deleted = site.sender.send("post.deleted", post_data(1, status="trash"))

    assert deleted.status_code == 201
    record = client.get(f"/v1/records/{site.id}.post.1", headers=reader).json
    assert record["deleted"] is True
    assert record["status"] == "deleted"
    assert record["title"] == "Vinterns snöröjning"
    stored = client.get(f"/v1/records/{site.id}.post.1/versions/1", headers=reader)
    assert stored.status_code == 200
    assert "plogar" in stored.json["content"]


def test_status_event_for_an_unknown_post_first_records_its_content(site, client, reader):
    """A post written before the plugin was installed and deleted now is not lost."""
    answer = site.sender.send("post.deleted", post_data(99, title="Gammalt inlägg"))

    assert answer.status_code == 201
    assert answer.json["version"] == 1
    assert answer.json["event_id"]
    record = client.get(f"/v1/records/{site.id}.post.99", headers=reader).json
    assert record["title"] == "Gammalt inlägg"
    assert record["deleted"] is True


def test_redelivery_of_a_status_event_about_an_unknown_post_names_its_event(site):
    """That delivery made version 1 and an event; its answer is the event, every time."""
    first = site.sender.send("post.trashed", post_data(98), webhook_id="msg_trash")
    again = site.sender.send("post.trashed", post_data(98), webhook_id="msg_trash")

    assert first.status_code == 201
    assert first.json["event_id"]
    assert (again.status_code, again.json) == (200, first.json)


def test_comment_held_for_moderation_is_received_and_moderation_is_recorded(site, client, reader):
    site.sender.send("post.published", post_data(1))
    received = site.sender.send("comment.received", comment_data(10, post_id=1))
    approved = site.sender.send("comment.approved", comment_data(10, status="approved"))
    edited = site.sender.send(
        "comment.edited", comment_data(10, status="approved", content="Nu är det plogat, tack!")
    )

    assert [r.status_code for r in (received, approved, edited)] == [201, 201, 201]
    record = client.get(f"/v1/records/{site.id}.comment.10", headers=reader).json
    assert record["origin"] == "received"
    assert record["parent"] == f"{site.id}.post.1"
    assert record["title"] == "Re: Vinterns snöröjning"
    assert record["latest_version"] == 2
    assert [e["type"] for e in record["events"]] == ["comment.approved"]
    first = client.get(f"/v1/records/{site.id}.comment.10/versions/1", headers=reader).json
    assert first["status"] == "hold"
    assert first["origin"] == "received"


def test_page_kind_and_parent_page(site, client, reader):
    site.sender.send("page.published", post_data(5, title="Kontakt", parent=2))

    record = client.get(f"/v1/records/{site.id}.page.5", headers=reader).json
    assert record["kind"] == "page"
    assert record["parent"] == f"{site.id}.page.2"


def test_version_json_is_self_describing_and_its_hash_is_checkable(site, client, reader):
    import rfc8785

    from service.records.canonical import sha256_hex

    site.sender.send("post.published", post_data(1), webhook_id="msg_abc")
    answer = client.get(f"/v1/records/{site.id}.post.1/versions/1", headers=reader)

    document = json.loads(answer.data)
    body = {k: v for k, v in document.items() if k != "sha256"}
    assert sha256_hex(rfc8785.dumps(body)) == document["sha256"]
    assert answer.headers["X-Offentlig-SHA256"] == document["sha256"]
    assert answer.data == rfc8785.dumps(document)  # stored bytes are canonical
    assert document["site"] == {
        "id": site.id,
        "name": "Staffanstorps kommun",
        "url": "https://www.example.se",
    }
    assert document["event"] == {"id": "msg_abc", "type": "post.published"}
    assert document["occurred_at"] == "2026-11-28T09:30:00Z"
    assert document["published_at"] == "2026-11-28T08:00:00Z"
    assert document["captured_at"].startswith("2026-11-28T09:00:00.")
    for field in ("guid", "permalink", "content", "content_raw", "excerpt", "terms", "author"):
        assert document[field], field


def test_personal_data_is_stored_apart_and_shown_only_with_the_scope(site, client, token):
    site.sender.send(
        "comment.received",
        comment_data(10, author_ip="192.0.2.7", author_user_agent="Firefox"),
    )
    record_id = f"{site.id}.comment.10"

    plain = client.get(f"/v1/records/{record_id}", headers=token("records:read")).json
    version = client.get(f"/v1/records/{record_id}/versions/1", headers=token("records:read"))
    personal = client.get(
        f"/v1/records/{record_id}", headers=token("records:read", "records:read-personal")
    ).json

    assert "personal_data" not in plain
    assert b"bertil@example.se" not in version.data
    assert b"192.0.2.7" not in version.data
    assert set(version.json["personal_data"]) == {"sha256", "fields"}
    assert version.json["personal_data"]["fields"] == ["email", "ip", "user_agent"]
    assert personal["personal_data"] == {
        "email": "bertil@example.se",
        "ip": "192.0.2.7",
        "user_agent": "Firefox",
    }


def test_personal_data_reads_are_audited(app, site, client, token):
    from sqlalchemy import select

    from service.index.tables import audit_log

    site.sender.send("comment.received", comment_data(10))
    headers = token("records:read", "records:read-personal")
    client.get(f"/v1/records/{site.id}.comment.10/versions/1/personal-data", headers=headers)
    app.extensions["offentlig"].audit.flush()

    with app.extensions["offentlig"].engine.connect() as conn:
        rows = list(
            conn.execute(
                select(audit_log.c.action, audit_log.c.subject).where(
                    audit_log.c.action == "read-personal-data"
                )
            )
        )
    assert rows == [("read-personal-data", f"{site.id}.comment.10")]


def test_changed_commenter_email_makes_a_new_version_unchanged_reuses_the_object(
    site, client, token
):
    headers = token("records:read", "records:read-personal")
    site.sender.send("comment.received", comment_data(10))
    same = site.sender.send("comment.edited", comment_data(10))
    changed = site.sender.send("comment.edited", comment_data(10, author_email="ny@example.se"))

    assert (same.status_code, changed.status_code) == (200, 201)
    url = f"/v1/records/{site.id}.comment.10/versions/2/personal-data"
    assert client.get(url, headers=headers).json["email"] == "ny@example.se"


def test_ping_answers_with_the_site(site):
    answer = site.sender.send("offentlig.ping", {"plugin_version": "0.1.0"})

    assert answer.status_code == 200
    assert answer.json == {"ok": True, "site_id": site.id, "site_name": "Staffanstorps kommun"}


def test_redelivery_of_a_status_change_that_also_changed_content_keeps_its_event_id(site):
    site.sender.send("comment.received", comment_data(10))
    changed = comment_data(10, content="Köp billiga klockor här", status="spam")
    first = site.sender.send("comment.spam", changed, webhook_id="msg_spam")
    again = site.sender.send("comment.spam", changed, webhook_id="msg_spam")

    assert first.status_code == 201
    assert first.json["version"] == 2
    assert first.json["event_id"]
    assert (again.status_code, again.json) == (200, first.json)


def test_draft_text_after_unpublishing_never_becomes_a_version(site, client, reader):
    """Drafts are working material: only what was published is a document."""
    site.sender.send("post.published", post_data(1))
    draft = post_data(1, title="Utkast", content="<p>Hemligt utkast</p>", status="draft")
    site.sender.send("post.unpublished", draft)
    site.sender.send("post.trashed", {**draft, "status": "trash"})
    deleted = site.sender.send("post.deleted", draft)

    assert deleted.status_code == 201
    record = client.get(f"/v1/records/{site.id}.post.1", headers=reader).json
    assert record["latest_version"] == 1
    assert record["title"] == "Vinterns snöröjning"
    assert [e["type"] for e in record["events"]] == [
        "post.unpublished",
        "post.trashed",
        "post.deleted",
    ]
    assert record["deleted"] is True
    stored = client.get(f"/v1/records/{site.id}.post.1/versions/1", headers=reader)
    assert b"Hemligt utkast" not in stored.data
