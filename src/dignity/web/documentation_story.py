"""Documentation pages of one record: the story of an event (what happened, act by act, with its
victims, alleged perpetrators, sources, interventions, counts and linked events), any other record
with what refers to it, and the history of any record.

A page runs a fixed number of queries whatever the size of the store: the event's acts are read a
page at a time by `event_id` and everything they name with one `IN` query per table. Persons are
shown by their pseudonymous code only (identities live in the vault). A record of another project
is "not found", exactly as a missing id (the services say so).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any, cast

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

import dignity.web.documentation_shared  # noqa: F401 (template globals)
from dignity.api.auth import LiveSessionDep
from dignity.api.deps import SessionDep
from dignity.documentation import services as docs
from dignity.documentation.fields import MANAGEMENT, Field, RecordType
from dignity.documentation.models import (
    Act,
    Event,
    EventCount,
    EventLink,
    Information,
    Intervention,
    Involvement,
    Person,
)
from dignity.security.authz import Principal
from dignity.security.permissions import Permission
from dignity.web.consent import consent_context
from dignity.web.documentation_display import (
    PRECISION,
    actor_names,
    common,
    field_parts,
    load_records,
    page_language,
    parts,
    project_names,
    ref_labels,
    short_text,
)
from dignity.web.documentation_shared import ReaderDep, RecordId
from dignity.web.templating import render

router = APIRouter(prefix="/records", include_in_schema=False)

ACTS_SHOWN = 100  # acts per page of a story
RELATED_SHOWN = 100  # of each kind of record that names a person
TypeName = Annotated[str, PathParam(max_length=32)]


def _pages(total: int, size: int) -> int:
    return max(1, -(-total // size))


@router.get("/events/{record_id}", response_class=HTMLResponse)
def event_story(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    live: LiveSessionDep,
    record_id: RecordId,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    event = cast(Event, docs.get_record(session, reader, "events", record_id))
    ours = event.project_id
    acts_total = session.execute(
        select(func.count()).select_from(Act).where(Act.event_id == event.id)
    ).scalar_one()
    acts = list(
        session.execute(
            select(Act)
            .where(Act.event_id == event.id, Act.project_id == ours)
            .order_by(Act.start_date.asc().nulls_last(), Act.entered_at, Act.id)
            .offset((page - 1) * ACTS_SHOWN)
            .limit(ACTS_SHOWN)
        ).scalars()
    )
    involvements: dict[str, list[Involvement]] = defaultdict(list)
    for involvement in session.execute(
        select(Involvement)
        .where(Involvement.act_id.in_([a.id for a in acts]), Involvement.project_id == ours)
        .order_by(Involvement.entered_at, Involvement.id)
    ).scalars():
        involvements[involvement.act_id].append(involvement)
    sources = list(
        session.execute(
            select(Information)
            .where(Information.event_id == event.id, Information.project_id == ours)
            .order_by(Information.date.asc().nulls_last(), Information.entered_at, Information.id)
        ).scalars()
    )
    interventions = list(
        session.execute(
            select(Intervention)
            .where(Intervention.event_id == event.id, Intervention.project_id == ours)
            .order_by(Intervention.date.asc().nulls_last(), Intervention.entered_at)
        ).scalars()
    )
    counts = list(
        session.execute(
            select(EventCount)
            .where(EventCount.event_id == event.id, EventCount.project_id == ours)
            .order_by(EventCount.what, EventCount.entered_at)
        ).scalars()
    )
    links = list(
        session.execute(
            select(EventLink)
            .where(
                or_(EventLink.from_event_id == event.id, EventLink.to_event_id == event.id),
                EventLink.project_id == ours,
            )
            .order_by(EventLink.entered_at)
        ).scalars()
    )
    people = {a.victim_id for a in acts}
    people |= {i.perpetrator_id for found in involvements.values() for i in found}
    people |= {s.source_id for s in sources}
    people |= {i.intervening_party_id for i in interventions}
    people |= {i.victim_id for i in interventions if i.victim_id}
    others = {
        link.to_event_id if link.from_event_id == event.id else link.from_event_id for link in links
    }
    related = load_records(session, reader, {"persons": people, "events": others})
    return render(
        request,
        "documentation/story.html",
        live=live,
        event=event,
        project=project_names(session, [ours]).get(ours, ""),
        actors=actor_names(session, [event.entered_by, event.updated_by]),
        acts=[{"act": act, "involvements": involvements.get(act.id, [])} for act in acts],
        acts_total=acts_total,
        page=page,
        pages=_pages(acts_total, ACTS_SHOWN),
        first=(page - 1) * ACTS_SHOWN + 1,
        sources=sources,
        interventions=interventions,
        counts=counts,
        links=[
            {
                "link": link,
                "outgoing": link.from_event_id == event.id,
                "other": related.get(
                    link.to_event_id if link.from_event_id == event.id else link.from_event_id
                ),
            }
            for link in links
        ],
        persons=related,
        can_write=reader.can(Permission.RECORDS_WRITE),
        **common(request),
    )


# --- any other record -------------------------------------------------------------------------


def _person_context(session: Session, principal: Principal, person: Person) -> dict[str, Any]:
    """What names the person: acts against them, involvements as perpetrator, information they
    gave (each with its event), and information about them; the first of each, and how many."""

    def first(model: Any, *where: Any) -> tuple[list[Any], int]:
        total = session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
        rows = session.execute(
            select(model).where(*where).order_by(model.entered_at, model.id).limit(RELATED_SHOWN)
        ).scalars()
        return list(rows), total

    ours = person.project_id
    victim_of = first(Act, Act.victim_id == person.id, Act.project_id == ours)
    perpetrator_in = first(
        Involvement, Involvement.perpetrator_id == person.id, Involvement.project_id == ours
    )
    source_of = first(
        Information, Information.source_id == person.id, Information.project_id == ours
    )
    about = first(Information, Information.person_id == person.id, Information.project_id == ours)
    acts = load_records(session, principal, {"acts": [i.act_id for i in perpetrator_in[0]]})
    act_event = {a.id: a.event_id for a in victim_of[0]}
    act_event.update({i: cast(Act, a).event_id for i, a in acts.items()})
    events = load_records(
        session,
        principal,
        {
            "events": [*act_event.values(), *(i.event_id for i in source_of[0] if i.event_id)],
            "persons": [i.source_id for i in about[0]],
        },
    )
    return {
        "victim_of": victim_of,
        "perpetrator_in": perpetrator_in,
        "source_of": source_of,
        "about": about,
        "act_event": act_event,
        "acts": acts,
        "linked": events,
    }


def _shown_fields(kind: RecordType) -> list[Field]:
    """The record's own fields, a date's precision beside it, management fields apart."""
    hidden = {f.name for f in MANAGEMENT} | set(PRECISION.values())
    return [f for f in kind.fields if f.name not in hidden]


@router.get("/{type_name}/{record_id}", response_class=HTMLResponse)
def show_record(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    live: LiveSessionDep,
    type_name: TypeName,
    record_id: RecordId,
) -> HTMLResponse:
    kind = docs.record_type(type_name)
    record = docs.get_record(session, reader, type_name, record_id)
    language = page_language(request)
    labels = ref_labels(session, reader, kind, [record], language)
    context: dict[str, Any] = {}
    if isinstance(record, Person):
        context = _person_context(session, reader, record)
        if docs.may_see_identities(reader):  # otherwise the page says nothing of an identity
            context["identity"] = docs.person_identity(
                session, reader, request.app.state.keyring, record.id
            )
            context["may_edit_identity"] = reader.can(Permission.IDENTITIES_WRITE)
            context.update(consent_context(session, reader, request, record))
    return render(
        request,
        "documentation/record.html",
        live=live,
        kind=kind,
        record=record,
        title=short_text(type_name, record, language),
        rows=[(f, field_parts(record, f, language, labels)) for f in _shown_fields(kind)],
        management=[(f, field_parts(record, f, language, labels)) for f in MANAGEMENT],
        project=project_names(session, [record.project_id]).get(record.project_id, ""),
        actors=actor_names(session, [record.entered_by, record.updated_by]),
        can_write=reader.can(Permission.RECORDS_WRITE),
        **context,
        **common(request),
    )


@router.get("/{type_name}/{record_id}/history", response_class=HTMLResponse)
def record_history(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    live: LiveSessionDep,
    type_name: TypeName,
    record_id: RecordId,
) -> HTMLResponse:
    kind = docs.record_type(type_name)
    record = docs.get_record(session, reader, type_name, record_id)
    changes = docs.history(session, reader, type_name, record_id)
    language = page_language(request)
    wanted: dict[str, set[str]] = defaultdict(set)
    for change in changes:
        for name, values in change.changes.items():
            found = kind.field(name)
            if found is not None and found.kind in ("ref", "refs"):
                for value in values:
                    wanted[found.target].update(value if isinstance(value, list) else [value])
    named = load_records(session, reader, wanted)
    targets = {i: t for t, ids in wanted.items() for i in ids}
    labels = {i: short_text(targets[i], r, language) for i, r in named.items()}

    def side(name: str, value: Any) -> list[Any]:
        found = kind.field(name) or Field(name, "text")
        return parts(found, value, language, labels)

    return render(
        request,
        "documentation/history.html",
        live=live,
        kind=kind,
        record=record,
        title=short_text(type_name, record, language),
        changes=[
            {
                "change": change,
                "fields": [
                    (name, side(name, old), side(name, new))
                    for name, (old, new) in sorted(change.changes.items())
                ],
            }
            for change in changes
        ],
        actors=actor_names(session, [c.actor for c in changes]),
        **common(request),
    )
