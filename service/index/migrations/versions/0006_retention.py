"""Retention: culling rules, legal holds, culling runs with their items, and the culling log
(projections of their registers in storage).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "retention_rules",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("decision_reference", sa.String(length=200), nullable=False),
        sa.Column("decision_date", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("retention", sa.String(length=40), nullable=False),
        sa.Column("counted_from", sa.String(length=20), nullable=False),
        sa.Column("covers_registered", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("supersedes", sa.String(length=40), nullable=True),
        sa.Column("superseded_by", sa.String(length=40), nullable=True),
        sa.Column("used", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_rules")),
    )
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=300), nullable=False),
        sa.Column("set_at", _MOMENT, nullable=False),
        sa.Column("lifted_at", _MOMENT, nullable=True),
        sa.Column("lifted_by", sa.String(length=300), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.Column("record_id", sa.String(length=200), nullable=True),
        sa.Column("sites", sa.Text(), nullable=False, server_default=""),
        sa.Column("kinds", sa.Text(), nullable=False, server_default=""),
        sa.Column("published_after", _MOMENT, nullable=True),
        sa.Column("published_before", _MOMENT, nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    op.create_table(
        "culling_runs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("as_of", _MOMENT, nullable=False),
        sa.Column("rule_ids", sa.Text(), nullable=False, server_default=""),
        sa.Column("started_by", sa.String(length=300), nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("finished_at", _MOMENT, nullable=True),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_culling_runs")),
    )
    op.create_table(
        "culling_run_items",
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("rule_id", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "position", name=op.f("pk_culling_run_items")),
    )
    op.create_table(
        "culling_log",
        sa.Column("id", sa.String(length=250), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("published_at", _MOMENT, nullable=False),
        sa.Column("last_changed_at", _MOMENT, nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("site_id", sa.String(length=40), nullable=False),
        sa.Column("rule_id", sa.String(length=40), nullable=False),
        sa.Column("decision_reference", sa.String(length=200), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("culled_by", sa.String(length=300), nullable=False),
        sa.Column("culled_at", _MOMENT, nullable=False),
        sa.Column("versions_erased", sa.Integer(), nullable=False),
        sa.Column("objects_erased", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_culling_log")),
    )
    op.create_index(op.f("ix_culling_log_record_id"), "culling_log", ["record_id"])
    op.create_index(op.f("ix_culling_log_rule_id"), "culling_log", ["rule_id"])
    op.create_index(op.f("ix_culling_log_run_id"), "culling_log", ["run_id"])
    op.create_index("ix_culling_log_culled", "culling_log", ["culled_at", "id"])


def downgrade() -> None:
    for table in ("culling_log", "culling_run_items", "culling_runs", "legal_holds"):
        op.drop_table(table)
    op.drop_table("retention_rules")
