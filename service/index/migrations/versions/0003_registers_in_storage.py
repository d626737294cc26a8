"""Registers in storage: sites and API tokens become projections of their registers (each
row shows its entry's latest revision); records show their review and registration; the
change feed also carries register entries about records.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

REGISTER_TABLES = ("sites", "api_tokens")
RECORD_REGISTER_COLUMNS = ("review", "secret", "case_number", "registered_at")


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch copy of `records`: on SQLite that would drop the
    # full-text triggers (service/index/fulltext.py).
    for table in REGISTER_TABLES:
        op.add_column(
            table, sa.Column("revision", sa.Integer(), nullable=False, server_default="1")
        )
    op.add_column("records", sa.Column("review", sa.String(length=20), nullable=True))
    op.add_column(
        "records", sa.Column("secret", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("records", sa.Column("case_number", sa.String(length=100), nullable=True))
    op.add_column("records", sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_records_review", "records", ["review"])
    op.create_index("ix_records_case_number", "records", ["case_number"])
    with op.batch_alter_table("changes") as batch:
        batch.alter_column("site_id", existing_type=sa.String(length=40), nullable=True)
        batch.alter_column("record_id", existing_type=sa.String(length=200), nullable=True)
        batch.alter_column("change", existing_type=sa.String(length=10), type_=sa.String(length=20))


def downgrade() -> None:
    with op.batch_alter_table("changes") as batch:
        batch.alter_column("change", existing_type=sa.String(length=20), type_=sa.String(10))
        batch.alter_column("record_id", existing_type=sa.String(length=200), nullable=False)
        batch.alter_column("site_id", existing_type=sa.String(length=40), nullable=False)
    op.drop_index("ix_records_case_number", "records")
    op.drop_index("ix_records_review", "records")
    for column in RECORD_REGISTER_COLUMNS:
        op.drop_column("records", column)
    for table in REGISTER_TABLES:
        op.drop_column(table, "revision")
