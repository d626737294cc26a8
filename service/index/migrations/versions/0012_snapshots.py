"""Snapshots: each site's schedule (`sites.snapshot_every`) and the finished snapshots,
projected from their manifests in storage (`reindex` rebuilds both).

Revision ID: 0012
Revises: 0013
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sites", sa.Column("snapshot_every", sa.String(length=40), nullable=True))
    op.create_table(
        "snapshots",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("site_url", sa.String(length=2000), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pages", sa.BigInteger(), nullable=False),
        sa.Column("requisites", sa.BigInteger(), nullable=False),
        sa.Column("responses", sa.BigInteger(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.Column("refusals", sa.BigInteger(), nullable=False),
        sa.Column("limits_hit", sa.JSON(), nullable=False),
        sa.Column("manifest_key", sa.String(length=1000), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("warc_key", sa.String(length=1000), nullable=False),
        sa.Column("warc_size", sa.BigInteger(), nullable=False),
        sa.Column("warc_sha256", sa.String(length=64), nullable=False),
        sa.Column("cdxj_key", sa.String(length=1000), nullable=False),
        sa.Column("cdxj_size", sa.BigInteger(), nullable=False),
        sa.Column("cdxj_sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshots")),
    )
    op.create_index("ix_snapshots_site_id_ended_at", "snapshots", ["site_id", "ended_at"])


def downgrade() -> None:
    op.drop_table("snapshots")
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("snapshot_every")
