"""Perpetrators meet the registry: links, designations and the accountability gap.

A project's alleged perpetrators (documentation) are linked by reviewers to the registry entities
they are believed to be, by hand or by accepting what screening suggests. Each perpetrator then
shows every designation of its linked entities (list, authority, programme, listing date), and
the project the gap: perpetrators designated nowhere, and those designated by some authorities
but not by others.

Screening reads names from the identity vault, so only callers with need-to-know can run it, and
the names are never stored outside the vault: the screening is recorded by reference (person code,
identity revision, list versions, algorithm, threshold, the entities suggested with their scores)
in one audit event, not as a `Screening` row holding the query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import dignity.documentation.services as docs
import dignity.registry.services as registry
import dignity.screening.services as screening
from dignity.audit import record_event
from dignity.dossiers.models import PerpetratorLink
from dignity.exc import Conflict, FieldError, InvalidInput, NotFound
from dignity.security.authz import Principal
from dignity.security.crypto import Keyring
from dignity.security.permissions import Permission

METHODS = ("manual", "screening")
NOTE_MAX = 2000


@dataclass
class Perpetrator:
    person: Any  # a documentation Person
    acts: int
    events: int
    links: list[PerpetratorLink]
    designations: list[registry.Designation]

    @property
    def designated_by(self) -> list[str]:
        return sorted({d.authority for d in self.designations})


@dataclass
class Gap:
    """A project's perpetrators against every authority whose lists the registry holds."""

    perpetrators: list[Perpetrator]
    authorities: list[str]
    captions: dict[str, str] = field(default_factory=dict)

    def missing(self, perpetrator: Perpetrator) -> list[str]:
        """The authorities that have not designated this perpetrator."""
        return [a for a in self.authorities if a not in perpetrator.designated_by]

    @property
    def designated_nowhere(self) -> list[Perpetrator]:
        return [p for p in self.perpetrators if not p.designations]

    @property
    def designated_partly(self) -> list[Perpetrator]:
        return [p for p in self.perpetrators if p.designations and self.missing(p)]


@dataclass
class Suggestion:
    entity_id: str
    caption: str
    schema: str
    datasets: list[str]
    score: float


@dataclass
class Screened:
    """What screening one perpetrator found, or why it was not screened."""

    person: Any
    suggestions: list[Suggestion]
    skipped: str | None = None


def _links(session: Session, person_ids: Sequence[str]) -> dict[str, list[PerpetratorLink]]:
    found: dict[str, list[PerpetratorLink]] = {person_id: [] for person_id in person_ids}
    for start in range(0, len(person_ids), 900):
        rows = session.execute(
            select(PerpetratorLink)
            .where(PerpetratorLink.person_id.in_(person_ids[start : start + 900]))
            .order_by(PerpetratorLink.created_at, PerpetratorLink.entity_id)
        ).scalars()
        for link in rows:
            found[link.person_id].append(link)
    return found


def _gap(session: Session, rows: list[tuple[Any, int, int]]) -> Gap:
    links = _links(session, [person.id for person, _, _ in rows])
    entity_ids = sorted({link.entity_id for found in links.values() for link in found})
    listed = registry.designations(session, entity_ids)
    perpetrators = [
        Perpetrator(
            person=person,
            acts=acts,
            events=events,
            links=links[person.id],
            designations=[d for link in links[person.id] for d in listed.get(link.entity_id, [])],
        )
        for person, acts, events in rows
    ]
    return Gap(
        perpetrators=perpetrators,
        authorities=sorted(set(registry.authorities(session).values())),
        captions=registry.captions(session, entity_ids),
    )


def accountability_gap(session: Session, principal: Principal, project_id: str) -> Gap:
    """Every alleged perpetrator of the project with its links and designations."""
    principal.require(Permission.REGISTRY_READ)
    return _gap(session, docs.perpetrators(session, principal, project_id))


def perpetrator(session: Session, principal: Principal, person_id: str) -> tuple[Perpetrator, Gap]:
    """One person of a project the caller may see, with its links and designations."""
    principal.require(Permission.REGISTRY_READ)
    person = docs.get_record(session, principal, "persons", person_id)
    counts = {
        found.id: (acts, events)
        for found, acts, events in docs.perpetrators(session, principal, person.project_id)
    }
    gap = _gap(session, [(person, *counts.get(person.id, (0, 0)))])
    return gap.perpetrators[0], gap


