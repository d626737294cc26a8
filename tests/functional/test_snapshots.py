"""Snapshots as jobs (DOMAIN rule 8): the schedule, on-demand requests, the worker, the
index, downloads, replay links and reindex, on every backend, against a website on a
loopback port."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import delete, select

from service.index import tables as t
from service.jobs.model import QUEUED, SUCCEEDED
from service.jobs.runner import Worker
from service.jobs.schedules import enqueue_due
from service.records.canonical import verify
from service.snapshots.index import snapshot_prefix
from service.snapshots.job import progress_of
from service.snapshots.schedule import plan_snapshots
from tests.factories import TEST_ACTOR
from tests.support.snapshots import small_site, stored_snapshot
from tests.support.website import Website


@pytest.fixture
def website() -> Iterator[Website]:
    with small_site() as server:
        yield server


@pytest.fixture
def web_site(app, website) -> str:  # type: ignore[no-untyped-def]
    """The loopback website, registered as a site; its id."""
    svc = app.extensions["offentlig"]
    created, _ = svc.sites.add("Testkommunen", f"{website.url}/", actor=TEST_ACTOR)
    return str(created["id"])


def worker(app) -> Worker:  # type: ignore[no-untyped-def]
    svc = app.extensions["offentlig"]
    return Worker(svc.jobs, svc, kinds=["snapshot"], schedules=())


def take(client, app, site_id: str, headers: dict[str, str]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Request a snapshot over the API and let a worker run it; the finished snapshot."""
    asked = client.post(f"/v1/sites/{site_id}/snapshots", headers=headers)
    assert asked.status_code == 202, asked.get_data(as_text=True)
    [job] = worker(app).run_due()
    assert job.state == SUCCEEDED, job.error
    answer = client.get(f"/v1/sites/{site_id}/snapshots/{job.id}", headers=headers)
    assert answer.status_code == 200
    return answer.json  # type: ignore[no-any-return]


# --- the schedule -------------------------------------------------------------------------


def test_every_site_gets_one_snapshot_job_per_half_year_by_default(app, site, clock):
    svc = app.extensions["offentlig"]
    other, _ = svc.sites.add("Lunds kommun", "https://lund.se", actor=TEST_ACTOR)
    now = datetime(2026, 11, 28, 9, tzinfo=UTC)

    first = enqueue_due(svc.jobs, [plan_snapshots], svc, now)
    again = enqueue_due(svc.jobs, [plan_snapshots], svc, now + timedelta(days=30))
    next_period = enqueue_due(svc.jobs, [plan_snapshots], svc, datetime(2027, 1, 1, tzinfo=UTC))

    assert sorted(job.site_id for job in first) == sorted([site.id, other["id"]])
    assert {job.dedupe_key for job in first} == {
        f"snapshot:{site.id}:2026-07-01T00:00:00Z",
        f"snapshot:{other['id']}:2026-07-01T00:00:00Z",
    }
    assert [job.id for job in again] == [job.id for job in first]  # the same period: no more
    assert not {job.id for job in next_period} & {job.id for job in first}
    assert len(svc.jobs.list(kind="snapshot", limit=100)) == 4


def test_a_site_schedule_is_changed_audited_and_off_means_none(app, client, site, token, cli):
    svc = app.extensions["offentlig"]
    admin = token("admin")
    url = f"/v1/sites/{site.id}/snapshot-schedule"

    monthly = client.put(url, json={"every": "P1M"}, headers=admin)
    off = cli("sites", "set-snapshot-schedule", site.id, "off", "--json")
    now = datetime(2026, 11, 28, 9, tzinfo=UTC)
    planned_off = enqueue_due(svc.jobs, [plan_snapshots], svc, now)
    client.put(url, json={"every": "P1M"}, headers=admin)
    planned = enqueue_due(svc.jobs, [plan_snapshots], svc, now)

    assert monthly.status_code == 200, monthly.get_data(as_text=True)
    assert monthly.json["every"] == "P1M"
    assert off.exit_code == 0, off.output
    assert json.loads(off.stdout)["every"] == "off"
    assert json.loads(off.stdout)["next_due"] is None
    assert planned_off == []
    assert [job.dedupe_key for job in planned] == [f"snapshot:{site.id}:2026-11-01T00:00:00Z"]
    revisions = svc.sites.register.history(site.id)
    assert [r.get("snapshot_every") for r in revisions] == [None, "P1M", "off", "P1M"]
    assert revisions[-1]["secret_encrypted"] == revisions[0]["secret_encrypted"]
    with svc.engine.connect() as conn:
        actions = conn.execute(
            select(t.audit_log.c.action).where(t.audit_log.c.subject == site.id)
        ).scalars()
        assert list(actions).count("set-snapshot-schedule") == 3
    listed = client.get(f"/v1/sites/{site.id}/snapshots", headers=token("records:read")).json
    assert listed["every"] == "P1M"
    assert listed["next_due"] is not None


