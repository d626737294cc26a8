"""The fault campaign at CI size (`make soak` runs it at full size): real gunicorn, real
SeaweedFS, a private PostgreSQL that is stopped and started, kill -9 under load."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.soak.audit import Row
from bench.soak.scenarios import Size, World, chaos, crashes, database_down, storage_down
from tests.support.postgres import start_private_postgres
from tests.support.seaweedfs import start_seaweedfs

CI = Size(events=200, kills=5, chaos_deliveries=1000, outage_seconds=3)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    workdir = Path(tempfile.mkdtemp(prefix="offentlig-faults-"))
    postgres = start_private_postgres()
    s3 = start_seaweedfs(workdir / "seaweedfs")
    yield World(workdir, s3, postgres)
    s3.stop()
    postgres.remove()
    shutil.rmtree(workdir, ignore_errors=True)


def nothing_lost(row: Row) -> None:
    assert row.acknowledged == row.sent, row.as_dict()
    assert (row.in_storage, row.in_api, row.in_feed) == (row.sent,) * 3, row.as_dict()
    assert (row.duplicates, row.broken_chains, row.corrupt_objects) == (0, 0, 0), row.as_dict()
    assert row.answers_500 == 0 and row.answers_503_without_retry_after == 0, row.as_dict()
    assert row.reindex_same, row.as_dict()


def test_storage_down_under_load_is_503_with_retry_after_and_nothing_lost(world):
    row = storage_down(world, CI)

    nothing_lost(row)
    assert row.notes["answers"].get(503, 0) + row.notes["answers"].get(0, 0) > 0  # it was down


def test_database_down_under_load_keeps_every_webhook_and_the_index_repairs_itself(world):
    row = database_down(world, CI)

    nothing_lost(row)
    assert row.notes["reads"].get(503, 0) > 0  # searches said so while it was down
    assert row.notes["answers"].get(500, 0) == 0


def test_kill_9_of_workers_and_of_the_service_loses_no_acknowledged_event(world):
    row = crashes(world, CI)

    nothing_lost(row)
    assert row.notes["kills"]["workers"] + row.notes["kills"]["service"] >= 3


def test_chaos_delivery_keeps_one_version_per_content_in_wordpress_order(world):
    row = chaos(world, CI)

    nothing_lost(row)
    assert row.notes["order_mismatches"] == 0
