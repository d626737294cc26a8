"""Full text on Swedish stems computed in Python (service/search/words.py), the same on both
databases: SQLite's FTS5 table becomes contentless, fed with the terms by triggers;
PostgreSQL's `search_vector` becomes a plain column the writer fills (no more `swedish`
configuration). Both are filled here from the rows as they are; `offentlig reindex` makes
them again from storage.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.index import fulltext
from service.index.migrations import first_fulltext
from service.index.search_vector import SearchVector

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in first_fulltext.drop(dialect):
        op.execute(statement)
    op.add_column("records", sa.Column("search_vector", SearchVector(), nullable=True))
    strategy = fulltext.for_dialect(dialect)
    if isinstance(strategy, fulltext.SQLiteFullText):
        op.execute(strategy.create_table(prefixes=()))  # prefix indexes: 0019
    strategy.refill(op.get_bind())
    if isinstance(strategy, fulltext.PostgresFullText):
        for statement in strategy.create_statements():
            op.execute(statement)
    else:  # the planner's statistics, which SQLite never gathers by itself (db.analyze)
        op.execute("PRAGMA analysis_limit=1000")
        op.execute("ANALYZE")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in fulltext.for_dialect(dialect).drop_statements():
        op.execute(statement)
    if dialect == "sqlite":
        # Plain DROP COLUMN, never a batch copy of `records` (it would drop the triggers).
        op.execute("ALTER TABLE records DROP COLUMN search_vector")
        for statement in first_fulltext.create(dialect):
            op.execute(statement)
        op.execute("INSERT INTO records_fts(records_fts) VALUES ('rebuild')")
    else:
        op.execute("ALTER TABLE records DROP COLUMN search_vector")
        for statement in first_fulltext.create(dialect, split_like_fts5=True):
            op.execute(statement)
