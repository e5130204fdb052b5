"""Fewer interviews (Murad Code): before a survivor is interviewed, find who in the caller's
projects may be the same person, and the testimony they already gave, so that it is reused
instead of asked again.

Names live sealed in the identity vault, so the search opens the identities of the persons the
caller may see (need-to-know only: `identities:read` and project membership) and compares names
there, in memory: nothing is indexed, and the name searched for is never stored or logged (the
audit event says that a search was made, by whom and how many persons it found). Names are
compared in Latin letters (`rigour`'s transliteration, accents and case folded) with token-order
independent fuzzy matching, so Zainab Abakar, ABAKAR Zaynab and زينب أبكر meet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz
from rigour.text import ascii_text
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dignity.audit import record_event
from dignity.consent.services import may_see_identities, read_identity
from dignity.documentation.models import Act, Information, Person
from dignity.exc import FieldError, InvalidInput, NotFound
from dignity.security.authz import Principal, project_filter
from dignity.security.crypto import Keyring
from dignity.security.permissions import Permission

THRESHOLD = 85.0  # token-set similarity (0-100) for "may be the same person"
LIMIT = 25
NAME_MAX = 300
TESTIMONY = "material.testimony"


@dataclass
class Candidate:
    person: Person
    score: float
    name: str  # the name of the identity that matched (shown only to need-to-know callers)
    testimonies: list[Information] = field(default_factory=list)
    acts: int = 0


def _key(name: str) -> str:
    return " ".join(ascii_text(name).casefold().split())


def earlier_testimony(
    session: Session,
    principal: Principal,
    keyring: Keyring,
    name: str,
    *,
    project_id: str | None = None,
) -> list[Candidate]:
    """The persons whose identity has a name like `name`, best first, with their testimony."""
    principal.require(Permission.RECORDS_READ)
    if not may_see_identities(principal):
        raise NotFound("no identities visible to you")
    wanted = _key(name)
    if not wanted or len(name) > NAME_MAX:
        raise InvalidInput(
            "nothing to look for", [FieldError("name", f"a name of 1 to {NAME_MAX} characters")]
        )
    where = [Person.identity_id.is_not(None), project_filter(principal, Person.project_id)]
    if project_id:
        where.append(Person.project_id == project_id)
    found: list[Candidate] = []
    for person in session.execute(select(Person).where(*where)).scalars():
        assert person.identity_id is not None  # noqa: S101 (selected above)
        identity = read_identity(session, principal, keyring, person.identity_id)
        best = max(
            ((fuzz.token_set_ratio(wanted, _key(n.name)), n.name) for n in identity.names),
            default=(0.0, ""),
        )
        if best[0] >= THRESHOLD:
            found.append(Candidate(person, round(best[0], 1), best[1]))
    found.sort(key=lambda c: (-c.score, c.person.code))
    found = found[:LIMIT]
    ids = [c.person.id for c in found]
    if ids:
        testimonies: dict[str, list[Information]] = {}
        for info in session.execute(
            select(Information)
            .where(Information.source_id.in_(ids))
            .order_by(Information.entered_at)
        ).scalars():
            testimonies.setdefault(info.source_id, []).append(info)
        acts = dict(
            session.execute(
                select(Act.victim_id, func.count())
                .where(Act.victim_id.in_(ids))
                .group_by(Act.victim_id)
            ).all()
        )
        for candidate in found:
            candidate.testimonies = testimonies.get(candidate.person.id, [])
            candidate.acts = int(acts.get(candidate.person.id, 0))
    record_event(
        session,
        actor=principal.actor,
        action="identities.searched",
        object_type="project",
        object_id=project_id or "",
        details={"purpose": "earlier testimony", "found": [c.person.code for c in found]},
    )
    return found


def is_testimony(info: Information) -> bool:
    return bool(info.material_type) and (
        info.material_type == TESTIMONY or str(info.material_type).startswith(TESTIMONY + ".")
    )
