"""Documentation core: events, acts, persons, involvement, information, interventions, relations,
counts (HURIDOCS Events Standard Formats) and the history of their changes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 17:46:24.659391
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


SEARCH_SQLITE = """
CREATE VIRTUAL TABLE doc_search USING fts5(
    record_type UNINDEXED, record_id UNINDEXED, project_id UNINDEXED, body,
    tokenize = 'unicode61 remove_diacritics 2'
)
"""
SEARCH_POSTGRESQL = (
    """
CREATE TABLE doc_search (
    record_type VARCHAR(32) NOT NULL,
    record_id VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(36) NOT NULL,
    body TEXT NOT NULL,
    tsv TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED
)
""",
    "CREATE INDEX ix_doc_search_tsv ON doc_search USING GIN (tsv)",
    "CREATE INDEX ix_doc_search_project ON doc_search (project_id)",
)


def _create_search() -> None:
    """The full-text table (documentation/search.py): FTS5 on SQLite, tsvector on PostgreSQL."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SEARCH_SQLITE)
    else:
        for statement in SEARCH_POSTGRESQL:
            op.execute(statement)


def _managed() -> list[sa.Column[Any]]:
    """The columns every documentation record has (`documentation.models.Managed`)."""
    return [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("received_at", sa.String(length=10), nullable=True),
        sa.Column("entered_by", sa.String(length=200), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("monitoring_status", sa.String(length=120), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
    ]


def _project_key(table: str) -> list[Any]:
    """Its primary key, and its project, which cannot be deleted while it has records."""
    return [
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f(f"fk_{table}_project_id_projects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    _create_search()
    op.create_table(
        "doc_record_changes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doc_record_changes")),
    )
    with op.batch_alter_table("doc_record_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_doc_record_changes_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(
            "ix_doc_record_changes_record", ["record_type", "record_id"], unique=False
        )

    op.create_table(
        "doc_events",
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("start_date", sa.String(length=10), nullable=True),
        sa.Column("start_precision", sa.String(length=120), nullable=False),
        sa.Column("end_date", sa.String(length=10), nullable=True),
        sa.Column("end_precision", sa.String(length=120), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("place", sa.String(length=500), nullable=False),
        sa.Column("location_type", sa.String(length=120), nullable=True),
        sa.Column("violation_types", sa.JSON(), nullable=False),
        sa.Column("rights_affected", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=120), nullable=True),
        sa.Column("impact", sa.Text(), nullable=False),
        *_managed(),
        *_project_key("doc_events"),
    )
    with op.batch_alter_table("doc_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_doc_events_project_id"), ["project_id"], unique=False)
        batch_op.create_index(
            "ix_doc_events_project_start", ["project_id", "start_date"], unique=False
        )

    op.create_table(
        "doc_persons",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("identity_id", sa.String(length=36), nullable=True),
        sa.Column("sex", sa.String(length=120), nullable=True),
        sa.Column("age_min", sa.Integer(), nullable=True),
        sa.Column("age_max", sa.Integer(), nullable=True),
        sa.Column("occupation", sa.String(length=120), nullable=True),
        sa.Column("perpetrator_type", sa.String(length=120), nullable=True),
        sa.Column("counting_unit", sa.String(length=120), nullable=True),
        sa.Column("group_size_min", sa.Integer(), nullable=True),
        sa.Column("group_size_max", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("registry_entity_id", sa.String(length=200), nullable=True),
        *_managed(),
        *_project_key("doc_persons"),
    )
    with op.batch_alter_table("doc_persons", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_doc_persons_identity_id"), ["identity_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_doc_persons_project_id"), ["project_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_doc_persons_registry_entity_id"), ["registry_entity_id"], unique=False
        )
        batch_op.create_index("uq_doc_persons_project_code", ["project_id", "code"], unique=True)

    op.create_table(
        "doc_acts",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("victim_id", sa.String(length=36), nullable=False),
        sa.Column("act_type", sa.String(length=120), nullable=False),
        sa.Column("methods", sa.JSON(), nullable=False),
        sa.Column("start_date", sa.String(length=10), nullable=True),
        sa.Column("start_precision", sa.String(length=120), nullable=False),
        sa.Column("end_date", sa.String(length=10), nullable=True),
        sa.Column("end_precision", sa.String(length=120), nullable=False),
        sa.Column("place", sa.String(length=500), nullable=False),
        sa.Column("location_type", sa.String(length=120), nullable=True),
        sa.Column("stated_reason", sa.Text(), nullable=False),
        sa.Column("consequences", sa.Text(), nullable=False),
        sa.Column("victim_status_end", sa.String(length=120), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        *_managed(),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["doc_events.id"],
            name=op.f("fk_doc_acts_event_id_doc_events"),
            ondelete="CASCADE",
        ),
        *_project_key("doc_acts"),
        sa.ForeignKeyConstraint(
            ["victim_id"],
            ["doc_persons.id"],
            name=op.f("fk_doc_acts_victim_id_doc_persons"),
            ondelete="RESTRICT",
        ),
    )
    with op.batch_alter_table("doc_acts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_doc_acts_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_doc_acts_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_doc_acts_victim_id"), ["victim_id"], unique=False)

    op.create_table(
        "doc_biographic_relations",
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("related_id", sa.String(length=36), nullable=False),
        sa.Column("relation_type", sa.String(length=120), nullable=False),
        sa.Column("rank", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.String(length=10), nullable=True),
        sa.Column("start_precision", sa.String(length=120), nullable=False),
        sa.Column("end_date", sa.String(length=10), nullable=True),
        sa.Column("end_precision", sa.String(length=120), nullable=False),
        *_managed(),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["doc_persons.id"],
            name=op.f("fk_doc_biographic_relations_person_id_doc_persons"),
            ondelete="CASCADE",
        ),
        *_project_key("doc_biographic_relations"),
        sa.ForeignKeyConstraint(
            ["related_id"],
            ["doc_persons.id"],
            name=op.f("fk_doc_biographic_relations_related_id_doc_persons"),
            ondelete="CASCADE",
        ),
    )
    with op.batch_alter_table("doc_biographic_relations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_doc_biographic_relations_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_doc_biographic_relations_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_doc_biographic_relations_related_id"), ["related_id"], unique=False
        )

    op.create_table(
        "doc_event_counts",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("what", sa.String(length=120), nullable=False),
        sa.Column("counting_unit", sa.String(length=120), nullable=False),
        sa.Column("minimum", sa.Integer(), nullable=False),
        sa.Column("maximum", sa.Integer(), nullable=False),
        sa.Column("minimum_sources", sa.JSON(), nullable=False),
        sa.Column("maximum_sources", sa.JSON(), nullable=False),
        *_managed(),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["doc_events.id"],
            name=op.f("fk_doc_event_counts_event_id_doc_events"),
            ondelete="CASCADE",
        ),
        *_project_key("doc_event_counts"),
    )
    with op.batch_alter_table("doc_event_counts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_doc_event_counts_event_id"), ["event_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_doc_event_counts_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "doc_event_links",
        sa.Column("from_event_id", sa.String(length=36), nullable=False),
        sa.Column("to_event_id", sa.String(length=36), nullable=False),
        sa.Column("link_type", sa.String(length=120), nullable=False),
        sa.Column("remarks", sa.Text(), nullable=False),
        *_managed(),
        sa.ForeignKeyConstraint(
            ["from_event_id"],
            ["doc_events.id"],
            name=op.f("fk_doc_event_links_from_event_id_doc_events"),
            ondelete="CASCADE",
        ),
        *_project_key("doc_event_links"),
        sa.ForeignKeyConstraint(
            ["to_event_id"],
            ["doc_events.id"],
            name=op.f("fk_doc_event_links_to_event_id_doc_events"),
            ondelete="CASCADE",
        ),
    )
    with op.batch_alter_table("doc_event_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_doc_event_links_from_event_id"), ["from_event_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_doc_event_links_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_doc_event_links_to_event_id"), ["to_event_id"], unique=False
        )

    op.create_table(
        "doc_information",
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.Column("person_id", sa.String(length=36), nullable=True),
        sa.Column("connection", sa.String(length=120), nullable=True),
        sa.Column("material_type", sa.String(length=120), nullable=True),
        sa.Column("reliability", sa.String(length=120), nullable=True),
        sa.Column("date", sa.String(length=10), nullable=True),
        sa.Column("date_precision", sa.String(length=120), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("remarks", sa.Text(), nullable=False),
        *_managed(),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["doc_events.id"],
            name=op.f("fk_doc_information_event_id_doc_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["doc_persons.id"],
            name=op.f("fk_doc_information_person_id_doc_persons"),
            ondelete="CASCADE",
        ),
        *_project_key("doc_information"),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["doc_persons.id"],
            name=op.f("fk_doc_information_source_id_doc_persons"),
            ondelete="RESTRICT",
        ),
    )
    with op.batch_alter_table("doc_information", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_doc_information_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_doc_information_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_doc_information_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_doc_information_source_id"), ["source_id"], unique=False
        )

    op.create_table(
        "doc_interventions",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("victim_id", sa.String(length=36), nullable=True),
        sa.Column("intervening_party_id", sa.String(length=36), nullable=False),
        sa.Column("intervention_type", sa.String(length=120), nullable=False),
        sa.Column("date", sa.String(length=10), nullable=True),
        sa.Column("date_precision", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=120), nullable=True),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("impact", sa.Text(), nullable=False),
        *_managed(),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["doc_events.id"],
            name=op.f("fk_doc_interventions_event_id_doc_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["intervening_party_id"],
            ["doc_persons.id"],
            name=op.f("fk_doc_interventions_intervening_party_id_doc_persons"),
            ondelete="RESTRICT",
        ),
        *_project_key("doc_interventions"),
        sa.ForeignKeyConstraint(
            ["victim_id"],
            ["doc_persons.id"],
            name=op.f("fk_doc_interventions_victim_id_doc_persons"),
            ondelete="RESTRICT",
        ),
    )
    with op.batch_alter_table("doc_interventions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_doc_interventions_event_id"), ["event_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_doc_interventions_intervening_party_id"),
            ["intervening_party_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_doc_interventions_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "doc_involvements",
        sa.Column("act_id", sa.String(length=36), nullable=False),
        sa.Column("perpetrator_id", sa.String(length=36), nullable=False),
        sa.Column("degree", sa.String(length=120), nullable=False),
        sa.Column("perpetrator_type", sa.String(length=120), nullable=True),
        sa.Column("latest_status", sa.String(length=120), nullable=True),
        sa.Column("remarks", sa.Text(), nullable=False),
        *_managed(),
        sa.ForeignKeyConstraint(
            ["act_id"],
            ["doc_acts.id"],
            name=op.f("fk_doc_involvements_act_id_doc_acts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["perpetrator_id"],
            ["doc_persons.id"],
            name=op.f("fk_doc_involvements_perpetrator_id_doc_persons"),
            ondelete="RESTRICT",
        ),
        *_project_key("doc_involvements"),
    )
    with op.batch_alter_table("doc_involvements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_doc_involvements_act_id"), ["act_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_doc_involvements_perpetrator_id"), ["perpetrator_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_doc_involvements_project_id"), ["project_id"], unique=False
        )


def downgrade() -> None:
    op.execute("DROP TABLE doc_search")
    for table in reversed(
        (
            "doc_record_changes",
            "doc_events",
            "doc_persons",
            "doc_acts",
            "doc_biographic_relations",
            "doc_event_counts",
            "doc_event_links",
            "doc_information",
            "doc_interventions",
            "doc_involvements",
        )
    ):
        op.drop_table(table)  # with its indexes
