"""Jobs in one process: the queue, the worker's outcomes, schedules, the API and the CLI.
(Several worker processes, crashes and signals: test_job_workers.py.)"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import update

from service.index import tables as t
from service.index.db import writing
from service.jobs.queue import JobQueue
from service.jobs.runner import Worker, run_now
from service.jobs.schedules import enqueue_due, periodic
from service.services import new_id, utc_now
from tests.conftest import CLI_SETTINGS
from tests.factories import TEST_ACTOR
from tests.functional.test_concurrency import together
from tests.support.job_kinds import steps


def wait_until(condition: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"not within {timeout} s")


@pytest.fixture
def svc(app):  # type: ignore[no-untyped-def]
    return app.extensions["offentlig"]


@pytest.fixture
def live_queue(svc) -> JobQueue:  # type: ignore[no-untyped-def]
    """The app's queue on the real clock with a one-second lease: for runs that take time."""
    return JobQueue(svc.engine, utc_now, new_id, lease_seconds=1)


def in_background(worker: Worker, queue: JobQueue, kind: str) -> threading.Thread:
    claimed = queue.claim(worker.owner, [kind])
    assert claimed is not None
    thread = threading.Thread(target=worker.run, args=claimed, daemon=True)
    thread.start()
    return thread


# --- the worker's outcomes ------------------------------------------------------------------


def test_a_job_runs_to_its_result_with_progress_and_checkpoint(svc):
    job = svc.jobs.enqueue("count", params={"n": 3}, actor=TEST_ACTOR)

    [done] = Worker(svc.jobs, svc, kinds=["count"]).run_due()

    assert done.id == job.id
    assert (done.state, done.attempts, done.result) == ("succeeded", 1, {"counted": 3})
    assert (done.progress_done, done.progress_total, done.progress_note) == (3, 3, "step 3")
    assert done.checkpoint == 3
    assert done.lease_owner is None and done.error is None
    assert done.created_by == "test"
    assert done.created_at <= done.started_at <= done.finished_at


def test_a_job_that_keeps_failing_ends_failed_with_its_error(svc, clock):
    job = svc.jobs.enqueue("broken", max_attempts=3)
    worker = Worker(svc.jobs, svc, kinds=["broken"])

    [first] = worker.run_due()
    not_yet = worker.run_due()
    clock.now += timedelta(seconds=31)
    second_try = clock.now
    [second] = worker.run_due()
    clock.now += timedelta(seconds=61)
    [third] = worker.run_due()
    clock.now += timedelta(days=1)
    after = worker.run_due()

    assert (first.state, first.attempts, first.finished_at) == ("queued", 1, None)
    assert first.error == "RuntimeError: the disk is full"
    # The backoff doubles: 30 s after the first failure, 60 s after the second.
    assert timedelta(seconds=30) < first.not_before - first.started_at < timedelta(seconds=31)
    assert not_yet == []
    assert (second.state, second.attempts) == ("queued", 2)
    assert timedelta(seconds=60) < second.not_before - second_try < timedelta(seconds=61)
    assert (third.state, third.attempts) == ("failed", 3)
    assert third.error == "RuntimeError: the disk is full"
    assert third.finished_at is not None and third.lease_owner is None
    assert after == []
    assert svc.jobs.get(job.id).state == "failed"


def test_lost_lease_stops_the_handler(svc, live_queue, tmp_path):
    log = tmp_path / "steps"
    job = live_queue.enqueue("count", params={"n": 500, "delay": 0.02, "log": str(log)})
    thread = in_background(Worker(live_queue, svc), live_queue, "count")
    wait_until(lambda: len(steps(log)) >= 5)

    # Another worker takes the job, as it would have once the lease ran out.
    with writing(svc.engine) as conn:
        conn.execute(
            update(t.jobs)
            .where(t.jobs.c.id == job.id)
            .values(lease_owner="elsewhere:1:x", attempts=t.jobs.c.attempts + 1)
        )
    taken_at = len(steps(log))
    thread.join(timeout=30)

    assert not thread.is_alive()
    after = live_queue.get(job.id)
    assert len(steps(log)) <= taken_at + 1  # at most the step under way
    assert (after.state, after.lease_owner, after.attempts) == ("running", "elsewhere:1:x", 2)
    assert after.checkpoint <= taken_at  # the old run saved nothing after losing it


