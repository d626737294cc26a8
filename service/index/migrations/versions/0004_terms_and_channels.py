"""Records keep their terms (for culling rules scoped by category or tag); the channel
register's table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: a batch copy of `records` would drop SQLite's full-text triggers.
    op.add_column("records", sa.Column("terms", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "channels",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("responsible_unit", sa.String(length=300), nullable=False),
        sa.Column("contact", sa.String(length=300), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("capture", sa.String(length=300), nullable=False),
        sa.Column("rule_ids", sa.Text(), nullable=False, server_default=""),
        sa.Column("site_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
        sa.UniqueConstraint("site_id", name=op.f("uq_channels_site_id")),
    )


def downgrade() -> None:
    op.drop_table("channels")
    op.drop_column("records", "terms")
