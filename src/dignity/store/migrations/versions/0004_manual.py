"""Manual designations: the hand-entered rows behind each manual list.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 14:24:45.939024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "manual_designations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("list_id", sa.String(length=100), nullable=False),
        sa.Column("schema", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("birth_date", sa.String(length=32), nullable=True),
        sa.Column("nationality", sa.JSON(), nullable=False),
        sa.Column("country", sa.JSON(), nullable=False),
        sa.Column("position", sa.String(length=500), nullable=True),
        sa.Column("identifiers", sa.JSON(), nullable=False),
        sa.Column("program", sa.String(length=100), nullable=False),
        sa.Column("authority", sa.String(length=300), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source_url", sa.String(length=1000), nullable=False),
        sa.Column("source_date", sa.String(length=10), nullable=False),
        sa.Column("listing_date", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("retired_reason", sa.Text(), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_by", sa.String(length=200), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["source_lists.id"],
            name=op.f("fk_manual_designations_list_id_source_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_designations")),
    )
    with op.batch_alter_table("manual_designations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_manual_designations_list_id"), ["list_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("manual_designations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manual_designations_list_id"))

    op.drop_table("manual_designations")