def test_cancel(svc, live_queue, tmp_path, client, token):
    admin = token("admin")
    log = tmp_path / "steps"
    waiting = live_queue.enqueue("count", params={"n": 1})
    running = live_queue.enqueue("count", params={"n": 500, "delay": 0.02, "log": str(log)})
    cancelled = client.post(f"/v1/jobs/{waiting.id}/cancel", headers=admin)
    thread = in_background(Worker(live_queue, svc), live_queue, "count")
    wait_until(lambda: len(steps(log)) >= 3)

    stopped = client.post(f"/v1/jobs/{running.id}/cancel", headers=admin)
    thread.join(timeout=30)
    again = client.post(f"/v1/jobs/{running.id}/cancel", headers=admin)
    missing = client.post("/v1/jobs/nosuchjob/cancel", headers=admin)
    nothing_due = Worker(live_queue, svc).run_due()

    assert cancelled.status_code == 200, cancelled.json
    assert (cancelled.json["state"], cancelled.json["finished_at"] is not None) == (
        "cancelled",
        True,
    )
    assert stopped.status_code == 200 and stopped.json["state"] == "cancelled"
    assert not thread.is_alive()
    assert len(steps(log)) < 500
    final = live_queue.get(running.id)
    assert (final.state, final.lease_owner, final.result) == ("cancelled", None, None)
    assert again.status_code == 409
    assert "cancelled" in again.json["message"]
    assert missing.status_code == 404
    assert nothing_due == []
    assert live_queue.get(waiting.id).state == "cancelled"


def test_a_handler_may_only_return_json(svc):
    from service.jobs.handlers import HANDLERS

    handlers = {**HANDLERS, "odd": lambda ctx: {"when": datetime.now(UTC)}}
    svc.jobs.enqueue("odd", max_attempts=1)

    [done] = Worker(svc.jobs, svc, handlers=handlers, kinds=["odd"]).run_due()

    assert done.state == "failed"
    assert done.error.startswith("TypeError")


def test_a_worker_takes_only_the_kinds_it_has_handlers_for(svc):
    unknown = svc.jobs.enqueue("export")
    count = svc.jobs.enqueue("count", params={"n": 1})
    broken = svc.jobs.enqueue("broken")

    done = Worker(svc.jobs, svc, kinds=["count"]).run_due()

    assert [j.id for j in done] == [count.id]
    assert svc.jobs.get(unknown.id).state == "queued"
    assert svc.jobs.get(broken.id).state == "queued"


def test_a_run_whose_lease_expired_on_its_last_attempt_is_failed_not_retried(svc, clock):
    job = svc.jobs.enqueue("count", params={"n": 1}, max_attempts=1)
    assert svc.jobs.claim("dead:1:x", ["count"]) is not None  # and its worker dies
    clock.now += timedelta(minutes=5)

    nothing = Worker(svc.jobs, svc, kinds=["count"]).run_due()

    assert nothing == []
    after = svc.jobs.get(job.id)
    assert (after.state, after.attempts) == ("failed", 1)
    assert "lease" in after.error


# --- schedules --------------------------------------------------------------------------------


def test_schedule_enqueues_once_per_period(svc, site, clock):
    schedule = periodic("count", "P6M", lambda _svc: [site.id], params={"n": 1})
    worker = Worker(svc.jobs, svc, kinds=["count"], schedules=[schedule])

    [first] = worker.run_due()
    again = worker.run_due()
    together(lambda i: enqueue_due(svc.jobs, [schedule], svc, clock()), n=4)  # many instances
    clock.now = datetime(2027, 1, 1, 0, 0, 1, tzinfo=UTC)
    [next_period] = worker.run_due()
    later = worker.run_due()

    assert first.state == "succeeded" and first.site_id == site.id
    assert first.created_by == "offentlig"
    assert again == [] and later == []
    assert [j.dedupe_key for j in svc.jobs.list(kind="count")] == [
        f"count:{site.id}:2027-01-01T00:00:00Z",
        f"count:{site.id}:2026-07-01T00:00:00Z",
    ]
    assert next_period.id != first.id