@pytest.mark.parametrize("every", ["P0D", "6 months", "", "PT-1H", None, 6, "offf"])
def test_a_bad_schedule_is_a_422_naming_every(client, site, token, every):
    answer = client.put(
        f"/v1/sites/{site.id}/snapshot-schedule", json={"every": every}, headers=token("admin")
    )

    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert "every" in answer.json["errors"] or "every" in answer.json["errors"].get("json", {})


def test_a_schedule_for_an_unknown_site_is_404(client, token):
    answer = client.put(
        "/v1/sites/nosuchsite/snapshot-schedule", json={"every": "P6M"}, headers=token("admin")
    )

    assert answer.status_code == 404


# --- requesting, running, listing ---------------------------------------------------------


def test_a_requested_snapshot_is_queued_run_by_a_worker_and_listed(
    app, client, web_site, token, website
):
    plugin = token("snapshots:request", site=web_site)
    reader = token("records:read")

    asked = client.post(f"/v1/sites/{web_site}/snapshots", headers=plugin)
    again = client.post(f"/v1/sites/{web_site}/snapshots", headers=plugin)
    queued = client.get(f"/v1/sites/{web_site}/snapshots", headers=reader).json
    [job] = worker(app).run_due()
    listed = client.get(f"/v1/sites/{web_site}/snapshots", headers=reader).json

    assert asked.status_code == 202
    assert asked.json["kind"] == "snapshot" and asked.json["state"] == QUEUED
    assert asked.headers["Location"].endswith(f"/v1/sites/{web_site}/snapshots/{job.id}")
    assert again.json["id"] == asked.json["id"]  # one at a time per site
    assert [i["state"] for i in queued["items"]] == ["queued"]
    assert queued["last"] is None
    assert job.id == asked.json["id"] and job.state == SUCCEEDED
    assert job.result["snapshot_id"] == job.id
    [item] = listed["items"]
    assert item["id"] == job.id and item["state"] == "finished"
    assert listed["last"] == item
    assert item["pages"] >= 5 and item["requisites"] >= 10
    assert item["errors"] == 0 and item["refusals"] >= 3 and item["limits_hit"] == []
    assert set(item["files"]) == {"snapshot.warc.gz", "index.cdxj", "manifest.json"}
    assert listed["every"] == "P6M"
    assert website.hits["/"] == 1


def test_a_snapshot_reports_its_progress_to_its_job(app, client, web_site, token):
    """Progress reaches the database with each heartbeat (a third of the lease) and at the
    end; the API shows a running snapshot's state and progress from its job."""
    svc = app.extensions["offentlig"]
    reader = token("records:read")
    job = svc.jobs.enqueue("snapshot", site_id=web_site)
    seen: list[dict[str, Any]] = []
    reported: list[Any] = []
    runner = worker(app)

    def look(progress: Any) -> None:
        reported.append(progress)
        if len(seen) < 3:
            answer = client.get(f"/v1/sites/{web_site}/snapshots/{job.id}", headers=reader)
            seen.append(answer.json)

    runner.run(*svc.jobs.claim(runner.owner, ["snapshot"], job_id=job.id), on_progress=look)

    assert seen[0]["state"] == "running" and "progress" in seen[0]
    assert set(seen[0]["progress"]) == {
        "fetched", "pages", "requisites", "bytes", "errors", "refusals", "queued",
    }  # fmt: skip
    final = progress_of(svc.jobs.get(job.id))
    assert final["pages"] >= 5 and final["bytes"] > 0 and final["queued"] == 0
    assert final["fetched"] == reported[-1].done
    assert reported[-1].note.startswith("pages ")


