"""Persons and their identities: linked without touching the person record otherwise, shown only
on need-to-know (others get the answer of a missing person), and kept out of search and exports."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from vault_helpers import identifying, new_canary, project_with_investigator

from dignity.consent.models import Identity
from dignity.documentation import search, transfer
from dignity.documentation import services as docs
from dignity.documentation.identities import (
    may_see_identities,
    person_identity,
    person_identity_record,
    set_person_identity,
)
from dignity.documentation.models import Person, RecordChange
from dignity.exc import Conflict, NotFound
from dignity.security.crypto import Keyring
from dignity.security.permissions import Role
from dignity.store.types import new_id
from factories.monitoring import reviewer


def _person(session: Session, who, project_id: str) -> Person:  # type: ignore[no-untyped-def]
    person = docs.create_record(
        session,
        who,
        "persons",
        project_id,
        {"kind": "individual", "description": "teacher at the camp school"},
    )
    assert isinstance(person, Person)
    return person


def test_an_identity_is_linked_to_a_person_and_replaced_without_changing_the_record(
    session: Session, keyring: Keyring
) -> None:
    canary = new_canary()
    project, investigator = project_with_investigator(session)
    person = _person(session, investigator, project.id)
    assert person_identity(session, investigator, keyring, person.id) is None

    created = set_person_identity(session, investigator, keyring, person.id, identifying(canary))
    session.expire_all()
    person = session.get(Person, person.id)  # type: ignore[assignment]
    assert person.identity_id == created.id
    assert (person.revision, person.updated_by) == (1, investigator.actor)
    identity = session.get(Identity, created.id)
    assert identity is not None
    assert identity.project_id == project.id
    values = person_identity(session, investigator, keyring, person.id)
    assert values is not None
    assert values.names[0].name == f"Amina {canary}"

    replaced = set_person_identity(
        session, investigator, keyring, person.id, {"names": [{"name": "Amina"}]}, revision=1
    )
    assert (replaced.id, replaced.revision) == (created.id, 2)
    with pytest.raises(Conflict):
        set_person_identity(session, investigator, keyring, person.id, {}, revision=1)
    with pytest.raises(Conflict):  # replacing needs the revision that was read
        set_person_identity(session, investigator, keyring, person.id, {})
    session.expire_all()
    assert session.get(Person, person.id).revision == 1  # type: ignore[union-attr]
    changes = session.execute(
        select(RecordChange.action).where(RecordChange.record_id == person.id)
    ).scalars()
    assert list(changes) == ["created"]
    assert person_identity(session, investigator, keyring, person.id).names[0].name == "Amina"  # type: ignore[union-attr]


@pytest.mark.parametrize("role", [Role.ANALYST, Role.VIEWER])
def test_without_need_to_know_a_persons_identity_is_not_found_like_a_missing_person(
    session: Session, keyring: Keyring, role: Role
) -> None:
    project, investigator = project_with_investigator(session)
    person = _person(session, investigator, project.id)
    set_person_identity(session, investigator, keyring, person.id, identifying(new_canary()))
    member = reviewer(session, f"member-{role}", project, role)
    assert not may_see_identities(member)
    assert docs.get_record(session, member, "persons", person.id).id == person.id
    with pytest.raises(NotFound) as missing_person:
        docs.get_record(session, member, "persons", new_id())
    for call in (person_identity, person_identity_record):
        with pytest.raises(NotFound) as hidden:
            call(session, member, keyring, person.id)
        assert str(hidden.value) == str(missing_person.value)


def test_another_projects_investigator_cannot_read_or_set_a_persons_identity(
    session: Session, keyring: Keyring
) -> None:
    project, investigator = project_with_investigator(session)
    person = _person(session, investigator, project.id)
    set_person_identity(session, investigator, keyring, person.id, identifying(new_canary()))
    _, outsider = project_with_investigator(session, "Myanmar 2021", "outsider")
    with pytest.raises(NotFound, match="no such persons record"):
        person_identity(session, outsider, keyring, person.id)
    with pytest.raises(NotFound, match="no such persons record"):
        set_person_identity(session, outsider, keyring, person.id, {}, revision=1)
    assert person_identity(session, investigator, keyring, person.id) is not None


def test_identities_are_not_searchable_and_not_exported(session: Session, keyring: Keyring) -> None:
    canary = new_canary()
    project, investigator = project_with_investigator(session)
    person = _person(session, investigator, project.id)
    set_person_identity(session, investigator, keyring, person.id, identifying(canary))
    admin = reviewer(session, "admin", None, Role.ADMIN)
    for who in (investigator, admin):
        assert search.search(session, who, canary) == []
        assert search.search(session, who, "Amina") == []
        found = search.search(session, who, "teacher")  # search itself works
        assert [f.record_id for f in found] == [person.id]
    document = transfer.dumps(transfer.export_project(session, investigator, project.id))
    assert person.code in document
    assert canary not in document
    assert "Amina" not in document
    assert canary not in transfer.export_csv(session, investigator, project.id, "persons")
