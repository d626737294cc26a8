"""SQLite's FTS5 table with prefix indexes (`fulltext.PREFIX_LENGTHS`): made again, with its
triggers, and filled from the rows as they are. PostgreSQL's GIN index already serves
prefixes (`:*`): nothing changes there.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

from service.index import fulltext

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _remake(create_table: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    strategy = fulltext.SQLiteFullText()
    for statement in strategy.drop_statements():
        op.execute(statement)
    op.execute(create_table)
    strategy.refill(op.get_bind())


def upgrade() -> None:
    _remake(fulltext.SQLiteFullText().create_table())


def downgrade() -> None:
    _remake(fulltext.SQLiteFullText().create_table(prefixes=()))