def test_a_stopped_snapshot_stores_nothing_and_runs_again_from_scratch(app, web_site):
    svc = app.extensions["offentlig"]
    job = svc.jobs.enqueue("snapshot", site_id=web_site)
    stopping = worker(app)
    stopping.stop()  # the worker is shutting down: the run stops at its first check
    claimed = svc.jobs.claim(stopping.owner, ["snapshot"], job_id=job.id)

    stopped = stopping.run(*claimed)
    stored_after_stop = list(svc.storage.list(snapshot_prefix(web_site, job.id)))
    [finished] = worker(app).run_due()

    assert stopped.state == QUEUED  # given back, for any worker
    assert stored_after_stop == []
    assert finished.id == job.id and finished.state == SUCCEEDED


def test_a_crashed_attempt_is_replaced_and_a_stored_manifest_is_not_crawled_again(
    app, web_site, website
):
    svc = app.extensions["offentlig"]
    runner = worker(app)
    crashed = svc.jobs.enqueue("snapshot", site_id=web_site)
    prefix = snapshot_prefix(web_site, crashed.id)
    svc.storage.put(f"{prefix}snapshot.warc.gz", b"half a WARC", content_type="application/warc")
    recorded_late = svc.jobs.enqueue("snapshot", site_id=web_site)
    stored_snapshot(svc, web_site, f"{website.url}/", recorded_late.id)  # not yet recorded
    with svc.engine.begin() as conn:
        conn.execute(delete(t.snapshots))
    hits = website.total_hits

    late = runner.run(*svc.jobs.claim(runner.owner, ["snapshot"], job_id=recorded_late.id))
    hits_after_late = website.total_hits
    redone = runner.run(*svc.jobs.claim(runner.owner, ["snapshot"], job_id=crashed.id))

    assert late.state == SUCCEEDED and late.result["snapshot_id"] == recorded_late.id
    assert hits_after_late == hits  # shown from its manifest, not crawled again
    assert redone.state == SUCCEEDED
    assert website.total_hits > hits_after_late
    manifest = verify(svc.storage.get(f"{prefix}manifest.json"))
    warc = svc.storage.get(f"{prefix}snapshot.warc.gz")
    assert hashlib.sha256(warc).hexdigest() == manifest["files"][0]["sha256"]
    assert {row.id for row in svc.snapshots.index.of_site(web_site)} == {
        crashed.id, recorded_late.id,
    }  # fmt: skip


# --- downloads ----------------------------------------------------------------------------


def test_downloads_are_the_stored_bytes_with_their_sha256(app, client, web_site, token):
    svc = app.extensions["offentlig"]
    reader = token("records:read")
    snapshot = take(client, app, web_site, token("admin", "records:read"))
    manifest_key = f"{snapshot_prefix(web_site, snapshot['id'])}manifest.json"
    manifest = verify(svc.storage.get(manifest_key))
    hashes = {f["key"].rsplit("/", 1)[1]: f["sha256"] for f in manifest["files"]}

    for name, content_type in (
        ("snapshot.warc.gz", "application/warc"),
        ("index.cdxj", "text/plain; charset=utf-8"),
        ("manifest.json", "application/json"),
    ):
        url = snapshot["files"][name]["url"]
        answer = client.get(url, headers=reader)
        data = answer.get_data()
        answer.close()  # what a WSGI server does: the storage stream is closed
        stored = svc.storage.get(f"{snapshot_prefix(web_site, snapshot['id'])}{name}")
        sha256 = hashlib.sha256(data).hexdigest()

        assert answer.status_code == 200, name
        assert data == stored, name
        assert answer.headers["Content-Type"] == content_type
        assert int(answer.headers["Content-Length"]) == len(data)
        assert answer.headers["ETag"] == f'"{sha256}"'
        assert answer.headers["X-Offentlig-SHA256"] == sha256
        assert f'filename="{snapshot["id"]}-{name}"' in answer.headers["Content-Disposition"]
        assert answer.headers["Content-Disposition"].startswith("attachment")
        if name in hashes:
            assert sha256 == hashes[name] == snapshot["files"][name]["sha256"]
        again = client.get(url, headers={**reader, "If-None-Match": f'"{sha256}"'})
        assert again.status_code == 304 and again.get_data() == b""
    svc.audit.flush()  # reads are audited in batches
    with svc.engine.connect() as conn:
        reads = conn.execute(
            select(t.audit_log.c.action).where(t.audit_log.c.subject == snapshot["id"])
        ).scalars()
        assert list(reads).count("read-snapshot") == 6


