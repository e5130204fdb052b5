"""Consent (issue #9): consent chains per person or testimony, the sharing log with its
notifications of withdrawal, and promises made to survivors.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 21:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, key: str = "id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.{key}"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete="RESTRICT",
    )


def _index(table: str, *columns: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("information_id", sa.String(length=36), nullable=True),
        sa.Column("supersedes_id", sa.String(length=36), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("withdrawn", sa.JSON(), nullable=False),
        sa.Column("given_by", sa.String(length=32), nullable=False),
        sa.Column("sealed_representative", sa.LargeBinary(), nullable=True),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("through", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("sealed_notes", sa.LargeBinary(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        _fk("consents", "information_id", "doc_information"),
        _fk("consents", "person_id", "doc_persons"),
        _fk("consents", "project_id", "projects"),
        _fk("consents", "supersedes_id", "consents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_consents_supersedes_id")),
    )
    _index("consents", "person_id", "project_id")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consents_person_information", ["person_id", "information_id"], unique=False
        )

    op.create_table(
        "consent_shares",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("recipient_kind", sa.String(length=32), nullable=False),
        sa.Column("recipient_name", sa.String(length=300), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("includes_identity", sa.Boolean(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("shared_by", sa.String(length=200), nullable=False),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=False),
        _fk("consent_shares", "project_id", "projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_shares")),
    )
    _index("consent_shares", "project_id")

    op.create_table(
        "consent_shared_persons",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("share_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("consent_id", sa.String(length=36), nullable=False),
        _fk("consent_shared_persons", "consent_id", "consents"),
        _fk("consent_shared_persons", "person_id", "doc_persons"),
        _fk("consent_shared_persons", "share_id", "consent_shares"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_shared_persons")),
    )
    _index("consent_shared_persons", "person_id", "share_id")

    op.create_table(
        "consent_notifications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("share_id", sa.String(length=36), nullable=False),
        sa.Column("how", sa.String(length=32), nullable=False),
        sa.Column("notified_on", sa.Date(), nullable=False),
        sa.Column("notified_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        _fk("consent_notifications", "share_id", "consent_shares"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_notifications")),
    )
    _index("consent_notifications", "share_id")

    op.create_table(
        "consent_promises",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("responsible", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("sealed_notes", sa.LargeBinary(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _fk("consent_promises", "person_id", "doc_persons"),
        _fk("consent_promises", "project_id", "projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_promises")),
    )
    _index("consent_promises", "person_id", "project_id")
    with op.batch_alter_table("consent_promises", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consent_promises_project_status", ["project_id", "status"], unique=False
        )


def downgrade() -> None:
    op.drop_table("consent_promises")  # with their indexes
    op.drop_table("consent_notifications")
    op.drop_table("consent_shared_persons")
    op.drop_table("consent_shares")
    op.drop_table("consents")
