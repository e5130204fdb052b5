"""Indexes in the order the documentation lists read (events by date and by entry; acts,
persons, involvements and information by entry), and the sealed metadata of evidence items with
the kinds of sensitive data it holds.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 21:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ENTERED = ("doc_events", "doc_persons", "doc_acts", "doc_involvements", "doc_information")


def upgrade() -> None:
    with op.batch_alter_table("doc_events", schema=None) as batch_op:
        batch_op.create_index("ix_doc_events_dated", ["start_date", "entered_at", "id"])
    for table in ENTERED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_entered", ["entered_at", "id"])
    with op.batch_alter_table("evidence_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_metadata", sa.LargeBinary(), nullable=True))
        batch_op.add_column(
            sa.Column("metadata_flags", sa.JSON(), nullable=False, server_default="[]")
        )


def downgrade() -> None:
    with op.batch_alter_table("evidence_items", schema=None) as batch_op:
        batch_op.drop_column("metadata_flags")
        batch_op.drop_column("sealed_metadata")
    for table in reversed(ENTERED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_entered")
    with op.batch_alter_table("doc_events", schema=None) as batch_op:
        batch_op.drop_index("ix_doc_events_dated")
