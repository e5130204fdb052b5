"""Registry pages: lists and their versions, deltas, entities with provenance, statistics."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from dignity.api.auth import LiveSessionDep, web_permission
from dignity.api.deps import SessionDep, SettingsDep
from dignity.exc import NotFound
from dignity.registry import services as registry
from dignity.registry.models import ListVersion
from dignity.registry.statistics import (
    TargetQuery,
    designation_stats,
    select_targets,
    year_sentence,
)
from dignity.security.authz import Principal
from dignity.security.permissions import Permission
from dignity.settings import Settings
from dignity.web.charts import bar_chart, column_chart
from dignity.web.templating import render

router = APIRouter(prefix="/registry", include_in_schema=False)

ReaderDep = Annotated[Principal, Depends(web_permission(Permission.REGISTRY_READ))]
MAX_TARGETS = 500


def list_date(version: ListVersion) -> date:
    """The date a version speaks for: the publisher's, or the import's when the file has none."""
    if version.publisher_date:
        return date.fromisoformat(version.publisher_date[:10])
    return version.imported_at.date()


def is_stale(version: ListVersion, settings: Settings) -> bool:
    return (datetime.now(UTC).date() - list_date(version)).days > settings.list_stale_days


@router.get("", response_class=HTMLResponse)
def lists_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    live: LiveSessionDep,
) -> HTMLResponse:
    rows = [
        (
            source,
            version,
            list_date(version) if version else None,
            is_stale(version, settings) if version else False,
        )
        for source, version in registry.source_lists(session)
    ]
    return render(
        request, "registry/lists.html", live=live, rows=rows, stale_days=settings.list_stale_days
    )


@router.get("/lists/{list_id}", response_class=HTMLResponse)
def list_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    live: LiveSessionDep,
    list_id: str,
) -> HTMLResponse:
    versions = registry.list_versions(session, list_id)
    if not versions:
        raise NotFound("no such list")
    current = versions[-1]
    return render(
        request,
        "registry/list.html",
        live=live,
        list_id=list_id,
        versions=list(reversed(versions)),
        current=current,
        date=list_date(current),
        stale=is_stale(current, settings),
        stale_days=settings.list_stale_days,
        report=registry.version_report(current),
    )


@router.get("/lists/{list_id}/delta", response_class=HTMLResponse)
def delta_page(
    request: Request,
    session: SessionDep,
    _reader: ReaderDep,
    live: LiveSessionDep,
    list_id: str,
    old: Annotated[int, Query(alias="from", ge=1)],
    new: Annotated[int, Query(alias="to", ge=1)],
) -> HTMLResponse:
    change = registry.delta(session, list_id, old, new)
    versions = {v.seq: v for v in registry.list_versions(session, list_id)}
    return render(
        request,
        "registry/delta.html",
        live=live,
        change=change,
        old_version=versions[old],
        new_version=versions[new],
        old_date=list_date(versions[old]),
        new_date=list_date(versions[new]),
    )


@router.get("/entities/{entity_id}", response_class=HTMLResponse)
def entity_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    live: LiveSessionDep,
    entity_id: str,
) -> HTMLResponse:
    values = registry.entity_statements(session, entity_id)
    lists = {version.list_id for _, version in values}
    current = {list_id: registry.current_version(session, list_id) for list_id in lists}
    dates = {k: (list_date(v), is_stale(v, settings)) for k, v in current.items() if v}
    related = registry.related_entities(session, entity_id)
    return render(
        request,
        "registry/entity.html",
        live=live,
        entity_id=entity_id,
        values=values,
        dates=dates,
        related=related,
        schema=values[0][0].schema,
        caption=registry.caption(values),
    )


@router.get("/stats", response_class=HTMLResponse)
def stats_page(
    request: Request,
    session: SessionDep,
    _reader: ReaderDep,
    live: LiveSessionDep,
    year: Annotated[int | None, Query(ge=1945, le=2100)] = None,
) -> HTMLResponse:
    stats = designation_stats(session)
    years = [int(y) for y, _, _ in stats.by_year.rows]
    chosen = year or (max(years) if years else datetime.now(UTC).year)
    sentence = year_sentence(session, chosen)
    charts = {
        "list": bar_chart("Designations by list", [(k, n) for k, n, _ in stats.by_list.rows]),
        "year": column_chart("By year of listing", [(k, n) for k, n, _ in stats.by_year.rows]),
        "theme": bar_chart("By theme of the program", [(k, n) for k, n, _ in stats.by_theme.rows]),
    }
    return render(
        request,
        "registry/stats.html",
        live=live,
        stats=stats,
        sentence=sentence,
        years=sorted(set(years), reverse=True),
        charts=charts,
        chosen=chosen,
    )


@router.get("/targets", response_class=HTMLResponse)
def targets_page(
    request: Request,
    session: SessionDep,
    _reader: ReaderDep,
    live: LiveSessionDep,
    list_id: Annotated[str | None, Query(alias="list", max_length=100)] = None,
    program: Annotated[str | None, Query(max_length=200)] = None,
    country: Annotated[str | None, Query(max_length=20)] = None,
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    schema: Annotated[str | None, Query(max_length=64)] = None,
    theme: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    query = TargetQuery(list_id, program, country, year, schema, theme)
    targets = select_targets(session, query)
    captions = registry.captions(session, [t.entity_id for t in targets[:MAX_TARGETS]])
    return render(
        request,
        "registry/targets.html",
        live=live,
        query=query,
        total=len(targets),
        targets=targets[:MAX_TARGETS],
        captions=captions,
        limit=MAX_TARGETS,
    )
