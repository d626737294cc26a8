"""The culling log: a permanent entry per culled record, shown to anyone who asks for the
record (410), exported as CSV, fed to registry systems, and never lost to a reindex."""

from __future__ import annotations

import csv
import io

import pytest

from tests.factories import TEST_ACTOR, comment_data, post_data
from tests.support.retention import Retention, admin

__all__ = ["admin"]  # a fixture


@pytest.fixture
def culled(client, admin, site):  # type: ignore[no-untyped-def]
    """Post 1 and its comment culled under one rule; post 2 kept (no rule covers pages)."""
    retention = Retention(client, admin)
    site.sender.send("post.published", post_data(1))
    site.sender.send("comment.received", comment_data(10, post_id=1))
    site.sender.send("page.published", post_data(2, title="Kontakt"))
    rule = retention.rule(scope={"kinds": ["post", "comment"]})
    run = retention.run(dry_run=False)
    return rule, run


def test_culled_record_answers_410_with_its_log_entry(app, client, reader, site, culled, token):
    rule, run = culled
    record = f"{site.id}.post.1"

    for path in (
        f"/v1/records/{record}",
        f"/v1/records/{record}/versions",
        f"/v1/records/{record}/versions/1",
    ):
        answer = client.get(path, headers=reader)
        assert answer.status_code == 410, path
        entry = answer.get_json()["errors"]["culling_log"]
        assert entry["decision_reference"] == "KS 2026/114 § 12", path
        assert (entry["record_id"], entry["rule_id"], entry["run_id"]) == (
            record,
            rule["id"],
            run["id"],
        )
        assert (entry["subject"], entry["versions_erased"], entry["culled_by"]) == (
            "Vinterns snöröjning",
            1,
            "test",
        )
    other, _ = app.extensions["offentlig"].sites.add("Lund", "https://lund.se", actor=TEST_ACTOR)
    other_site = token("records:read", site=other["id"])
    assert client.get(f"/v1/records/{record}", headers=other_site).status_code == 404
    assert client.get(f"/v1/records/{site.id}.post.99", headers=reader).status_code == 404


def test_culled_records_are_in_the_change_feed(client, reader, site, culled):
    changes = client.get("/v1/changes", headers=reader).get_json()["items"]

    culls = [(c["record_id"], c["event_type"]) for c in changes if c["change"] == "cull"]
    assert sorted(culls) == [
        (f"{site.id}.comment.10", "record.culled"),
        (f"{site.id}.post.1", "record.culled"),
    ]


def test_culling_log_pages_and_filters(client, reader, site, culled):
    rule, run = culled

    first = client.get("/v1/culling-log?limit=1", headers=reader).get_json()
    second = client.get(
        f"/v1/culling-log?limit=1&cursor={first['next_cursor']}", headers=reader
    ).get_json()
    by_rule = client.get(f"/v1/culling-log?rule={rule['id']}", headers=reader).get_json()
    other_rule = client.get("/v1/culling-log?rule=nosuchrule", headers=reader).get_json()
    later = client.get("/v1/culling-log?since=2099-01-01T00:00:00Z", headers=reader).get_json()

    assert len(first["items"]) == 1 and second["next_cursor"] is None
    assert {first["items"][0]["record_id"], second["items"][0]["record_id"]} == {
        f"{site.id}.post.1",
        f"{site.id}.comment.10",
    }
    assert len(by_rule["items"]) == 2
    assert other_rule["items"] == [] and later["items"] == []


def test_culling_log_exports_as_csv_with_a_header_row(client, reader, site, culled):
    answer = client.get("/v1/culling-log.csv", headers=reader)

    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert sorted(r["record_id"] for r in rows) == [f"{site.id}.comment.10", f"{site.id}.post.1"]
    assert {r["decision_reference"] for r in rows} == {"KS 2026/114 § 12"}
    assert rows[0]["culled_at"].endswith("Z")


def test_culling_log_survives_reindex(client, reader, admin, site, culled, cli):
    rule, run = culled
    log = client.get("/v1/culling-log", headers=reader).get_json()
    plan = client.get(f"/v1/culling-runs/{run['id']}/items", headers=reader).get_json()

    result = cli("reindex", "--json")

    assert result.exit_code == 0, result.output
    assert client.get("/v1/culling-log", headers=reader).get_json() == log
    assert client.get(f"/v1/culling-runs/{run['id']}/items", headers=reader).get_json() == plan
    assert client.get(f"/v1/culling-runs/{run['id']}", headers=reader).get_json() == run
    assert client.get(f"/v1/records/{site.id}.post.1", headers=reader).status_code == 410
    assert client.get(f"/v1/records/{site.id}.page.2", headers=reader).status_code == 200
    # Still used: still never edited.
    assert client.get(f"/v1/retention-rules/{rule['id']}", headers=reader).get_json()["used"]
    edit = client.put(
        f"/v1/retention-rules/{rule['id']}",
        json={
            "decision_reference": "x",
            "decision_date": "2026-01-01",
            "retention": "P1Y",
            "counted_from": "published",
        },
        headers=admin,
    )
    assert edit.status_code == 409
    changes = client.get("/v1/changes", headers=reader).get_json()["items"]
    assert sorted(c["record_id"] for c in changes if c["change"] == "cull") == [
        f"{site.id}.comment.10",
        f"{site.id}.post.1",
    ]
