"""Worker processes on one database: never one job twice, a killed run resumed from its
checkpoint by another worker once its lease ran out, SIGTERM giving the job back."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.jobs.queue import JobQueue
from service.services import new_id, utc_now
from tests.conftest import CLI_SETTINGS
from tests.functional.test_jobs import wait_until
from tests.support.job_kinds import steps
from tests.support.processes import stop_group

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 1


@pytest.fixture
def queue(app) -> JobQueue:  # type: ignore[no-untyped-def]
    svc = app.extensions["offentlig"]
    return JobQueue(svc.engine, utc_now, new_id, lease_seconds=LEASE_SECONDS)


@pytest.fixture
def workers(app_config: dict[str, Any], tmp_path: Path) -> Iterator[Any]:
    """workers(*args) starts `offentlig worker *args` with the test kinds in a process of its
    own, on the app's storage and database, with a one-second lease."""
    started: list[subprocess.Popen[bytes]] = []
    environment = {
        **os.environ,
        **{f"OFFENTLIG_{k}": str(app_config[k]) for k in CLI_SETTINGS if k in app_config},
        "OFFENTLIG_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "OFFENTLIG_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }

    def start(*args: str) -> subprocess.Popen[bytes]:
        output = tmp_path / f"worker-{len(started)}.out"
        with output.open("wb") as sink:  # the child keeps its own descriptor
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.support.job_kinds", "worker", *args],
                cwd=ROOT,
                env=environment,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process.output = output  # type: ignore[attr-defined]
        started.append(process)
        return process

    yield start
    for process in started:
        stop_group(process, grace=10)


def running(process: subprocess.Popen[bytes]) -> bool:
    """The worker has started polling (it says so once it has opened the database)."""
    assert process.poll() is None, process.output.read_text()  # type: ignore[attr-defined]
    return "running" in process.output.read_text()  # type: ignore[attr-defined]


def stop(process: subprocess.Popen[bytes]) -> int:
    os.killpg(process.pid, signal.SIGTERM)
    return process.wait(timeout=30)


def test_two_workers_never_run_one_job_twice(queue, workers, tmp_path):
    log = tmp_path / "steps"
    first, second = workers("--poll", "0.1"), workers("--poll", "0.1")
    wait_until(lambda: running(first) and running(second), timeout=60)

    made = [
        queue.enqueue("count", params={"n": 1, "delay": 0.05, "log": str(log)}) for _ in range(40)
    ]
    wait_until(lambda: all(queue.get(j.id).state == "succeeded" for j in made), timeout=120)
    codes = stop(first), stop(second)

    ran = collections.Counter(job for job, _, _ in steps(log))
    assert ran == {j.id: 1 for j in made}
    assert {queue.get(j.id).attempts for j in made} == {1}
    assert len({owner for _, _, owner in steps(log)}) == 2  # both took part
    assert codes == (0, 0)


def test_a_crashed_run_is_resumed_from_its_checkpoint(queue, workers, tmp_path):
    log = tmp_path / "steps"
    job = queue.enqueue("count", params={"n": 60, "delay": 0.05, "log": str(log)})
    doomed = workers("--poll", "0.1")
    wait_until(lambda: (queue.get(job.id).checkpoint or 0) >= 5, timeout=60)

    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=30)
    left = queue.get(job.id)
    # Nobody takes the job while its lease lasts; once it has run out, another worker does.
    assert (left.state, left.attempts) == ("running", 1)
    wait_until(lambda: utc_now() > left.lease_expires_at, timeout=LEASE_SECONDS + 5)
    rescuer = workers("--once")
    assert rescuer.wait(timeout=120) == 0, rescuer.output.read_text()  # type: ignore[attr-defined]

    done = queue.get(job.id)
    assert (done.state, done.attempts, done.result) == ("succeeded", 2, {"counted": 60})
    by_owner: dict[str, list[int]] = collections.defaultdict(list)
    for _, step, owner in steps(log):
        by_owner[owner].append(step)
    [first_run, second_run] = by_owner.values()
    assert first_run == list(range(1, len(first_run) + 1))
    # The second run starts right after the last checkpoint, not from the beginning.
    assert second_run == list(range(left.checkpoint + 1, 61))
    assert len(first_run) - left.checkpoint <= 1  # at most the step that had no checkpoint yet


def test_sigterm_gives_the_job_back_at_its_checkpoint(queue, workers, tmp_path):
    log = tmp_path / "steps"
    job = queue.enqueue("count", params={"n": 500, "delay": 0.05, "log": str(log)})
    worker = workers("--poll", "0.1")
    wait_until(lambda: (queue.get(job.id).checkpoint or 0) >= 3, timeout=60)

    started = time.monotonic()
    code = stop(worker)

    assert code == 0, worker.output.read_text()  # type: ignore[attr-defined]
    assert time.monotonic() - started < 5  # the current step, not the whole job
    back = queue.get(job.id)
    assert (back.state, back.attempts, back.lease_owner) == ("queued", 0, None)
    assert back.checkpoint == len(steps(log)) < 500
