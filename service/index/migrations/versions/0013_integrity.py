"""Integrity: each stored object's place in the tamper-evident log, and the sequencer's lease.

Revision ID: 0013
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_leaves",
        sa.Column("leaf_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("object_key", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("leaf_index", name=op.f("pk_log_leaves")),
    )
    op.create_index("ix_log_leaves_object_key", "log_leaves", ["object_key"])
    op.create_table(
        "log_sequencer",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=300), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_log_sequencer")),
    )


def downgrade() -> None:
    op.drop_table("log_sequencer")
    op.drop_table("log_leaves")