def link(
    session: Session,
    principal: Principal,
    person_id: str,
    entity_id: str,
    *,
    method: str = "manual",
    score: float | None = None,
    note: str = "",
) -> PerpetratorLink:
    """Link a person to a registry entity of the current lists; audited."""
    principal.require(Permission.RECORDS_WRITE)
    person = docs.get_record(session, principal, "persons", person_id)
    errors = []
    if method not in METHODS:
        errors.append(FieldError("method", "one of " + ", ".join(METHODS)))
    if len(note) > NOTE_MAX:
        errors.append(FieldError("note", f"at most {NOTE_MAX:,} characters"))
    if score is not None and not 0 <= score <= 1:
        errors.append(FieldError("score", "between 0 and 1"))
    try:
        registry.entity_statements(session, entity_id)
    except NotFound:
        errors.append(FieldError("entity_id", "no such entity in the current lists"))
    if errors:
        raise InvalidInput("the link cannot be made", errors)
    taken = session.execute(
        select(PerpetratorLink.id).where(
            PerpetratorLink.person_id == person.id, PerpetratorLink.entity_id == entity_id
        )
    ).first()
    if taken is not None:
        raise Conflict(f"{person.code} is already linked to {entity_id}")  # type: ignore[attr-defined]
    made = PerpetratorLink(
        project_id=person.project_id,
        person_id=person.id,
        entity_id=entity_id,
        method=method,
        score=score,
        note=note.strip(),
        created_by=principal.actor,
    )
    session.add(made)
    session.flush()
    _audit(session, principal, "dossiers.linked", person, {"entity": entity_id, "method": method})
    return made


def unlink(session: Session, principal: Principal, person_id: str, entity_id: str) -> None:
    principal.require(Permission.RECORDS_WRITE)
    person = docs.get_record(session, principal, "persons", person_id)
    found = session.execute(
        select(PerpetratorLink).where(
            PerpetratorLink.person_id == person.id, PerpetratorLink.entity_id == entity_id
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("no such link")
    session.delete(found)
    session.flush()
    _audit(session, principal, "dossiers.unlinked", person, {"entity": entity_id})


def _audit(
    session: Session, principal: Principal, action: str, person: Any, details: dict[str, Any]
) -> None:
    record_event(
        session,
        actor=principal.actor,
        action=action,
        object_type="persons",
        object_id=person.id,
        details={"project": person.project_id, "code": person.code, **details},
    )


def _query(person: Any, identity: Any) -> screening.Query | None:
    """The screening query for a person from its vault identity: its names, date of birth and
    nationalities; None when the identity holds no name."""
    names = [entry.name for entry in identity.names if entry.name.strip()]
    if not names:
        return None
    properties: dict[str, list[str]] = {"name": names[:1]}
    if names[1:]:
        properties["alias"] = names[1:]
    if identity.birth_date and person.kind == "individual":
        properties["birthDate"] = [identity.birth_date]
    if identity.nationalities:
        prop = "nationality" if person.kind == "individual" else "country"
        properties[prop] = list(identity.nationalities)
    schema = "Person" if person.kind == "individual" else "Organization"
    return screening.Query(key=person.id, schema=schema, properties=properties)


def screen_perpetrators(
    session: Session,
    principal: Principal,
    keyring: Keyring,
    index: Any,
    project_id: str,
    *,
    threshold: float = screening.DEFAULT_THRESHOLD,
    person_ids: Sequence[str] | None = None,
) -> list[Screened]:
    """Screen a project's perpetrators (or those of `person_ids`) against every list and suggest
    the entities that match and are not linked yet. Needs sight of identities (their names)."""
    principal.require(Permission.SCREENING_WRITE)
    if not docs.may_see_identities(principal):
        raise NotFound("no identities visible to you in this project")
    gap = accountability_gap(session, principal, project_id)
    chosen = [p for p in gap.perpetrators if person_ids is None or p.person.id in set(person_ids)]
    queries: list[screening.Query] = []
    results: dict[str, Screened] = {}
    for found in chosen:
        identity = docs.person_identity(session, principal, keyring, found.person.id)
        query = _query(found.person, identity) if identity is not None else None
        if query is None:
            results[found.person.id] = Screened(found.person, [], "no name in the identity vault")
            continue
        queries.append(query)
        results[found.person.id] = Screened(found.person, [])
    options = screening.Options(threshold=threshold)
    outcomes = screening.match_unrecorded(index, queries, options)
    linked = {p.person.id: {link.entity_id for link in p.links} for p in chosen}
    for outcome in outcomes:
        results[outcome.key].suggestions = [
            Suggestion(
                entity_id=hit.record.id,
                caption=hit.record.caption,
                schema=hit.record.schema,
                datasets=sorted(hit.record.datasets),
                score=round(hit.scored.score, 4),
            )
            for hit in outcome.hits
            if hit.match and hit.record.id not in linked[outcome.key]
        ]
    record_event(
        session,
        actor=principal.actor,
        action="dossiers.screened",
        object_type="project",
        object_id=project_id,
        details={
            "algorithm": f"{screening.ALGORITHM}/{screening.ALGORITHM_VERSION}",
            "threshold": threshold,
            "list_versions": dict(index.versions),
            "screened": {
                screened.person.code: [[s.entity_id, s.score] for s in screened.suggestions]
                for screened in results.values()
                if screened.skipped is None
            },
            "skipped": sorted(s.person.code for s in results.values() if s.skipped),
        },
    )
    return [results[p.person.id] for p in chosen]
