"""Screenings: the audit record of every query screened.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 15:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screenings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.Column("query_key", sa.String(length=200), nullable=False),
        sa.Column("dataset", sa.String(length=100), nullable=False),
        sa.Column("algorithm", sa.String(length=64), nullable=False),
        sa.Column("algorithm_version", sa.String(length=32), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("result_limit", sa.Integer(), nullable=False),
        sa.Column("list_versions", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("results", sa.Text(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("matches", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screenings")),
    )
    op.create_index(op.f("ix_screenings_actor"), "screenings", ["actor"], unique=False)
    op.create_index(op.f("ix_screenings_created_at"), "screenings", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_screenings_created_at"), table_name="screenings")
    op.drop_index(op.f("ix_screenings_actor"), table_name="screenings")
    op.drop_table("screenings")
