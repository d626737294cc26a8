"""PostgreSQL full text splits `2019/245`, e-mail addresses and host names into words, as
SQLite FTS5 does.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

from service.index import fulltext

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _rebuild_search_column() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # FTS5 already splits these
    strategy = fulltext.for_dialect("postgresql")
    for statement in strategy.drop_statements() + strategy.create_statements():
        op.execute(statement)


def upgrade() -> None:
    _rebuild_search_column()


def downgrade() -> None:
    """The column as the current code defines it: no older definition is kept."""
    _rebuild_search_column()
