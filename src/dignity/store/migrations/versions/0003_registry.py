"""Registry: source lists, list versions, and the statements of listed entities.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 11:52:46.102484
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_lists",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("publisher", sa.String(length=100), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("source_url", sa.String(length=500), nullable=False),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_lists")),
    )
    op.create_table(
        "list_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("list_id", sa.String(length=100), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("publisher_date", sa.String(length=32), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.Column("source_name", sa.String(length=500), nullable=False),
        sa.Column("targets", sa.Integer(), nullable=False),
        sa.Column("entities", sa.Integer(), nullable=False),
        sa.Column("statements", sa.Integer(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["source_lists.id"],
            name=op.f("fk_list_versions_list_id_source_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_versions")),
    )
    with op.batch_alter_table("list_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_list_versions_list_id"), ["list_id"], unique=False)
        batch_op.create_index("uq_list_versions_list_seq", ["list_id", "seq"], unique=True)

    op.create_table(
        "statements",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("list_id", sa.String(length=100), nullable=False),
        sa.Column("stmt_id", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=False),
        sa.Column("schema", sa.String(length=64), nullable=False),
        sa.Column("prop", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(length=16), nullable=True),
        sa.Column("original_value", sa.Text(), nullable=True),
        sa.Column("first_seen", sa.Integer(), nullable=False),
        sa.Column("last_seen", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["source_lists.id"],
            name=op.f("fk_statements_list_id_source_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_statements")),
    )
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statements_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index(
            "ix_statements_list_last_seen", ["list_id", "last_seen"], unique=False
        )
        batch_op.create_index("ix_statements_list_stmt", ["list_id", "stmt_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.drop_index("ix_statements_list_stmt")
        batch_op.drop_index("ix_statements_list_last_seen")
        batch_op.drop_index(batch_op.f("ix_statements_entity_id"))

    op.drop_table("statements")
    with op.batch_alter_table("list_versions", schema=None) as batch_op:
        batch_op.drop_index("uq_list_versions_list_seq")
        batch_op.drop_index(batch_op.f("ix_list_versions_list_id"))

    op.drop_table("list_versions")
    op.drop_table("source_lists")
