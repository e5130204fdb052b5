"""Evidence vault: items (originals and working copies, their bytes in the blob store under a
sealed file key) and their hash-chained chains of custody.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_items",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("derived_from", sa.String(length=36), nullable=True),
        sa.Column("operation", sa.String(length=32), nullable=True),
        sa.Column("derived_by", sa.String(length=200), nullable=True),
        sa.Column("blob_id", sa.String(length=32), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_filename", sa.LargeBinary(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("sha3_512", sa.String(length=128), nullable=True),
        sa.Column("sealed_collection", sa.LargeBinary(), nullable=False),
        sa.Column("collection_method", sa.String(length=100), nullable=False),
        sa.Column("collection_tool", sa.String(length=200), nullable=False),
        sa.Column("collection_tool_version", sa.String(length=100), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("clock_source", sa.String(length=100), nullable=False),
        sa.Column("ingested_by", sa.String(length=200), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("last_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("custody_seq", sa.Integer(), nullable=False),
        sa.Column("custody_head", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["derived_from"],
            ["evidence_items.id"],
            name=op.f("fk_evidence_items_derived_from_evidence_items"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["doc_events.id"],
            name=op.f("fk_evidence_items_event_id_doc_events"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_evidence_items_project_id_projects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_items")),
        sa.UniqueConstraint("blob_id", name=op.f("uq_evidence_items_blob_id")),
    )
    with op.batch_alter_table("evidence_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_items_derived_from"), ["derived_from"])
        batch_op.create_index(batch_op.f("ix_evidence_items_event_id"), ["event_id"])
        batch_op.create_index(batch_op.f("ix_evidence_items_project_id"), ["project_id"])
        batch_op.create_index(batch_op.f("ix_evidence_items_sha256"), ["sha256"])

    op.create_table(
        "evidence_custody",
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["evidence_items.id"],
            name=op.f("fk_evidence_custody_item_id_evidence_items"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("item_id", "seq", name=op.f("pk_evidence_custody")),
    )


def downgrade() -> None:
    op.drop_table("evidence_custody")
    op.drop_table("evidence_items")  # with its indexes
