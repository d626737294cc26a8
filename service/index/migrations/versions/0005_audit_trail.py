"""The audit trail in storage: `audit_log` becomes the projection of the audit batches under
`authority/audit/` (one row per entry, ULID ids, who with kind, name, id and address, the
details as JSON, the batch's key), which `offentlig reindex` rebuilds.

The rows of the old table are copied across with generated ULIDs (from their time), actor
`token` named after their token, and no `batch_key`: they were never written to storage, so
they exist in the database only and a `reindex` does not bring them back.

Revision ID: 0005
Revises: 0009 (after 0004 on the branch; relinked when main gained 0008)
Create Date: 2026-12-02
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from ulid import ULID

revision = "0005"
down_revision = "0009"
branch_labels = None
depends_on = None

OLD = "audit_log_0004"
CHUNK = 1000
INDEXES = {
    "ix_audit_log_at": ["at", "id"],
    "ix_audit_log_action": ["action"],
    "ix_audit_log_actor_id": ["actor_id"],
    "ix_audit_log_subject": ["subject"],
}


def _set_aside(table: str, pk: str) -> None:
    """Rename the table out of the way; PostgreSQL names constraints per schema, so its
    primary key goes too."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f'ALTER TABLE audit_log RENAME CONSTRAINT "pk_audit_log" TO "{pk}"')
    op.rename_table("audit_log", table)


def _utc(value: Any) -> datetime:
    moment: datetime = value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def upgrade() -> None:
    _set_aside(OLD, "pk_audit_log_0004")
    new = op.create_table(
        "audit_log",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("actor_kind", sa.String(length=20), nullable=False),
        sa.Column("actor_name", sa.String(length=300), nullable=False),
        sa.Column("actor_id", sa.String(length=40), nullable=True),
        sa.Column("address", sa.String(length=100), nullable=True),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("batch_key", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    assert new is not None
    for name, columns in INDEXES.items():
        op.create_index(name, "audit_log", columns)
    _copy(new)
    op.drop_table(OLD)


def _copy(new: sa.Table) -> None:
    bind = op.get_bind()
    old = sa.table(
        OLD,
        sa.column("id"),
        sa.column("at", sa.DateTime()),  # parsed on SQLite, where it is text
        sa.column("token_id"),
        sa.column("action"),
        sa.column("subject"),
        sa.column("request_id"),
    )
    tokens = sa.table("api_tokens", sa.column("id"), sa.column("name"))
    last = 0
    for _ in range(10**9):  # bounded: every round moves past `last`
        rows = bind.execute(
            sa.select(old, tokens.c.name)
            .outerjoin(tokens, tokens.c.id == old.c.token_id)
            .where(old.c.id > last)
            .order_by(old.c.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        bind.execute(
            sa.insert(new),
            [
                {
                    "id": str(ULID.from_datetime(_utc(row.at))).lower(),
                    "at": row.at,
                    "action": row.action,
                    "subject": row.subject,
                    "actor_kind": "token",
                    "actor_name": row.name or "unknown",
                    "actor_id": row.token_id,
                    "address": None,
                    "details": None,
                    "request_id": row.request_id,
                    "batch_key": None,
                }
                for row in rows
            ],
        )
        last = rows[-1].id


def downgrade() -> None:
    """Back to the old shape; entries that named no token keep no actor."""
    for name in INDEXES:
        op.drop_index(name, "audit_log")
    _set_aside("audit_log_0005", "pk_audit_log_0005")
    serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    old = op.create_table(
        "audit_log",
        sa.Column("id", serial, autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token_id", sa.String(length=40), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    assert old is not None
    op.execute(
        sa.insert(old).from_select(
            ["at", "token_id", "action", "subject", "request_id"],
            sa.select(
                sa.column("at"),
                sa.column("actor_id"),
                sa.column("action"),
                sa.column("subject"),
                sa.column("request_id"),
            )
            .select_from(sa.table("audit_log_0005"))
            .order_by(sa.column("at"), sa.column("id")),
        )
    )
    op.drop_table("audit_log_0005")
