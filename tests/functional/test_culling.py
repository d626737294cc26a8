"""Culling runs (DOMAIN rule 3): only a decision removes content, a run can be previewed, and
nothing held, registered or awaiting review is culled."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from service.index import tables as t
from service.records import keys
from service.records.model import Kind
from service.storage.s3 import S3Store
from tests.factories import TEST_ACTOR, comment_data, post_data
from tests.support.retention import admin, close_channel, retention, rule_body, set_record

__all__ = ["admin", "retention"]  # fixtures


def publish(site, *numbers: int, **overrides) -> list[str]:  # type: ignore[no-untyped-def]
    for number in numbers:
        answer = site.sender.send("post.published", post_data(number, **overrides))
        assert answer.status_code == 201, answer.get_data(as_text=True)
    return [f"{site.id}.post.{n}" for n in numbers]


def status(client, admin, record_id: str) -> int:  # type: ignore[no-untyped-def]
    return client.get(f"/v1/records/{record_id}", headers=admin).status_code  # type: ignore[no-any-return]


def test_records_no_rule_covers_are_kept(client, admin, site, retention):
    [post] = publish(site, 1)
    site.sender.send("comment.received", comment_data(10, post_id=1))
    comment = f"{site.id}.comment.10"
    site.sender.send("page.published", post_data(30, title="Kontakt"))
    page = f"{site.id}.page.30"

    nothing = retention.run(dry_run=False)
    pages_only = retention.rule(scope={"kinds": ["page"]}, retention="P30D")
    run = retention.run(dry_run=False)

    assert nothing["state"] == "finished" and nothing["counts"]["items"] == 0
    assert run["state"] == "finished"
    assert run["counts"]["rules"][pages_only["id"]]["culled"] == 1
    assert status(client, admin, post) == 200
    assert status(client, admin, comment) == 200
    assert status(client, admin, page) == 410


def test_longest_retention_wins(client, admin, site, retention):
    trafik, kultur = publish(site, 1), publish(site, 2, terms={"category": ["Kultur"]})
    short = retention.rule(retention="P1Y", scope={"kinds": ["post"]})
    long = retention.rule(retention="P5Y", scope={"terms": {"category": ["Trafik"]}})

    soon = retention.run(as_of="2028-06-01")
    later = retention.run(as_of="2032-01-01")

    assert retention.items(soon["id"]) == [
        {
            "position": 0,
            "record_id": kultur[0],
            "site_id": site.id,
            "subject": "Vinterns snöröjning",
            "rule_id": short["id"],
            "due_on": "2027-11-28",
            "outcome": "due",
            "culled": False,
        }
    ]
    assert {i["record_id"]: (i["rule_id"], i["due_on"]) for i in retention.items(later["id"])} == {
        trafik[0]: (long["id"], "2031-11-28"),
        kultur[0]: (short["id"], "2027-11-28"),
    }
    assert later["counts"]["rules"][long["id"]]["due"] == 1


def test_dry_run_lists_exactly_what_execute_culls(client, admin, site, retention):
    records = publish(site, 1, 2, 3, 4)
    site.sender.send("comment.received", comment_data(10, post_id=1))
    retention.rule(scope={"kinds": ["post"]})
    retention.rule(retention="P6M", scope={"kinds": ["comment"]})
    retention.hold(record_id=records[1])
    set_record(client.application, records[2], review="pending")

    preview = retention.run()
    kept = [status(client, admin, r) for r in records]
    executed = retention.run(dry_run=False)

    previewed = retention.items(preview["id"])
    culled = [i for i in retention.items(executed["id"]) if i["culled"]]
    assert preview["state"] == "planned" and preview["dry_run"] is True
    assert kept == [200, 200, 200, 200]
    assert [i["record_id"] for i in previewed if i["outcome"] == "due"] == [
        i["record_id"] for i in culled
    ]
    assert {i["record_id"] for i in culled} == {records[0], records[3], f"{site.id}.comment.10"}
    assert {i["record_id"]: i["outcome"] for i in previewed if i["outcome"] != "due"} == {
        records[1]: "held",
        records[2]: "review_pending",
    }
    again = client.post(f"/v1/culling-runs/{preview['id']}/execute", json={}, headers=admin)
    assert again.status_code == 409  # a preview is never executed


def test_registered_record_is_not_culled_unless_rule_names_it(client, admin, site, retention):
    [post] = publish(site, 1)
    # main has no registration API yet: the projection's column, as a registration sets it.
    set_record(client.application, post, case_number="KS 2026/301")
    rule = retention.rule()

    spared = retention.run(dry_run=False)
    naming = client.post(
        f"/v1/retention-rules/{rule['id']}/supersede",
        json=rule_body(covers_registered=True),
        headers=admin,
    ).get_json()
    culled = retention.run(dry_run=False)

    assert retention.outcomes(spared["id"]) == {post: "registered"}
    assert spared["counts"]["rules"][rule["id"]]["registered"] == 1
    assert culled["counts"]["rules"][naming["id"]]["culled"] == 1
    assert status(client, admin, post) == 410


def test_pending_review_blocks_culling(client, admin, site, retention):
    [post, other] = publish(site, 1, 2)
    # main has no review register yet: the projection's column, as a pending review sets it.
    set_record(client.application, post, review="pending")
    set_record(client.application, other, review="cleared")
    retention.rule()

    run = retention.run(dry_run=False)

    assert retention.outcomes(run["id"]) == {post: "review_pending", other: "due"}
    assert status(client, admin, post) == 200
    assert status(client, admin, other) == 410


def test_channel_closed_rule_waits_for_the_channel_to_close(client, admin, site, retention):
    [post] = publish(site, 1)
    retention.rule(counted_from="channel_closed", retention="P1Y")

    while_open = retention.run(as_of="2030-01-01")
    close_channel(client.application, site.id, date(2026, 11, 28))  # the day it started
    too_soon = retention.run(as_of="2027-11-27")
    due = retention.run(as_of="2027-11-28")

    assert retention.items(while_open["id"]) == []
    assert retention.items(too_soon["id"]) == []
    assert [(i["record_id"], i["due_on"]) for i in retention.items(due["id"])] == [
        (post, "2027-11-28")
    ]


def test_culling_erases_every_version_event_and_personal_data(app, client, admin, site, retention):
    svc = app.extensions["offentlig"]
    publish(site, 1)
    site.sender.send("comment.received", comment_data(10, post_id=1, author_ip="192.0.2.7"))
    edited = {"content": "Ändrad.", "author_email": "n@example.se", "author_ip": "192.0.2.7"}
    site.sender.send("comment.edited", comment_data(10, post_id=1, **edited))
    site.sender.send("comment.approved", comment_data(10, post_id=1, status="approved", **edited))
    comment = f"{site.id}.comment.10"
    prefix = keys.record_prefix(site.id, Kind.COMMENT, 10)
    personal = [k for k in svc.storage.list(f"sites/{site.id}/personal/")]
    before = list(svc.storage.list(prefix))
    retention.rule(scope={"kinds": ["comment"]})

    retention.run(dry_run=False)

    assert len(personal) == 2  # each version's own
    assert [k.split("/")[-2] for k in before] == ["events", "versions", "versions"]
    assert list(svc.storage.list(prefix)) == []
    assert list(svc.storage.list(f"sites/{site.id}/personal/")) == []
    assert status(client, admin, f"{site.id}.post.1") == 200
    with svc.engine.connect() as conn:
        for table in (t.record_versions, t.record_events, t.deliveries):
            count = select(func.count()).where(table.c.record_id == comment)
            assert conn.execute(count).scalar_one() == 0, table.name
    if isinstance(svc.storage, S3Store):
        store = svc.storage
        erased = {store.prefix + key for key in [*before, *personal]}
        found = store.client.list_object_versions(Bucket=store.bucket, Prefix=store.prefix)
        left = [
            v["Key"]
            for v in [*found.get("Versions", []), *found.get("DeleteMarkers", [])]
            if v["Key"] in erased
        ]
        assert left == []


def test_interrupted_run_finishes_without_culling_twice(app, client, admin, site, retention):
    svc = app.extensions["offentlig"]
    records = publish(site, 1, 2, 3)
    rule = retention.rule()
    started = retention.run(dry_run=False, limit=1)
    # A crash after the log entries of the other two were written to storage, before
    # anything was erased: the second one's was shown in the index and audited too.
    culler = svc.retention.runs.culler
    pending = svc.retention.runs._pending(started["id"], -1, 10)
    assert [r for _, r in pending] == records[1:]
    decisions = svc.retention.runs._decisions(started["id"], pending)
    rows = culler.rows(records[1:])
    found = [
        culler.prepare(started["id"], decisions[r], TEST_ACTOR, record_id=r, row=rows[r])
        for r in records[1:]
    ]
    culler.record(found[:1], actor=TEST_ACTOR)

    carried_on = client.post(f"/v1/culling-runs/{started['id']}/execute", json={}, headers=admin)
    again = client.post(f"/v1/culling-runs/{started['id']}/execute", json={}, headers=admin)

    assert started["state"] == "executing"
    assert carried_on.status_code == 200, carried_on.get_data(as_text=True)
    assert carried_on.get_json()["state"] == "finished"
    assert carried_on.get_json()["counts"]["rules"][rule["id"]]["culled"] == 3
    assert again.get_json()["revision"] == carried_on.get_json()["revision"]
    assert [status(client, admin, r) for r in records] == [410, 410, 410]
    log = client.get(f"/v1/culling-log?run={started['id']}", headers=admin).get_json()["items"]
    assert sorted(e["record_id"] for e in log) == sorted(records)
    with svc.engine.connect() as conn:
        audited = select(func.count()).where(t.audit_log.c.action == "record.culled")
        fed = select(func.count()).where(t.changes.c.change == "cull")
        assert conn.execute(audited).scalar_one() == 3
        assert conn.execute(fed).scalar_one() == 3


def test_stats_tell_the_widget_when_the_next_culling_comes(client, admin, site, retention):
    def next_culling() -> object:
        answer = client.get(f"/v1/stats?site={site.id}", headers=admin)
        return answer.get_json()["next_culling"]

    assert next_culling() is None  # no rule: everything is kept for ever
    publish(site, 1, published_at="2026-03-01T08:00:00Z")
    publish(site, 2, published_at="2026-03-01T09:00:00Z")
    publish(site, 3, published_at="2026-05-01T08:00:00Z", title="Storgatan")
    retention.rule(retention="P2Y")
    retention.hold(text="Storgatan")  # spares post 3, due later anyway
    svc = client.application.extensions["offentlig"]
    svc.retention.forecast.forget()  # the answer is kept a few minutes per process

    assert next_culling() == {"date": "2028-03-01", "records": 2}


def test_holds_set_and_lifted_are_in_the_change_feed(client, admin, site, retention, cli):
    [post] = publish(site, 1)
    on_record = retention.hold(record_id=post)
    on_query = retention.hold(text="budget")
    lifted = client.post(
        f"/v1/holds/{on_record['id']}/lift", json={"reason": "Klart"}, headers=admin
    )
    assert lifted.status_code == 200, lifted.get_data(as_text=True)

    def holds() -> list[tuple[object, ...]]:
        items = client.get("/v1/changes?limit=1000", headers=admin).get_json()["items"]
        return [
            (c["record_id"], c["event_id"], c["event_type"]) for c in items if c["change"] == "hold"
        ]

    expected = [
        (post, on_record["id"], "hold.set"),
        (None, on_query["id"], "hold.set"),
        (post, on_record["id"], "hold.lifted"),
    ]
    assert holds() == expected
    assert cli("reindex", "--json").exit_code == 0
    assert holds() == expected
