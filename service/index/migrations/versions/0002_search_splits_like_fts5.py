"""PostgreSQL full text splits `2019/245`, e-mail addresses and host names into words, as
SQLite FTS5 does.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

from service.index.migrations import first_fulltext

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _rebuild_search_column(split_like_fts5: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # FTS5 already splits these
    for statement in first_fulltext.POSTGRES_DROP + first_fulltext.postgres_create(split_like_fts5):
        op.execute(statement)


def upgrade() -> None:
    _rebuild_search_column(split_like_fts5=True)


def downgrade() -> None:
    _rebuild_search_column(split_like_fts5=False)
