"""Backfill and reconciliation through the API, on every backend, with the site behind the
WordPress port played by `FakeWordPress` (the real XML-RPC adapter: tests/e2e/test_backfill.py)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from service.auth.actor import SERVICE
from service.backfill.backfill import run_backfill
from service.backfill.pipeline import DEFAULT_PAGE_SIZE
from service.backfill.reading import keep_personal
from service.backfill.reports import ReconciliationReports
from service.backfill.schedule import RECONCILIATIONS
from service.cli import main
from service.errors import WordPressUnavailable
from service.index import tables as t
from service.jobs.handlers import SCHEDULES
from service.jobs.model import Job
from service.jobs.runner import Worker
from service.jobs.schedules import enqueue_due
from service.records.model import Kind
from service.sites.registry import SITES
from tests.conftest import CLI_SETTINGS
from tests.factories import TEST_ACTOR
from tests.support.fake_wordpress import (
    PASSWORD,
    USERNAME,
    FakeWordPress,
    remote_comment,
    remote_post,
)
from tests.support.ports import free_port


@pytest.fixture
def wordpress(app) -> FakeWordPress:  # type: ignore[no-untyped-def]
    """The site of the `site` fixture, as the port reads it: 3 posts, a page, 5 comments."""
    fake = FakeWordPress()
    posts = [remote_post(n) for n in (1, 2, 3)]
    page = remote_post(4, Kind.PAGE)
    fake.add(*posts, page)
    fake.add(
        remote_comment(10, posts[0], "approved"),
        remote_comment(11, posts[0], "hold"),
        remote_comment(12, posts[0], "approved", parent=10),
        remote_comment(13, page, "spam"),
        remote_comment(14, posts[1], "trash"),
    )
    app.extensions["offentlig"].wordpress = fake.connect
    return fake


@pytest.fixture
def admin(token) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return token("admin")  # type: ignore[no-any-return]


def set_account(client, site_id: str, admin: dict[str, str], **body: Any):  # type: ignore[no-untyped-def]
    return client.put(
        f"/v1/sites/{site_id}/wordpress-account",
        json={"username": USERNAME, "app_password": PASSWORD, **body},
        headers=admin,
    )


@pytest.fixture
def account(client, site, admin, wordpress) -> None:  # type: ignore[no-untyped-def]
    assert set_account(client, site.id, admin).status_code == 200


def run_due(app, kind: str) -> list[Job]:  # type: ignore[no-untyped-def]
    svc = app.extensions["offentlig"]
    return Worker(svc.jobs, svc, kinds=[kind], schedules=()).run_due()


def finished(app, client, path: str, admin: dict[str, str], **body: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """POST a backfill or reconciliation: 202 with its job; a worker runs it; its detail."""
    answer = client.post(path, json=body, headers=admin)
    assert answer.status_code == 202, answer.get_json()
    kind = answer.get_json()["kind"]
    assert [job.state for job in run_due(app, kind)] == ["succeeded"]
    detail = client.get(answer.headers["Location"], headers=admin)
    assert detail.status_code == 200, detail.get_json()
    assert detail.get_json()["state"] == "succeeded"
    return dict(detail.get_json())


def backfill(app, client, site_id: str, admin: dict[str, str], **body: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    found = finished(app, client, f"/v1/sites/{site_id}/backfills", admin, **body)
    return dict(found["report"])


def reconcile(app, client, site_id: str, admin: dict[str, str]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return finished(app, client, f"/v1/sites/{site_id}/reconciliations", admin)


def versions(client, reader, record_id: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    answer = client.get(f"/v1/records/{record_id}/versions", headers=reader)
    assert answer.status_code == 200, answer.get_json()
    return list(answer.get_json()["items"])


# --- the account --------------------------------------------------------------------------


def test_account_is_checked_kept_encrypted_and_never_shown(app, client, site, admin, wordpress):
    answer = set_account(client, site.id, admin, personal_data=["email", "ip"])

    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {
        "site_id": site.id,
        "username": USERNAME,
        "display_name": "Arkivet",
        "roles": ["editor"],
        "personal_data": ["email", "ip"],
    }
    svc = app.extensions["offentlig"]
    stored = svc.storage.get(SITES.key(site.id, 2))
    assert PASSWORD.encode() not in stored
    assert b'"app_password_encrypted"' in stored
    assert svc.sites.account(site.id)[1].app_password == PASSWORD
    listed = client.get("/v1/sites", headers=admin).get_data(as_text=True)
    assert "app_password" not in listed and PASSWORD not in listed


def test_account_must_be_an_editor_or_administrator(client, site, admin, wordpress):
    wordpress.account = replace(wordpress.account, roles=("author",))

    answer = set_account(client, site.id, admin)

    assert answer.status_code == 422
    assert list(answer.get_json()["errors"]) == ["username"]


def test_wrong_application_password_is_named(client, site, admin, wordpress):
    answer = set_account(client, site.id, admin, app_password="fel lösenord")

    assert answer.status_code == 422
    assert list(answer.get_json()["errors"]) == ["app_password"]


def test_unreachable_site_is_503_and_keeps_nothing(app, client, site, admin, wordpress):
    wordpress.reachable = False

    answer = set_account(client, site.id, admin)

    assert answer.status_code == 503
    assert "unreachable" in answer.get_json()["message"]
    assert app.extensions["offentlig"].sites.account(site.id)[1] is None


def test_account_input_is_validated(client, site, admin, wordpress):
    answer = client.put(
        f"/v1/sites/{site.id}/wordpress-account",
        json={"username": "", "personal_data": ["shoe size"]},
        headers=admin,
    )

    assert answer.status_code == 422
    assert set(answer.get_json()["errors"]["json"]) == {"username", "app_password", "personal_data"}


def test_account_of_an_unknown_site_is_404(client, admin, wordpress):
    assert set_account(client, "nosuchsite", admin).status_code == 404


def test_account_survives_reindex(app, client, site, admin, account, cli):
    assert cli("reindex", "--json").exit_code == 0

    _, kept = app.extensions["offentlig"].sites.account(site.id)
    assert kept is not None and (kept.username, kept.app_password) == (USERNAME, PASSWORD)
    assert sum(t["captured"] for t in backfill(app, client, site.id, admin)["kinds"].values()) == 9


# --- backfill ------------------------------------------------------------------------------


def test_backfill_captures_every_post_page_and_comment_at_wordpress_time(
    app, client, site, admin, reader, account, wordpress
):
    report = backfill(app, client, site.id, admin)

    assert report["kinds"] == {
        "post": {"read": 3, "captured": 3, "unchanged": 0, "errors": 0},
        "page": {"read": 1, "captured": 1, "unchanged": 0, "errors": 0},
        "comment": {"read": 5, "captured": 5, "unchanged": 0, "errors": 0},
    }
    version = client.get(f"/v1/records/{site.id}.post.2/versions/1", headers=reader).get_json()
    assert version["event"]["type"] == "post.backfilled"
    assert version["provenance"] == {
        "via": "backfill",
        "key": f"{report['run_id']}.{site.id}.post.2",
    }
    assert version["occurred_at"] == "2024-03-01T10:05:00Z"  # WordPress's modified time
    held = client.get(f"/v1/records/{site.id}.comment.11", headers=reader).get_json()
    assert (held["status"], held["origin"]) == ("hold", "received")
    reply = client.get(f"/v1/records/{site.id}.comment.12/versions/1", headers=reader).get_json()
    assert reply["in_reply_to"] == f"{site.id}.comment.10"


def test_a_rerun_captures_nothing_new(app, client, site, admin, reader, account, wordpress):
    first = backfill(app, client, site.id, admin)

    again = backfill(app, client, site.id, admin, run_id=first["run_id"])
    other = backfill(app, client, site.id, admin)

    # The same run, again: what it captured is found by its key, and counted as its own.
    assert again["run_id"] == first["run_id"] and again["kinds"] == first["kinds"]
    assert other["run_id"] != first["run_id"]
    assert sum(t["captured"] for t in other["kinds"].values()) == 0
    assert sum(t["unchanged"] for t in other["kinds"].values()) == 9
    assert len(versions(client, reader, f"{site.id}.comment.10")) == 1


def test_a_later_webhook_of_the_same_content_is_200(
    app, client, site, admin, reader, account, wordpress
):
    backfill(app, client, site.id, admin)
    post = wordpress.posts_by_id[1]
    comment = wordpress.comments_by_id[11]

    updated = site.sender.send("post.updated", post.as_data())
    received = site.sender.send("comment.received", keep_personal(comment.as_data(), ("email",)))

    assert (updated.status_code, received.status_code) == (200, 200)
    assert len(versions(client, reader, f"{site.id}.post.1")) == 1


def test_what_live_capture_already_holds_is_not_captured_again(
    app, client, site, admin, reader, account, wordpress
):
    site.sender.send("post.published", wordpress.posts_by_id[3].as_data())

    report = backfill(app, client, site.id, admin)

    assert report["kinds"]["post"] == {"read": 3, "captured": 2, "unchanged": 1, "errors": 0}
    assert [v["event_type"] for v in versions(client, reader, f"{site.id}.post.3")] == [
        "post.published"
    ]


def test_backfill_keeps_only_the_personal_data_the_plugin_sends(
    app, client, site, admin, token, account, wordpress
):
    backfill(app, client, site.id, admin)

    personal = token("records:read", "records:read-personal")
    record = client.get(f"/v1/records/{site.id}.comment.10", headers=personal).get_json()
    assert record["personal_data"]["email"] == "besokare10@example.se"
    assert record["personal_data"]["ip"] is None  # the plugin does not send it by default


def test_an_object_the_webhook_schema_refuses_is_an_error_not_a_stop(
    app, client, site, admin, account, wordpress
):
    wordpress.add(remote_post(5, title="Trasig\x00titel"))

    report = backfill(app, client, site.id, admin)

    assert report["kinds"]["post"] == {"read": 4, "captured": 3, "unchanged": 0, "errors": 1}
    assert report["errors"][0]["record_id"] == f"{site.id}.post.5"


def test_backfill_without_an_account_is_409(app, client, site, admin, wordpress):
    answer = client.post(f"/v1/sites/{site.id}/backfills", json={}, headers=admin)

    assert answer.status_code == 409
    assert app.extensions["offentlig"].jobs.list(kind="backfill") == []
    assert "wordpress-account" in answer.get_json()["message"]


def test_a_broken_off_run_resumes_from_its_checkpoint(app, site, client, reader, wordpress):
    svc = app.extensions["offentlig"]
    for n in range(20, 45):
        wordpress.add(remote_post(n))
    site_ref = svc.sites.with_secret(site.id)[0]
    saved: list[dict[str, int]] = []
    wordpress.pages_left = 3  # the site goes away while the posts are read

    with pytest.raises(WordPressUnavailable):
        run_backfill(
            site_ref, wordpress, svc.recorder, "run1",
            checkpoint=saved.append, page_size=10, workers=2,
        )  # fmt: skip
    wordpress.pages_left = None
    resumed = run_backfill(
        site_ref, wordpress, svc.recorder, "run1", resume_from=saved[-1], page_size=10
    )

    assert saved[-1]["post"] in (10, 20)  # what had been captured, every earlier one too
    assert resumed.kinds["post"].read < 28  # not from the start
    assert resumed.kinds["comment"].captured == 5
    every = client.get(f"/v1/records?site={site.id}&kind=post&limit=100", headers=reader)
    assert len(every.get_json()["items"]) == 28
    assert all(len(versions(client, reader, f"{site.id}.post.{n}")) == 1 for n in (1, 20, 44))


# --- reconciliation ------------------------------------------------------------------------


def test_reconcile_finds_missing_changed_and_gone(
    app, client, site, admin, reader, account, wordpress
):
    backfill(app, client, site.id, admin)
    wordpress.posts_by_id[2] = replace(wordpress.posts_by_id[2], content="<p>Ändrad.</p>")
    wordpress.add(remote_post(7))
    del wordpress.posts_by_id[3]
    del wordpress.comments_by_id[14]

    report = reconcile(app, client, site.id, admin)

    assert report["schema"] == "offentlig.reconciliation-report/1"
    assert report["counts"] == {
        "read": 8, "unchanged": 7 - 1, "missing": 1, "changed": 1, "gone": 2, "errors": 0
    }  # fmt: skip
    assert report["missing"] == [f"{site.id}.post.7"]
    assert report["changed"] == [f"{site.id}.post.2"]
    assert sorted(report["gone"]) == [f"{site.id}.comment.14", f"{site.id}.post.3"]
    assert versions(client, reader, f"{site.id}.post.2")[-1]["event_type"] == "post.reconciled"
    gone = client.get(f"/v1/records/{site.id}.post.3", headers=reader).get_json()
    assert gone["status"] == "gone" and gone["latest_version"] == 1  # kept, not deleted
    assert [e["type"] for e in gone["events"]] == ["post.gone"]
    comment = client.get(f"/v1/records/{site.id}.comment.14", headers=reader).get_json()
    assert (comment["status"], comment["latest_version"]) == ("gone", 1)  # no empty version


def test_reconcile_twice_finds_nothing_the_second_time(
    app, client, site, admin, account, wordpress
):
    reconcile(app, client, site.id, admin)
    del wordpress.posts_by_id[1]
    reconcile(app, client, site.id, admin)

    third = reconcile(app, client, site.id, admin)

    assert third["counts"] == {
        "read": 8, "unchanged": 8, "missing": 0, "changed": 0, "gone": 0, "errors": 0
    }  # fmt: skip


def test_reconciliation_reports_are_sealed_and_listed_newest_first(
    app, client, site, admin, reader, account, wordpress
):
    first = reconcile(app, client, site.id, admin)
    second = reconcile(app, client, site.id, admin)

    listed = client.get(f"/v1/sites/{site.id}/reconciliations", headers=reader).get_json()
    latest = client.get(f"/v1/sites/{site.id}/reconciliations/latest", headers=reader)

    assert [r["id"] for r in listed["items"]] == [second["id"], first["id"]]
    assert (listed["every"], listed["next_due"]) == ("P1D", "2026-11-28T00:00:00+00:00")
    assert latest.get_json() | {"state": "succeeded"} == second
    assert second["recorded_by"]["kind"] == "token"  # who asked, not the worker
    assert first["missing"] == [
        f"{site.id}.{kind}.{n}" for kind, n in [("post", 1), ("post", 2), ("post", 3), ("page", 4)]
    ] + [f"{site.id}.comment.{n}" for n in (12, 10, 11, 14, 13)]
    stored = app.extensions["offentlig"].storage.get(
        f"sites/{site.id}/reconciliations/{second['id']}.json"
    )
    assert b'"sha256"' in stored and second["sha256"] in stored.decode()


def test_no_reconciliation_yet_is_404(client, site, reader):
    answer = client.get(f"/v1/sites/{site.id}/reconciliations/latest", headers=reader)

    assert answer.status_code == 404
    assert client.get("/v1/sites/nosuchsite/reconciliations", headers=reader).status_code == 404


# --- as jobs -------------------------------------------------------------------------------


def test_a_backfill_is_a_job_with_progress_per_kind(app, client, site, admin, reader, account):
    answer = client.post(f"/v1/sites/{site.id}/backfills", json={}, headers=admin)
    again = client.post(f"/v1/sites/{site.id}/backfills", json={}, headers=admin)
    job = answer.get_json()
    queued = client.get(answer.headers["Location"], headers=reader)

    assert (answer.status_code, again.status_code) == (202, 202)
    assert (job["kind"], job["site_id"], job["state"]) == ("backfill", site.id, "queued")
    assert again.get_json()["id"] == job["id"]  # the one already queued is the answer
    assert answer.headers["Location"].endswith(f"/v1/sites/{site.id}/backfills/{job['id']}")
    assert queued.get_json()["state"] == "queued" and queued.get_json()["report"] is None

    [done] = run_due(app, "backfill")
    shown = client.get(answer.headers["Location"], headers=reader).get_json()

    assert done.state == "succeeded"
    assert shown["progress"] == {
        "done": 9,
        "total": 9,
        "kinds": {
            "post": {"done": 3, "total": 3},
            "page": {"done": 1, "total": 1},
            "comment": {"done": 5, "total": 5},
        },
    }
    assert shown["report"]["run_id"] == job["id"]  # a new run is named after its job
    assert shown["requested_by"] == "test"


def test_a_backfill_job_that_dies_resumes_where_it_stopped(
    app, client, site, admin, reader, account, wordpress, clock
):
    for n in range(20, 45):
        wordpress.add(remote_post(n))
    monkey_page_size(app, 10)
    # Posts (28) take 4 pages of 10, overlapping by one; then the site goes away.
    wordpress.pages_left = 4
    answer = client.post(f"/v1/sites/{site.id}/backfills", json={}, headers=admin)

    [broken] = run_due(app, "backfill")
    # Enough for the page and the 8 comment listings, one page each: not for the posts again.
    wordpress.pages_left = 9
    clock.now += timedelta(seconds=31)
    [resumed] = run_due(app, "backfill")

    assert (broken.state, broken.attempts) == ("queued", 1)  # retried after a backoff
    assert broken.error is not None and "went away" in broken.error
    assert broken.checkpoint["offsets"] == {"post": -1}  # read to its end
    assert (resumed.state, resumed.attempts) == ("succeeded", 2), resumed.error
    assert wordpress.pages_left == 0
    report = client.get(answer.headers["Location"], headers=reader).get_json()["report"]
    assert report["kinds"]["post"] == {"read": 28, "captured": 28, "unchanged": 0, "errors": 0}
    assert report["kinds"]["comment"]["captured"] == 5
    assert all(len(versions(client, reader, f"{site.id}.post.{n}")) == 1 for n in (1, 20, 44))
    assert resumed.progress_done == resumed.progress_total == 34


def monkey_page_size(app, page_size: int) -> None:  # type: ignore[no-untyped-def]
    """Small pages, so a checkpoint comes after a few objects."""
    from service.backfill import runs

    for name in ("backfill", "reconcile"):
        function = getattr(runs, name)
        if function.__kwdefaults__["page_size"] != page_size:
            function.__kwdefaults__["page_size"] = page_size
            app.extensions.setdefault("restore", []).append((function, DEFAULT_PAGE_SIZE))


@pytest.fixture(autouse=True)
def _page_size_restored(app):  # type: ignore[no-untyped-def]
    yield
    for function, size in app.extensions.pop("restore", []):
        function.__kwdefaults__["page_size"] = size


def test_a_reconciliation_that_dies_resumes_and_reports_as_one_run(
    app, client, site, admin, reader, account, wordpress, clock
):
    backfill(app, client, site.id, admin)
    for n in range(20, 45):
        wordpress.add(remote_post(n))  # missing from the archive
    wordpress.posts_by_id[2] = replace(wordpress.posts_by_id[2], content="<p>Ändrad.</p>")
    del wordpress.posts_by_id[3]
    monkey_page_size(app, 10)
    wordpress.pages_left = 3  # the posts (27), then the site goes away
    answer = client.post(f"/v1/sites/{site.id}/reconciliations", headers=admin)

    [broken] = run_due(app, "reconcile")
    running = client.get(answer.headers["Location"], headers=reader).get_json()
    wordpress.pages_left = 9  # the page and comment listings; not the posts again
    clock.now += timedelta(seconds=31)
    [resumed] = run_due(app, "reconcile")
    report = client.get(answer.headers["Location"], headers=reader).get_json()

    assert broken.state == "queued" and running["state"] == "queued"
    assert running["progress"]["kinds"]["post"] == {"done": 27, "total": 27}
    assert broken.checkpoint["offsets"] == {"post": -1}
    assert resumed.state == "succeeded", resumed.error
    assert wordpress.pages_left == 0
    assert report["state"] == "succeeded" and report["id"] == broken.id
    assert report["counts"] == {
        "read": 33, "unchanged": 7, "missing": 25, "changed": 1, "gone": 1, "errors": 0
    }  # fmt: skip
    assert sorted(report["missing"]) == sorted(f"{site.id}.post.{n}" for n in range(20, 45))
    assert report["changed"] == [f"{site.id}.post.2"]
    assert report["gone"] == [f"{site.id}.post.3"]
    assert resumed.result == {
        "report_id": report["id"],
        "report_sha256": report["sha256"],
        "counts": report["counts"],
    }


def test_run_details_of_unknown_or_other_jobs_are_404(app, client, site, admin, reader, account):
    backfill_job = client.post(f"/v1/sites/{site.id}/backfills", json={}, headers=admin)
    other = app.extensions["offentlig"].jobs.enqueue("export", site_id=site.id)

    for path in (
        f"/v1/sites/{site.id}/backfills/nosuchjob",
        f"/v1/sites/{site.id}/backfills/{other.id}",
        f"/v1/sites/{site.id}/reconciliations/{backfill_job.get_json()['id']}",
        f"/v1/sites/{site.id}/reconciliations/..%2Fsite",
        f"/v1/sites/nosuchsite/backfills/{backfill_job.get_json()['id']}",
    ):
        assert client.get(path, headers=reader).status_code == 404, path


# --- the schedule --------------------------------------------------------------------------


def test_sites_with_an_account_are_reconciled_daily(app, client, site, admin, account, clock):
    svc = app.extensions["offentlig"]
    svc.sites.add("Lunds kommun", "https://lund.se", actor=TEST_ACTOR)  # no account
    now = clock()

    first = enqueue_due(svc.jobs, [RECONCILIATIONS.plan], svc, now)
    again = enqueue_due(svc.jobs, [RECONCILIATIONS.plan], svc, now + timedelta(hours=14))
    tomorrow = enqueue_due(svc.jobs, [RECONCILIATIONS.plan], svc, now + timedelta(days=1))

    assert [(j.kind, j.site_id, j.dedupe_key) for j in first] == [
        ("reconcile", site.id, f"reconcile:{site.id}:2026-11-28T00:00:00Z")
    ]
    assert [j.id for j in again] == [j.id for j in first]
    assert [j.dedupe_key for j in tomorrow] == [f"reconcile:{site.id}:2026-11-29T00:00:00Z"]
    assert RECONCILIATIONS.plan in SCHEDULES  # the worker consults it
    done, following = run_due(app, "reconcile")
    assert (done.id, done.state) == (first[0].id, "succeeded")
    assert done.result["counts"]["missing"] == 9
    assert following.result["counts"]["unchanged"] == 9
    report = ReconciliationReports(svc.storage).get(site.id, done.id)
    assert report["recorded_by"] == SERVICE.as_dict()


def test_a_reconcile_schedule_is_changed_audited_kept_and_rebuilt(
    app, client, site, admin, reader, account, cli
):
    svc = app.extensions["offentlig"]
    url = f"/v1/sites/{site.id}/reconcile-schedule"

    weekly = client.put(url, json={"every": "P1W"}, headers=admin)
    bad = client.put(url, json={"every": "daily"}, headers=admin)
    off = cli("sites", "set-reconcile-schedule", site.id, "off", "--json")
    planned_off = enqueue_due(svc.jobs, [RECONCILIATIONS.plan], svc, svc.clock())
    cli("sites", "set-reconcile-schedule", site.id, "PT12H")
    assert cli("reindex", "--json").exit_code == 0
    planned = enqueue_due(svc.jobs, [RECONCILIATIONS.plan], svc, svc.clock())
    listed = client.get(f"/v1/sites/{site.id}/reconciliations", headers=reader).get_json()

    assert weekly.status_code == 200, weekly.get_json()
    assert weekly.get_json()["every"] == "P1W"
    assert bad.status_code == 422 and "every" in bad.get_json()["errors"]
    assert off.exit_code == 0 and json.loads(off.stdout)["next_due"] is None
    assert planned_off == []
    assert [j.dedupe_key for j in planned] == [f"reconcile:{site.id}:2026-11-28T00:00:00Z"]
    assert listed["every"] == "PT12H"
    revisions = svc.sites.register.history(site.id)
    assert [r.get("reconcile_every") for r in revisions] == [None, None, "P1W", "off", "PT12H"]
    with svc.engine.connect() as conn:
        actions = conn.execute(
            select(t.audit_log.c.action).where(t.audit_log.c.subject == site.id)
        ).scalars()
        assert list(actions).count("set-reconcile-schedule") == 3


# --- the CLI -------------------------------------------------------------------------------


def test_cli_names_what_is_missing_in_one_line(cli, site):
    result = cli("backfill", site.id)

    assert result.exit_code == 1
    assert "no WordPress account" in result.output and "Traceback" not in result.output


def test_cli_enqueues_for_the_worker(app, cli, site, account, clock):
    queued = cli("reconcile", site.id, "--enqueue", "--json")
    backfill_queued = cli("backfill", site.id, "--enqueue", "--run", "older-run", "--json")

    assert queued.exit_code == 0, queued.output
    job = json.loads(queued.stdout)
    assert (job["kind"], job["state"], job["site_id"]) == ("reconcile", "queued", site.id)
    assert json.loads(backfill_queued.stdout)["params"]["run_id"] == "older-run"
    clock.now = datetime.now(UTC) + timedelta(seconds=1)  # the CLI's clock is the real one
    [done] = run_due(app, "reconcile")
    assert done.id == job["id"] and done.state == "succeeded"


def test_cli_set_account_reports_an_unreachable_site(app, app_config):
    nowhere, _ = app.extensions["offentlig"].sites.add(
        "Stängda kommunen", f"http://127.0.0.1:{free_port()}", actor=TEST_ACTOR
    )
    environment = {f"OFFENTLIG_{k}": str(v) for k, v in app_config.items() if k in CLI_SETTINGS}
    args = ["sites", "set-account", nowhere["id"], "--username", USERNAME, "--app-password-stdin"]

    result = CliRunner().invoke(main, args, input=PASSWORD + "\n", env=environment)

    assert result.exit_code == 1, result.output
    assert "unreachable" in result.output
    assert "Error:" in result.output and "Traceback" not in result.output
