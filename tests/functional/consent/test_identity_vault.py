"""The identity vault's services: values round-trip sealed, replacements are locked by revision,
ciphertext moved between identities fails, need-to-know decides who reads (others get the answer
of a wrong id), and no value reaches an audit event, an error message, a log or a `repr`."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from vault_helpers import identifying, new_canary, project_with_investigator

from dignity.audit.models import AuditEvent
from dignity.consent.models import Identity
from dignity.consent.services import (
    IdentityValues,
    identity_values,
    may_see_identities,
    read_identity,
    store_identity,
)
from dignity.exc import Conflict, IntegrityError, InvalidInput, NotFound, PermissionDenied
from dignity.security.authz import operator_principal
from dignity.security.crypto import Keyring
from dignity.security.permissions import Role
from dignity.store.types import new_id
from factories.monitoring import reviewer


def test_values_round_trip_and_replacements_name_their_revision(
    session: Session, keyring: Keyring
) -> None:
    canary = new_canary()
    project, investigator = project_with_investigator(session)
    stored = store_identity(session, investigator, keyring, project.id, identifying(canary))
    assert (stored.revision, stored.project_id, stored.created_by) == (
        1,
        project.id,
        investigator.actor,
    )
    read = read_identity(session, investigator, keyring, stored.id)
    assert read == identity_values(identifying(canary))
    assert read.nationalities == ["sd"]  # ISO codes are kept in lower case
    assert [(n.kind, n.script) for n in read.names] == [
        ("primary", "Latn"),
        ("original-script", "Arab"),
    ]

    changed = {**identifying(canary), "contacts": []}
    replaced = store_identity(
        session, investigator, keyring, project.id, changed, identity_id=stored.id, revision=1
    )
    assert (replaced.id, replaced.revision) == (stored.id, 2)
    assert read_identity(session, investigator, keyring, stored.id).contacts == []
    for stale in (1, None):
        with pytest.raises(Conflict):
            store_identity(
                session,
                investigator,
                keyring,
                project.id,
                {},
                identity_id=stored.id,
                revision=stale,
            )
    with pytest.raises(NotFound):  # an identity is replaced only within its own project
        store_identity(
            session, investigator, keyring, new_id(), {}, identity_id=stored.id, revision=2
        )
    assert read_identity(session, investigator, keyring, stored.id).contacts == []


def test_ciphertext_copied_to_another_identity_does_not_open(
    session: Session, keyring: Keyring
) -> None:
    canary = new_canary()
    project, investigator = project_with_investigator(session)
    a = store_identity(session, investigator, keyring, project.id, identifying(canary))
    b = store_identity(session, investigator, keyring, project.id, {"names": [{"name": "B"}]})
    session.execute(
        update(Identity).where(Identity.id == b.id).values(sealed_values=a.sealed_values)
    )
    session.expire_all()
    with pytest.raises(IntegrityError, match="altered or moved") as raised:
        read_identity(session, investigator, keyring, b.id)
    assert canary not in str(raised.value)
    assert read_identity(session, investigator, keyring, a.id).names[0].name == f"Amina {canary}"


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        (Role.ADMIN, True),
        (Role.INVESTIGATOR, True),
        (Role.ANALYST, False),
        (Role.VIEWER, False),
        (Role.SCREENING_OFFICER, False),
    ],
)
def test_only_need_to_know_roles_read_identities_and_others_get_not_found(
    session: Session, keyring: Keyring, role: Role, sees: bool
) -> None:
    project, investigator = project_with_investigator(session)
    stored = store_identity(session, investigator, keyring, project.id, identifying(new_canary()))
    member = reviewer(session, f"member-{role}", project, role)
    assert may_see_identities(member) is sees
    if sees:
        assert read_identity(session, member, keyring, stored.id).birth_date == "1990-04"
        return
    with pytest.raises(NotFound) as hidden:
        read_identity(session, member, keyring, stored.id)
    with pytest.raises(NotFound) as missing:
        read_identity(session, member, keyring, new_id())
    assert str(hidden.value) == str(missing.value)
    with pytest.raises(PermissionDenied):
        store_identity(session, member, keyring, project.id, {})


def test_another_projects_investigator_gets_the_answer_of_a_wrong_id(
    session: Session, keyring: Keyring
) -> None:
    project, investigator = project_with_investigator(session)
    stored = store_identity(session, investigator, keyring, project.id, identifying(new_canary()))
    _, outsider = project_with_investigator(session, "Myanmar 2021", "outsider")
    with pytest.raises(NotFound) as hidden:
        read_identity(session, outsider, keyring, stored.id)
    with pytest.raises(NotFound) as missing:
        read_identity(session, investigator, keyring, new_id())
    assert str(hidden.value) == str(missing.value)
    with pytest.raises(NotFound):  # nor can they create one in a project they are not in
        store_identity(session, outsider, keyring, project.id, {})
    with pytest.raises(NotFound):  # nor replace one there
        store_identity(
            session, outsider, keyring, project.id, {}, identity_id=stored.id, revision=1
        )


BAD_VALUES: list[tuple[dict[str, Any], str]] = [
    ({"nationalities": ["SECRETLAND"]}, "nationalities.0"),
    ({"birth_date": "1990-02-30"}, "birth_date"),
    ({"birth_date": "30/02/1990"}, "birth_date"),
    ({"names": [{"name": "SECRET", "kind": "nickname"}]}, "names.0.kind"),
    ({"names": [{"name": "SECRET" * 60}]}, "names.0.name"),
    ({"names": [{"name": "SECRET", "script": "latin"}]}, "names.0.script"),
    ({"names": [{"name": "   "}]}, "names.0.name"),
    ({"contacts": [12345]}, "contacts.0"),  # strict: a number is not text
    ({"contacts": ["SECRET"] * 21}, "contacts"),
    ({"id_numbers": [{"number": "SECRET"}]}, "id_numbers.0.type"),
    ({"photo": "SECRET"}, "photo"),  # photos belong in the evidence vault
]


@pytest.mark.parametrize(("raw", "field"), BAD_VALUES)
def test_bad_values_are_refused_by_field_without_repeating_them(
    raw: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        identity_values(raw)
    assert [error.field for error in refused.value.errors] == [field]
    text = str(refused.value) + " ".join(e.message for e in refused.value.errors)
    assert "SECRET" not in text
    assert "1990" not in text
    assert refused.value.__cause__ is None
    assert refused.value.__suppress_context__


def test_no_value_reaches_a_repr_an_audit_event_or_a_log(
    session: Session, keyring: Keyring, caplog: pytest.LogCaptureFixture
) -> None:
    canary = new_canary()
    caplog.set_level(logging.DEBUG)
    project, investigator = project_with_investigator(session)
    stored = store_identity(session, investigator, keyring, project.id, identifying(canary))
    read = read_identity(session, investigator, keyring, stored.id)
    shown = [repr(read), str(read), repr(read.names[0]), repr(read.id_numbers[0]), repr(stored)]
    assert shown[:2] == ["IdentityValues(<withheld>)", "IdentityValues(<withheld>)"]
    assert all(canary not in text for text in shown)
    assert f"Amina {canary}" in read.model_dump_json()  # the values are there, only not shown
    events = (
        session.execute(select(AuditEvent).where(AuditEvent.object_id == stored.id)).scalars().all()
    )
    assert [e.action for e in events] == ["consent.identity-created"]
    assert project.id in events[0].details
    assert all(canary not in e.details for e in events)
    assert canary not in caplog.text


def test_the_operator_reads_every_project_and_values_accept_the_model_itself(
    session: Session, keyring: Keyring
) -> None:
    project, _ = project_with_investigator(session)
    operator = operator_principal("root")
    values = IdentityValues.model_validate({"names": [{"name": "Ko Aung", "kind": "alias"}]})
    stored = store_identity(session, operator, keyring, project.id, values)
    assert read_identity(session, operator, keyring, stored.id) == values
