"""Migration 0005 keeps the audit rows written before the audit trail moved to storage."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy import text

from service.index.db import make_engine, migrate
from tests.conftest import postgres_server_url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database without any table (the `postgres_url` fixture's is migrated already)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'index.sqlite3'}"
        return
    server = sqlalchemy.make_url(postgres_server_url())
    admin = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"offentlig_m_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def test_old_audit_rows_are_copied_with_generated_ids(empty_database: str) -> None:
    engine = make_engine(empty_database)
    migrate(engine, "0008")
    at = datetime(2026, 11, 28, 9, 0, 0, 123000, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO api_tokens (id, name, token_sha256, scopes, created_at, revision) "
                "VALUES ('tok1', 'diarium', :sha, 'records:read-personal', :at, 1)"
            ),
            {"sha": "0" * 64, "at": at},
        )
        for n, token in ((1, "tok1"), (2, None)):
            conn.execute(
                text(
                    "INSERT INTO audit_log (at, token_id, action, subject, request_id) "
                    "VALUES (:at, :token, 'read-personal-data', :subject, :rid)"
                ),
                {"at": at, "token": token, "subject": f"s.comment.{n}", "rid": f"r{n}"},
            )

    migrate(engine)

    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, action, subject, actor_kind, actor_name, actor_id, address, "
                "details, request_id, batch_key FROM audit_log ORDER BY subject"
            )
        ).all()
    engine.dispose()
    assert [tuple(row[1:]) for row in rows] == [
        ("read-personal-data", "s.comment.1", "token", "diarium", "tok1", None, None, "r1", None),
        ("read-personal-data", "s.comment.2", "token", "unknown", None, None, None, "r2", None),
    ]
    assert len({row.id for row in rows}) == 2
    # A ULID made from the row's time: the first ten characters are the milliseconds.
    assert all(row.id[:10] == "01m8gp3zqv" for row in rows), [row.id for row in rows]
