"""Reconciliation on a schedule: each site's schedule (`sites.reconcile_every`) and the user
its WordPress account reads as (`sites.wordpress_username`: only sites with an account are
reconciled), both projected from the site register (`reindex` rebuilds them).

Sites whose account was set before this migration show no username until their next
revision or a `reindex`; until then they are not reconciled on schedule.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sites", sa.Column("reconcile_every", sa.String(length=40), nullable=True))
    op.add_column("sites", sa.Column("wordpress_username", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("wordpress_username")
        batch.drop_column("reconcile_every")
