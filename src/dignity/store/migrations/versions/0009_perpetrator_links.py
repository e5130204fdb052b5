"""Links from documented alleged perpetrators to registry entities (dossiers); the single
`doc_persons.registry_entity_id` they replace is dropped (a person may be listed under a
different id by each list).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 20:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "perpetrator_links",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["doc_persons.id"],
            name=op.f("fk_perpetrator_links_person_id_doc_persons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_perpetrator_links_project_id_projects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_perpetrator_links")),
        sa.UniqueConstraint("person_id", "entity_id", name="uq_perpetrator_links"),
    )
    with op.batch_alter_table("perpetrator_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_perpetrator_links_entity_id"), ["entity_id"])
        batch_op.create_index(batch_op.f("ix_perpetrator_links_person_id"), ["person_id"])
        batch_op.create_index(batch_op.f("ix_perpetrator_links_project_id"), ["project_id"])
    with op.batch_alter_table("doc_persons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_doc_persons_registry_entity_id"))
        batch_op.drop_column("registry_entity_id")


def downgrade() -> None:
    with op.batch_alter_table("doc_persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registry_entity_id", sa.String(length=200), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_doc_persons_registry_entity_id"), ["registry_entity_id"], unique=False
        )
    op.drop_table("perpetrator_links")