def test_one_failing_schedule_does_not_stop_the_others(svc, clock):
    def broken(_svc, _now):  # type: ignore[no-untyped-def]
        raise RuntimeError("no sites table")

    working = periodic("count", "P1D", lambda _svc: [None], params={"n": 1})

    planned = enqueue_due(svc.jobs, [broken, working], svc, clock())

    assert [j.dedupe_key for j in planned] == ["count:-:2026-11-28T00:00:00Z"]


# --- the API ----------------------------------------------------------------------------------


def test_jobs_are_listed_newest_first_filtered_and_paged(svc, site, client, token):
    admin = token("admin")
    made = [
        svc.jobs.enqueue(kind, site_id=site_id, params={"n": 1})
        for kind, site_id in [("count", site.id), ("broken", None), ("count", None)] * 3
    ]
    svc.jobs.cancel(made[0].id)

    pages, cursor = [], None
    for _ in range(10):
        answer = client.get(
            "/v1/jobs", query_string={"limit": 4, **({"cursor": cursor} if cursor else {})},
            headers=admin,
        )  # fmt: skip
        assert answer.status_code == 200, answer.json
        pages.append([j["id"] for j in answer.json["items"]])
        cursor = answer.json["next_cursor"]
        if cursor is None:
            break
    by_kind = client.get("/v1/jobs?kind=broken", headers=admin).json["items"]
    by_site = client.get(f"/v1/jobs?site={site.id}", headers=admin).json["items"]
    by_state = client.get("/v1/jobs?state=cancelled", headers=admin).json["items"]
    bad = client.get("/v1/jobs?state=sleeping&limit=0", headers=admin)

    assert [len(p) for p in pages] == [4, 4, 1]
    assert [i for p in pages for i in p] == sorted((j.id for j in made), reverse=True)
    assert len(by_kind) == 3 and {j["kind"] for j in by_kind} == {"broken"}
    assert len(by_site) == 3 and {j["site_id"] for j in by_site} == {site.id}
    assert [j["id"] for j in by_state] == [made[0].id]
    assert bad.status_code == 422
    assert set(bad.json["errors"]["query"]) == {"state", "limit"}


def test_a_job_is_shown_with_its_progress(svc, client, token):
    job = svc.jobs.enqueue("count", params={"n": 4}, actor=TEST_ACTOR)
    Worker(svc.jobs, svc, kinds=["count"]).run_due()

    shown = client.get(f"/v1/jobs/{job.id}", headers=token("admin"))

    assert shown.status_code == 200
    assert {k: shown.json[k] for k in ("state", "progress_done", "progress_total", "result")} == {
        "state": "succeeded",
        "progress_done": 4,
        "progress_total": 4,
        "result": {"counted": 4},
    }
    assert shown.json["params"] == {"n": 4}
    assert shown.json["created_by"] == "test"
    assert shown.json["finished_at"].endswith("Z") or shown.json["finished_at"].endswith("+00:00")


def test_a_site_limited_admin_sees_only_its_sites_jobs(svc, site, client, token):
    own = svc.jobs.enqueue("count", site_id=site.id)
    authority = svc.jobs.enqueue("count")
    limited = token("admin", site=site.id)

    listed = client.get("/v1/jobs", headers=limited).json["items"]
    hidden = client.get(f"/v1/jobs/{authority.id}", headers=limited)
    not_cancelled = client.post(f"/v1/jobs/{authority.id}/cancel", headers=limited)

    assert [j["id"] for j in listed] == [own.id]
    assert client.get(f"/v1/jobs/{own.id}", headers=limited).status_code == 200
    assert hidden.status_code == 404 and not_cancelled.status_code == 404
    assert svc.jobs.get(authority.id).state == "queued"


