"""Capture spine: sites, tokens, audit log, and the record index with full-text search.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.index.migrations import first_fulltext

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# 64-bit on PostgreSQL; INTEGER on SQLite, which only auto-increments an INTEGER primary key.
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

TABLES = (
    "api_tokens",
    "sites",
    "audit_log",
    "changes",
    "deliveries",
    "record_events",
    "record_versions",
    "records",
)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token_id", sa.String(length=40), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_table(
        "changes",
        sa.Column("seq", SERIAL, autoincrement=True, nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("change", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=True),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_changes")),
    )
    op.create_index("ix_changes_site_seq", "changes", ["site_id", "seq"], unique=False)
    op.create_table(
        "deliveries",
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("webhook_id", sa.String(length=128), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("site_id", "webhook_id", name=op.f("pk_deliveries")),
    )
    op.create_table(
        "record_events",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("webhook_id", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("previous_status", sa.String(length=20), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_events")),
    )
    op.create_index(
        op.f("ix_record_events_record_id"), "record_events", ["record_id"], unique=False
    )
    op.create_table(
        "record_versions",
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("webhook_id", sa.String(length=128), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("storage_key", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("record_id", "version", name=op.f("pk_record_versions")),
    )
    op.create_index(
        "ix_record_versions_site_captured",
        "record_versions",
        ["site_id", "captured_at"],
        unique=False,
    )
    op.create_table(
        "records",
        sa.Column("pk", SERIAL, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=1000), nullable=False),
        sa.Column("parent_id", sa.String(length=200), nullable=True),
        sa.Column("permalink", sa.String(length=2000), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("latest_sha256", sa.String(length=64), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("personal_sha256", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_records")),
        sa.UniqueConstraint("id", name=op.f("uq_records_id")),
    )
    op.create_index("ix_records_author", "records", ["author"], unique=False)
    op.create_index("ix_records_captured", "records", ["first_captured_at", "pk"], unique=False)
    op.create_index("ix_records_parent", "records", ["parent_id"], unique=False)
    op.create_index("ix_records_published", "records", ["published_at", "pk"], unique=False)
    op.create_index(
        "ix_records_site_kind_published",
        "records",
        ["site_id", "kind", "published_at", "pk"],
        unique=False,
    )
    op.create_table(
        "sites",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=500), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_api_tokens_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_api_tokens_token_sha256")),
    )
    for statement in first_fulltext.create(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in first_fulltext.drop(op.get_bind().dialect.name):
        op.execute(statement)
    for table in TABLES:
        op.drop_table(table)
