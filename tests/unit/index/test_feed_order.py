"""PostgreSQL: a capture's one-statement index write takes the feed lock after its row locks,
and its feed entry gets its position while it holds the lock (so in commit order)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from service.index import tables as t
from service.index.db import make_engine
from service.index.rules import FEED_LOCK
from service.index.writer import RecordIndex

WAIT = 0.5  # long enough for a statement that is not blocked to finish


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


def version(n: int, record: str = "s1.post.1") -> dict[str, Any]:
    moment = f"2026-11-28T09:00:0{n}+00:00"
    return {
        "record_id": record,
        "site": {"id": "s1", "name": "Kommunen", "url": "https://www.example.se"},
        "kind": "post",
        "source_id": 1,
        "version": n,
        "origin": "drawn_up",
        "event": {"id": f"msg_{n}", "type": "post.updated" if n > 1 else "post.published"},
        "occurred_at": moment,
        "captured_at": moment,
        "published_at": moment,
        "status": "publish",
        "title": f"Rubrik {n}",
        "content": f"<p>Text {n}</p>",
        "author": {"name": "Anna Andersson"},
        "parent": None,
        "permalink": "https://www.example.se/1/",
        "personal_data": None,
        "sha256": f"{n:064x}",
        "content_sha256": f"{n + 100:064x}",
    }


def key(n: int) -> str:
    return f"sites/s1/posts/1/versions/{n:010d}.json"


def in_background(work: Any) -> threading.Thread:
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def test_a_capture_waits_for_the_feed_lock_and_is_positioned_after_its_holder(engine):
    index = RecordIndex(engine)
    with engine.connect() as holder:
        holder.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": FEED_LOCK})
        capture = in_background(lambda: index.add_version(version(1), key(1)))
        time.sleep(WAIT)
        assert capture.is_alive(), "the capture did not wait for the feed lock"
        holder.execute(
            t.changes.insert().values(
                site_id="s1",
                record_id="s1.post.0",
                change="version",
                version=1,
                event_type="post.published",
                captured_at=datetime(2026, 11, 28, 8, 59, tzinfo=UTC),
            )
        )
        holder.commit()
    capture.join(timeout=10)

    assert not capture.is_alive()
    with engine.connect() as conn:
        order = conn.execute(select(t.changes.c.record_id).order_by(t.changes.c.seq)).scalars()
        assert list(order) == ["s1.post.0", "s1.post.1"]


def test_a_capture_takes_its_row_locks_before_the_feed_lock(engine):
    """Waiting for a record's row while holding the feed lock would deadlock captures."""
    index = RecordIndex(engine)
    index.add_version(version(1), key(1))
    with engine.connect() as row_holder:
        row_holder.execute(t.records.update().values(title="låst").where(t.records.c.id != ""))
        capture = in_background(lambda: index.add_version(version(2), key(2)))
        time.sleep(WAIT)
        assert capture.is_alive(), "the capture did not wait for the record's row"
        with engine.connect() as other:
            free = other.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": FEED_LOCK})
            assert free.scalar_one() is True, "the capture held the feed lock while waiting"
            other.rollback()
        row_holder.rollback()
    capture.join(timeout=10)

    assert not capture.is_alive()
    with engine.connect() as conn:
        assert conn.execute(select(t.records.c.latest_version)).scalar_one() == 2
        assert conn.execute(select(t.changes.c.version).order_by(t.changes.c.seq)).all() == [
            (1,),
            (2,),
        ]
