"""Culling rules and legal holds as registers: revisions, not edits, once a decision is used;
holds that stop culling of records captured later; lifting that leaves the hold on record."""

from __future__ import annotations

from service.records import keys
from service.records.model import Kind
from tests.factories import post_data
from tests.support.retention import FAR_FUTURE, admin, retention, rule_body

__all__ = ["admin", "retention"]  # fixtures


def test_rule_with_bad_duration_is_422_naming_the_field(client, admin):
    for bad in ("2 years", "PT12H", "P0D", "-P1Y", ""):
        answer = client.post("/v1/retention-rules", json=rule_body(retention=bad), headers=admin)

        assert answer.status_code == 422, bad
        assert list(answer.get_json()["errors"]["json"]) == ["retention"], bad
    assert client.get("/v1/retention-rules", headers=admin).get_json() == []


def test_used_rule_is_superseded_not_edited(client, admin, site, retention):
    site.sender.send("post.published", post_data(1))
    unused = retention.rule(retention="P1Y", scope={"kinds": ["page"]})
    rule = retention.rule()
    corrected = client.put(
        f"/v1/retention-rules/{unused['id']}",
        json=rule_body(retention="P3Y", scope={"kinds": ["page"]}),
        headers=admin,
    )
    retention.run(dry_run=False)

    edited = client.put(
        f"/v1/retention-rules/{rule['id']}", json=rule_body(retention="P10Y"), headers=admin
    )
    new = client.post(
        f"/v1/retention-rules/{rule['id']}/supersede",
        json=rule_body(decision_reference="KS 2027/12 § 3", retention="P10Y"),
        headers=admin,
    )
    twice = client.post(
        f"/v1/retention-rules/{rule['id']}/supersede", json=rule_body(), headers=admin
    )
    old = client.get(f"/v1/retention-rules/{rule['id']}", headers=admin).get_json()
    site.sender.send("post.published", post_data(2))
    after = retention.run(dry_run=False, as_of="2030-01-01")

    assert corrected.status_code == 200 and corrected.get_json()["retention"] == "P3Y"
    assert corrected.get_json()["revision"] == 2
    assert edited.status_code == 409
    assert "supersede" in edited.get_json()["message"]
    assert new.status_code == 201
    assert new.get_json()["supersedes"] == rule["id"]
    assert twice.status_code == 409
    assert (old["state"], old["superseded_by"], old["used"]) == (
        "superseded",
        new.get_json()["id"],
        True,
    )
    assert [(r["revision"], r["state"], r["retention"]) for r in old["history"]] == [
        (1, "active", "P2Y"),
        (2, "superseded", "P2Y"),
    ]
    # The superseded rule (P2Y) no longer applies; the new one keeps post 2 for ten years.
    assert after["counts"]["items"] == 0
    assert set(after["counts"]["rules"]) == {unused["id"], new.get_json()["id"]}


def test_held_record_is_never_culled(app, client, admin, site, retention):
    site.sender.send("post.published", post_data(1))
    site.sender.send("post.published", post_data(2))
    held, free = f"{site.id}.post.1", f"{site.id}.post.2"
    retention.rule()
    hold = retention.hold(record_id=held)

    run = retention.run(dry_run=False)
    detail = client.get(f"/v1/records/{held}", headers=admin).get_json()

    assert retention.outcomes(run["id"]) == {held: "held", free: "due"}
    assert detail["holds"] == [hold["id"]]
    assert client.get(f"/v1/records/{free}", headers=admin).status_code == 410
    storage = app.extensions["offentlig"].storage
    objects = list(storage.list(keys.record_prefix(site.id, Kind.POST, 1)))
    assert objects and all(storage.legal_hold(key) for key in objects)


