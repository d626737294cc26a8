"""Capture spine: sites, tokens, audit log, and the record index with full-text search.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

from service.index import fulltext
from service.index.tables import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    "sites",
    "api_tokens",
    "audit_log",
    "records",
    "record_versions",
    "record_events",
    "deliveries",
    "changes",
)


def upgrade() -> None:
    bind = op.get_bind()
    # The schema as of this revision; later revisions alter it step by step.
    metadata.create_all(bind, tables=[metadata.tables[name] for name in TABLES])
    for statement in fulltext.for_dialect(bind.dialect.name).create_statements():
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    for statement in fulltext.for_dialect(bind.dialect.name).drop_statements():
        op.execute(statement)
    metadata.drop_all(bind, tables=[metadata.tables[name] for name in reversed(TABLES)])
