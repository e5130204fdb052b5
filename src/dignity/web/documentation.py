"""Documentation pages that list: the events of the caller's projects with filters and full-text
search, the timeline, and the plain list of any other record type. One record (the event story
for an event) and its history are in `documentation_story`; forms in `documentation_forms`.

Every query is limited to the caller's projects (`project_filter`), as the services are; filters
are GET parameters, so a filtered list is a link that can be bookmarked and shared. Partial dates
(`2023`, `2023-06`, `2023-06-17`) compare as strings, which orders them correctly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

import dignity.web.documentation_shared  # noqa: F401 (template globals)
from dignity.api.auth import LiveSessionDep
from dignity.api.deps import SessionDep
from dignity.documentation import search
from dignity.documentation.fields import (
    Field,
    RecordType,
    country_problem,
    partial_date_problem,
)
from dignity.documentation.models import Event, Managed
from dignity.documentation.services import record_type
from dignity.security.authz import Principal, project_filter
from dignity.security.models import Project
from dignity.security.permissions import Permission
from dignity.security.sessions import LiveSession
from dignity.vocab.thesauri import thesaurus
from dignity.web.documentation_display import (
    common,
    field_parts,
    load_records,
    page_language,
    ref_labels,
    short_text,
    visible_projects,
)
from dignity.web.documentation_shared import ReaderDep
from dignity.web.templating import render

router = APIRouter(prefix="/records", include_in_schema=False)

PAGE_SIZE = 50
TIMELINE_SIZE = 250
SEARCH_SHOWN = 100
SNIPPET = 160
PAGE_MAX = 100_000
EVENT_FILTERS = ("project", "violation", "country", "date_from", "date_to", "status", "q")

# What the list of each record type shows, after the record itself.
COLUMNS = {
    "event-links": ("from_event_id", "link_type", "to_event_id"),
    "persons": ("kind", "sex", "perpetrator_type", "occupation"),
    "acts": ("act_type", "event_id", "victim_id", "start_date", "victim_status_end"),
    "involvements": ("perpetrator_id", "degree", "act_id", "latest_status"),
    "information": ("source_id", "event_id", "person_id", "reliability", "date"),
    "interventions": ("intervention_type", "event_id", "intervening_party_id", "date", "status"),
    "relations": ("person_id", "relation_type", "related_id", "start_date", "end_date"),
    "counts": ("event_id", "what", "minimum", "maximum", "counting_unit"),
}


def codes_under(vocabulary: str, code: str) -> list[str]:
    """The code and every narrower term (a filter on `violation.torture` finds its kinds too)."""
    return [code, *(term.code for term in thesaurus(vocabulary).descendants(code))]


def has_any(session: Session, column: Any, codes: Sequence[str]) -> ColumnElement[bool]:
    """Whether the JSON list in `column` holds one of `codes` (json_each / json_array_elements)."""
    if session.get_bind().dialect.name == "sqlite":
        items = func.json_each(column).table_valued("value")
    else:
        items = func.json_array_elements_text(column).table_valued("value")
    return exists(select(1).select_from(items).where(items.c.value.in_(codes)))


def _page_number(raw: str, errors: dict[str, list[str]]) -> int:
    if not raw:
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= PAGE_MAX:
        errors["page"] = ["A page number from 1."]
        return 1
    return int(raw)


def _query_string(values: Mapping[str, str], **extra: object) -> str:
    pairs = [(k, v) for k, v in values.items() if v and k not in extra]
    return urlencode([*pairs, *((k, v) for k, v in extra.items() if v)])


def _pages(total: int, size: int) -> int:
    return max(1, -(-total // size))


# --- the events list and the timeline ------------------------------------------------------


@dataclass
class EventQuery:
    """The filters as typed, what they mean as SQL, and what is wrong with them."""

    values: dict[str, str]
    where: list[ColumnElement[bool]] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    page: int = 1

    def link(self, **extra: object) -> str:
        return _query_string(self.values, **extra)


def parse_events(
    session: Session, principal: Principal, raw: Mapping[str, str], projects: list[Project]
) -> EventQuery:
    values = {k: raw.get(k, "").strip()[:200] for k in EVENT_FILTERS}
    query = EventQuery(values)
    errors = query.errors
    query.page = _page_number(raw.get("page", "").strip(), errors)
    query.where.append(project_filter(principal, Event.project_id))
    if values["project"]:
        if values["project"] in {p.id for p in projects}:
            query.where.append(Event.project_id == values["project"])
        else:
            errors["project"] = ["Choose one of your projects."]
    if values["violation"]:
        if values["violation"] in thesaurus("violation"):
            codes = codes_under("violation", values["violation"])
            query.where.append(has_any(session, Event.violation_types, codes))
        else:
            errors["violation"] = ["Choose one of the violation types offered."]
    if values["country"]:
        country = values["country"] = values["country"].lower()
        if country_problem(country):
            errors["country"] = ["Write a country code of two letters (sd, ua, mm)."]
        else:
            query.where.append(Event.country == country)
    if values["status"]:
        if values["status"] in thesaurus("monitoring"):
            query.where.append(
                Event.monitoring_status.in_(codes_under("monitoring", values["status"]))
            )
        else:
            errors["status"] = ["Choose one of the statuses offered."]
    for name in ("date_from", "date_to"):
        if values[name] and partial_date_problem(values[name]):
            errors[name] = ["Write YYYY, YYYY-MM or YYYY-MM-DD."]
    if values["date_from"] and "date_from" not in errors:
        query.where.append(Event.start_date >= values["date_from"])
    if values["date_to"] and "date_to" not in errors:
        # Up to the end of the period: 2023-06 takes in 2023-06-30 ("2023-06-99" sorts after).
        end = values["date_to"] + "-99" * (2 - values["date_to"].count("-"))
        query.where.append(Event.start_date <= end)
    return query


def _filter_context(principal: Principal, projects: list[Project]) -> dict[str, Any]:
    return {
        "projects": projects,
        "violations": list(thesaurus("violation")),
        "statuses": list(thesaurus("monitoring")),
        "can_write": principal.can(Permission.RECORDS_WRITE),
    }


def _search_rows(
    session: Session, principal: Principal, text: str, project: str | None, language: str
) -> list[dict[str, Any]]:
    found = search.search(session, principal, text, project_id=project, limit=SEARCH_SHOWN)
    wanted: dict[str, list[str]] = {}
    for hit in found:
        wanted.setdefault(hit.record_type, []).append(hit.record_id)
    records = load_records(session, principal, wanted)
    rows = []
    for hit in found:
        record = records.get(hit.record_id)
        if record is None:
            continue
        snippet = next(
            (
                str(value)
                for name in search.SEARCHED.get(hit.record_type, ())
                if (value := getattr(record, name, "")) and name not in ("title", "code")
            ),
            "",
        )
        rows.append(
            {
                "type": hit.record_type,
                "id": hit.record_id,
                "project_id": hit.project_id,
                "text": short_text(hit.record_type, record, language),
                "snippet": snippet[:SNIPPET] + ("…" if len(snippet) > SNIPPET else ""),
            }
        )
    return rows


@router.get("", response_class=HTMLResponse)
def events_list(
    request: Request, session: SessionDep, reader: ReaderDep, live: LiveSessionDep
) -> HTMLResponse:
    projects = visible_projects(session, reader)
    query = parse_events(session, reader, request.query_params, projects)
    language = page_language(request)
    rows: list[Event] = []
    results: list[dict[str, Any]] = []
    total = 0
    if not query.errors and query.values["q"]:
        results = _search_rows(
            session, reader, query.values["q"], query.values["project"] or None, language
        )
    elif not query.errors:
        total, rows = dated_then_undated(
            session, query.where, newest_first=True, page=query.page, size=PAGE_SIZE
        )
    return render(
        request,
        "documentation/list.html",
        status=422 if query.errors else 200,
        live=live,
        query=query,
        values=query.values,
        errors=query.errors,
        rows=rows,
        results=results,
        search_max=SEARCH_SHOWN,
        total=total,
        page=query.page,
        pages=_pages(total, PAGE_SIZE),
        page_link=lambda n: query.link(page=n),
        names={p.id: p.name for p in projects},
        **_filter_context(reader, projects),
        **common(request),
    )


@dataclass
class Month:
    key: str  # 2023-06, or 2023 for the events known only by their year
    label: str
    events: list[Event] = field(default_factory=list)


@dataclass
class Year:
    year: str
    months: list[Month] = field(default_factory=list)


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def dated_then_undated(
    session: Session, where: Sequence[Any], *, newest_first: bool, page: int, size: int
) -> tuple[int, list[Event]]:
    """How many events match, and one page of them: those with a date in date order (then by
    entry), followed by those without one.

    Two queries instead of one ORDER BY with NULLS LAST: each walks the index on
    (start_date, entered_at, id) in one direction, on SQLite and PostgreSQL alike, so a page
    costs the same with 50 events or 500,000 (a NULLS LAST order makes PostgreSQL sort them all).
    """
    dated = [*where, Event.start_date.is_not(None)]
    undated = [*where, Event.start_date.is_(None)]
    total, count_dated = session.execute(
        select(func.count(), func.count(Event.start_date)).select_from(Event).where(*where)
    ).one()
    columns = (Event.start_date, Event.entered_at, Event.id)
    order = [c.desc() for c in columns] if newest_first else list(columns)
    start = (page - 1) * size
    rows: list[Event] = []
    if start < count_dated:
        rows = list(
            session.execute(
                select(Event).where(*dated).order_by(*order).offset(start).limit(size)
            ).scalars()
        )
    if len(rows) < size:
        rows += session.execute(
            select(Event)
            .where(*undated)
            .order_by(*order[1:])
            .offset(max(start - count_dated, 0))
            .limit(size - len(rows))
        ).scalars()
    return total, rows


def group_by_month(events: Iterable[Event]) -> tuple[list[Year], list[Event]]:
    """Events in date order grouped by year then month; those of unknown date apart."""
    years: list[Year] = []
    undated: list[Event] = []
    for event in events:
        if not event.start_date:
            undated.append(event)
            continue
        year, key = event.start_date[:4], event.start_date[:7]
        if not years or years[-1].year != year:
            years.append(Year(year))
        months = years[-1].months
        if not months or months[-1].key != key:
            label = (
                f"{MONTHS[int(key[5:7]) - 1]} {year}" if len(key) == 7 else f"{year}, month unknown"
            )
            months.append(Month(key, label))
        months[-1].events.append(event)
    return years, undated


@router.get("/timeline", response_class=HTMLResponse)
def timeline(
    request: Request, session: SessionDep, reader: ReaderDep, live: LiveSessionDep
) -> HTMLResponse:
    projects = visible_projects(session, reader)
    query = parse_events(session, reader, request.query_params, projects)
    years: list[Year] = []
    undated: list[Event] = []
    total = 0
    if not query.errors:
        where = list(query.where)
        if query.values["q"]:
            found = search.search(
                session,
                reader,
                query.values["q"],
                project_id=query.values["project"] or None,
                types=["events"],
                limit=search.LIMIT_MAX,
            )
            where.append(Event.id.in_([hit.record_id for hit in found]))
        total, events = dated_then_undated(
            session, where, newest_first=False, page=query.page, size=TIMELINE_SIZE
        )
        years, undated = group_by_month(events)
    return render(
        request,
        "documentation/timeline.html",
        status=422 if query.errors else 200,
        live=live,
        query=query,
        values=query.values,
        errors=query.errors,
        years=years,
        undated=undated,
        total=total,
        page=query.page,
        pages=_pages(total, TIMELINE_SIZE),
        page_link=lambda n: query.link(page=n),
        names={p.id: p.name for p in projects},
        **_filter_context(reader, projects),
        **common(request),
    )


# --- any other record type ------------------------------------------------------------------


def filter_fields(kind: RecordType) -> list[Field]:
    """The fields a list of `kind` may be filtered on: one term or one choice each."""
    return [f for f in kind.fields if f.kind in ("code", "choice") and f.vocabulary != "date"]


def _list_records(
    request: Request,
    session: Session,
    live: LiveSession,
    principal: Principal,
    kind: RecordType,
) -> HTMLResponse:
    projects = visible_projects(session, principal)
    model: Any = kind.model
    fields = filter_fields(kind)
    raw = request.query_params
    values = {k: raw.get(k, "").strip()[:200] for k in ("project", *(f.name for f in fields))}
    errors: dict[str, list[str]] = {}
    page = _page_number(raw.get("page", "").strip(), errors)
    where: list[ColumnElement[bool]] = [project_filter(principal, model.project_id)]
    if values["project"]:
        if values["project"] in {p.id for p in projects}:
            where.append(model.project_id == values["project"])
        else:
            errors["project"] = ["Choose one of your projects."]
    for f in fields:
        value = values[f.name]
        if not value:
            continue
        column = getattr(model, f.name)
        if f.kind == "choice" and value in f.choices:
            where.append(column == value)
        elif f.kind == "code" and value in thesaurus(f.vocabulary):
            where.append(column.in_(codes_under(f.vocabulary, value)))
        else:
            errors[f.name] = ["Choose one of the values offered."]
    rows: list[Managed] = []
    total = 0
    if not errors:
        total = session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
        rows = list(
            session.execute(
                select(model)
                .where(*where)
                .order_by(model.entered_at.desc(), model.id.desc())
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE)
            ).scalars()
        )
    language = page_language(request)
    columns = [c for name in COLUMNS[kind.name] if (c := kind.field(name)) is not None]
    labels = ref_labels(session, principal, kind, rows, language, [c.name for c in columns])
    return render(
        request,
        "documentation/records.html",
        status=422 if errors else 200,
        live=live,
        kind=kind,
        rows=[
            {
                "record": r,
                "text": short_text(kind.name, r, language),
                "cells": [field_parts(r, c, language, labels) for c in columns],
            }
            for r in rows
        ],
        columns=columns,
        fields=fields,
        terms={f.name: list(thesaurus(f.vocabulary)) for f in fields if f.kind == "code"},
        values=values,
        errors=errors,
        total=total,
        page=page,
        pages=_pages(total, PAGE_SIZE),
        page_link=lambda n: _query_string(values, page=n),
        projects=projects,
        names={p.id: p.name for p in projects},
        **common(request),
    )


@router.get("/{type_name}", response_class=HTMLResponse)
def records_list(
    request: Request,
    session: SessionDep,
    reader: ReaderDep,
    live: LiveSessionDep,
    type_name: Annotated[str, PathParam(max_length=32)],
) -> Response:
    if type_name == "events":
        query = request.url.query
        return RedirectResponse("/records" + (f"?{query}" if query else ""), status_code=303)
    return _list_records(request, session, live, reader, record_type(type_name))