def test_a_record_storage_holds_is_neither_culled_nor_logged(app, client, admin, site, retention):
    """A legal hold only storage knows of (set by hand in the bucket) is the last line: that
    record is spared, with no culling-log entry, and the run fails naming it once the other
    records of its batch are culled."""
    for number in (1, 2, 3):
        site.sender.send("post.published", post_data(number))
    records = [f"{site.id}.post.{n}" for n in (1, 2, 3)]
    storage = app.extensions["offentlig"].storage
    key = keys.version_key(site.id, Kind.POST, 2, 1)
    storage.set_legal_hold(key, True)
    retention.rule()

    refused = client.post(
        "/v1/culling-runs", json={"as_of": FAR_FUTURE, "dry_run": False}, headers=admin
    )
    logged = client.get("/v1/culling-log", headers=admin).get_json()["items"]
    statuses = [client.get(f"/v1/records/{r}", headers=admin).status_code for r in records]
    storage.set_legal_hold(key, False)
    run_id = logged[0]["run_id"]
    failed = client.get(f"/v1/culling-runs/{run_id}", headers=admin).get_json()
    finished = client.post(f"/v1/culling-runs/{run_id}/execute", json={}, headers=admin)

    assert refused.status_code == 409
    assert key in refused.get_json()["message"]
    assert sorted(e["record_id"] for e in logged) == [records[0], records[2]]
    assert statuses == [410, 200, 410]
    assert (failed["state"], key in failed["error"]) == ("failed", True)
    assert finished.get_json()["state"] == "finished"
    assert finished.get_json()["counts"]["culled"] == 3
    assert list(storage.list(keys.record_prefix(site.id, Kind.POST, 2))) == []


def test_query_hold_covers_records_captured_later(client, admin, site, retention):
    retention.rule()
    hold = retention.hold(sites=[site.id], kinds=["post"], text="budget")
    site.sender.send("post.published", post_data(1, title="Budget 2027"))
    site.sender.send("post.published", post_data(2, title="Vinterns snöröjning"))
    site.sender.send(
        "post.published", post_data(3, title="Budget 2028", published_at="2026-01-01T00:00:00Z")
    )
    late = retention.hold(published_before="2026-06-01T00:00:00Z")

    run = retention.run(dry_run=False)

    assert retention.outcomes(run["id"]) == {
        f"{site.id}.post.1": "held",
        f"{site.id}.post.2": "due",
        f"{site.id}.post.3": "held",
    }
    detail = client.get(f"/v1/records/{site.id}.post.3", headers=admin).get_json()
    assert sorted(detail["holds"]) == sorted([hold["id"], late["id"]])


def test_lifted_hold_allows_culling(app, client, admin, site, retention):
    site.sender.send("post.published", post_data(1))
    record = f"{site.id}.post.1"
    retention.rule()
    hold = retention.hold(record_id=record)
    lifted = client.post(
        f"/v1/holds/{hold['id']}/lift", json={"reason": "Målet avgjort"}, headers=admin
    )
    storage = app.extensions["offentlig"].storage
    objects = list(storage.list(keys.record_prefix(site.id, Kind.POST, 1)))
    released = [storage.legal_hold(key) for key in objects]

    run = retention.run(dry_run=False)
    again = client.post(f"/v1/holds/{hold['id']}/lift", json={"reason": "x"}, headers=admin)
    register = client.get("/v1/holds", headers=admin).get_json()

    assert lifted.status_code == 200
    assert released == [False] * len(objects)
    assert retention.outcomes(run["id"]) == {record: "due"}
    assert client.get(f"/v1/records/{record}", headers=admin).status_code == 410
    assert again.status_code == 409
    assert [(h["id"], h["active"], h["lift_reason"], h["revision"]) for h in register] == [
        (hold["id"], False, "Målet avgjort", 2)
    ]


def test_a_hold_names_a_record_or_a_query(client, admin, site):
    for body in (
        {"reason": "x"},
        {"reason": "x", "record_id": f"{site.id}.post.1", "sites": [site.id]},
        {"reason": "x", "record_id": f"{site.id}.post.404"},
        {"reason": "x", "text": "!!!"},
    ):
        answer = client.post("/v1/holds", json=body, headers=admin)
        assert answer.status_code == 422, body
    assert client.get("/v1/holds", headers=admin).get_json() == []