def test_a_snapshot_of_another_site_or_unknown_is_404(client, app, web_site, site, token):
    snapshot = take(client, app, web_site, token("admin", "records:read"))
    limited = token("records:read", site=site.id)

    assert client.get(snapshot["files"]["index.cdxj"]["url"], headers=limited).status_code == 404
    url = f"/v1/sites/{web_site}/snapshots/nosuch/manifest.json"
    assert client.get(url, headers=token("records:read")).status_code == 404
    unknown = client.get("/v1/sites/nosuch/snapshots", headers=token("records:read"))
    assert unknown.status_code == 404


# --- replay -------------------------------------------------------------------------------


def replay_link(client, site_id: str, snapshot_id: str, headers: dict[str, str]) -> str:  # type: ignore[no-untyped-def]
    answer = client.post(
        f"/v1/sites/{site_id}/snapshots/{snapshot_id}/replay-sessions", headers=headers
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return urlsplit(answer.json["url"]).path


def test_replay_serves_pages_and_requisites_from_the_archive(app, client, web_site, token, website):
    snapshot = take(client, app, web_site, token("admin", "records:read"))
    start = replay_link(client, web_site, snapshot["id"], token("records:read"))
    website.__exit__(None, None, None)  # the live site is gone: replay needs only the WARC
    hits = website.total_hits

    page = client.get(start)
    text = page.get_data(as_text=True)
    post = client.get(f"{start}2026/12/hej-varlden/")
    css = client.get(f"{start}style.css?ver=6.1")
    image = client.get(f"{start}img/a.png")
    moved = client.get(f"{start}moved")
    missing = client.get(f"{start}never-archived/")

    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert 'id="offentlig-replay-banner"' in text and "Testkommunen" in text
    assert f'href="{start}style.css?ver=6.1"' in text
    assert f'src="{start}img/a.png"' in text
    assert f"{start}img/a-300.png 300w, {start}img/a-600.png 600w" in text
    assert f"url('{start}img/inline-bg.png')" in text
    assert f'href="{start}2026/12/hej-varlden/"' in text
    assert f'="{website.url}' not in text  # no attribute points at the live site
    assert "Hej världen" in post.get_data(as_text=True)
    assert css.headers["Content-Type"] == "text/css; charset=utf-8"
    assert f"url({start}fonts/x.woff2)" in css.get_data(as_text=True)
    assert f'@import "{start}print.css"' in css.get_data(as_text=True)
    assert image.status_code == 200 and image.get_data() == b"\x89PNG/img/a.png"
    assert image.headers["Content-Type"] == "image/png"
    assert moved.status_code == 301 and moved.headers["Location"] == f"{start}page/2/"
    assert missing.status_code == 404
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Memento-Datetime"].endswith("GMT")
    assert website.total_hits == hits


def test_replay_links_expire_and_answer_for_their_snapshot_only(
    app, client, web_site, site, token, clock
):
    snapshot = take(client, app, web_site, token("admin", "records:read"))
    start = replay_link(client, web_site, snapshot["id"], token("records:read"))
    link = start.split("/")[2]
    forged = start.replace(link, link.replace(".", ".x", 1))
    other_site = client.post(
        f"/v1/sites/{web_site}/snapshots/{snapshot['id']}/replay-sessions",
        headers=token("records:read", site=site.id),
    )
    unfinished = client.post(
        f"/v1/sites/{web_site}/snapshots/nosuch/replay-sessions", headers=token("records:read")
    )

    fresh = client.get(start)
    clock.now += timedelta(seconds=app.config["SNAPSHOT_REPLAY_SECONDS"] + 1)
    expired = client.get(start)

    assert fresh.status_code == 200
    assert client.get(forged).status_code == 403
    assert expired.status_code == 403 and "expired" in expired.get_data(as_text=True)
    assert other_site.status_code == 404
    assert unfinished.status_code == 404


def test_snapshot_commands_run_and_list(cli, app, web_site):
    ran = cli("snapshot", "run", web_site, "--json")
    listed = cli("snapshot", "list", web_site, "--json")
    table = cli("snapshot", "list", web_site)
    unknown = cli("snapshot", "run", "nosuchsite")

    assert ran.exit_code == 0, ran.output
    result = json.loads(ran.stdout)
    assert result["pages"] >= 5 and result["limits_hit"] == []
    [item] = json.loads(listed.stdout)["items"]
    assert item["id"] == result["snapshot_id"] and item["state"] == "finished"
    assert result["snapshot_id"][:20] in table.stdout  # narrow terminals wrap the id
    assert unknown.exit_code != 0 and "nosuchsite" in unknown.output
    assert "Traceback" not in unknown.output