# --- the CLI ----------------------------------------------------------------------------------


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_worker_once_runs_what_is_due_and_exits(live_queue, cli):
    due = [live_queue.enqueue("count", params={"n": 2}) for _ in range(2)]
    later = live_queue.enqueue("count", not_before=utc_now() + timedelta(hours=1))

    ran = ok(cli("worker", "--once", "--kind", "count", "--json"))
    listed = ok(cli("jobs", "list", "--state", "succeeded", "--json"))
    shown = ok(cli("jobs", "show", due[0].id, "--json"))
    cancelled = ok(cli("jobs", "cancel", later.id, "--json"))
    twice = cli("jobs", "cancel", later.id)
    text = cli("jobs", "list")

    assert sorted(j["id"] for j in ran) == sorted(j.id for j in due)
    assert {j["state"] for j in ran} == {"succeeded"}
    assert sorted(j["id"] for j in listed) == sorted(j.id for j in due)
    assert (shown["result"], shown["progress"]) == ({"counted": 2}, "2/2")
    assert cancelled["state"] == "cancelled"
    assert twice.exit_code != 0 and "Traceback" not in twice.output
    assert "cancelled" in twice.output
    assert text.exit_code == 0 and "cancelled" in text.stdout


def test_worker_refuses_a_kind_it_cannot_run(cli):
    refused = cli("worker", "--once", "--kind", "sculpture")

    assert refused.exit_code != 0
    assert "sculpture" in refused.output and "Traceback" not in refused.output


def test_show_of_an_unknown_job_is_one_line(cli):
    answer = cli("jobs", "show", "nosuchjob")

    assert answer.exit_code != 0
    assert "No job" in answer.output and "Traceback" not in answer.output


@click.command()
@click.argument("kind")
@click.option("--json", "as_json", is_flag=True)
def count_now(kind: str, as_json: bool) -> None:
    """What `offentlig snapshot run SITE` does, for the test kinds."""
    from service.cli import opened
    from service.commands.jobs import run_in_foreground

    with opened() as svc:
        job = run_in_foreground(svc, kind, description="Counting", as_json=as_json, params={"n": 3})
    click.echo(json.dumps({"id": job.id, "state": job.state, "result": job.result}))


def test_a_command_runs_one_job_in_the_foreground(app_config, live_queue):
    environment = {f"OFFENTLIG_{k}": str(app_config[k]) for k in CLI_SETTINGS if k in app_config}
    runner = CliRunner()

    counted = runner.invoke(count_now, ["count", "--json"], env=environment)
    failed = runner.invoke(count_now, ["broken"], env=environment)

    assert counted.exit_code == 0, counted.output
    shown = json.loads(counted.stdout)
    assert (shown["state"], shown["result"]) == ("succeeded", {"counted": 3})
    assert live_queue.get(shown["id"]).created_by
    assert failed.exit_code == 1 and "the disk is full" in failed.output
    assert "Traceback" not in failed.output
    [broken] = live_queue.list(kind="broken")
    assert (broken.state, broken.attempts) == ("failed", 1)  # run once, not retried later


def test_run_now_refuses_a_kind_without_handler(svc):
    from service.errors import InvalidInput

    with pytest.raises(InvalidInput):
        run_now(svc, "sculpture", actor=TEST_ACTOR)
    assert svc.jobs.list() == []


def test_reindex_leaves_jobs_alone(svc, cli):
    job = svc.jobs.enqueue("count", params={"n": 1})

    assert cli("reindex", "--json").exit_code == 0

    assert svc.jobs.get(job.id).state == "queued"


def test_dedupe_key_returns_the_job_that_took_it(svc):
    first = svc.jobs.enqueue("count", dedupe_key="count:-:p1", params={"n": 1})
    second = svc.jobs.enqueue("count", dedupe_key="count:-:p1", params={"n": 2})

    assert second == first
    assert len(svc.jobs.list()) == 1
