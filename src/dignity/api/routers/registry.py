"""Registry API: lists, versions, deltas, entities with provenance, and statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from dignity.api.auth import api_permission
from dignity.api.deps import SessionDep
from dignity.exc import NotFound
from dignity.registry import services as registry
from dignity.registry.models import ListVersion
from dignity.registry.statistics import Breakdown, designation_stats, year_sentence
from dignity.security.authz import Principal
from dignity.security.permissions import Permission

router = APIRouter(prefix="/api/registry", tags=["registry"])

ReaderDep = Annotated[Principal, Depends(api_permission(Permission.REGISTRY_READ))]


class VersionRead(BaseModel):
    list_name: str
    version: int
    publisher_date: str | None
    imported_at: datetime
    content_hash: str
    source_name: str
    targets: int
    entities: int
    statements: int


class ListRead(BaseModel):
    name: str
    title: str
    publisher: str
    format: str
    current: VersionRead | None


class ValueRead(BaseModel):
    prop: str
    value: str
    lang: str | None
    list_name: str
    since_version: int
    since_date: str | None


class EntityRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: str
    schema_: str = Field(alias="schema")
    caption: str
    values: list[ValueRead]


class ChangeRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: str
    schema_: str = Field(alias="schema")
    caption: str
    added: list[tuple[str, str]]
    removed: list[tuple[str, str]]


class DeltaRead(BaseModel):
    list_name: str
    old: int
    new: int
    added: list[ChangeRead]
    removed: list[ChangeRead]
    changed: list[ChangeRead]


class CountRead(BaseModel):
    key: str
    targets: int
    filter: dict[str, str]


class StatsRead(BaseModel):
    total: int
    people_and_entities: int
    human_rights: int
    undated: int
    by_list: list[CountRead]
    by_program: list[CountRead]
    by_theme: list[CountRead]
    by_country: list[CountRead]
    by_year: list[CountRead]
    sentence: str | None


def _version(version: ListVersion) -> VersionRead:
    return VersionRead(
        list_name=version.list_id,
        version=version.seq,
        publisher_date=version.publisher_date,
        imported_at=version.imported_at,
        content_hash=version.content_hash,
        source_name=version.source_name,
        targets=version.targets,
        entities=version.entities,
        statements=version.statements,
    )


def _counts(breakdown: Breakdown) -> list[CountRead]:
    return [CountRead(key=k, targets=n, filter=q.as_params()) for k, n, q in breakdown.rows]


@router.get("/lists", response_model=list[ListRead], summary="Lists and their current versions")
def lists(session: SessionDep, _reader: ReaderDep) -> list[ListRead]:
    return [
        ListRead(
            name=source.id,
            title=source.title,
            publisher=source.publisher,
            format=source.format,
            current=_version(version) if version else None,
        )
        for source, version in registry.source_lists(session)
    ]


@router.get("/lists/{list_id}/versions", response_model=list[VersionRead], summary="Versions")
def versions(session: SessionDep, _reader: ReaderDep, list_id: str) -> list[VersionRead]:
    found = registry.list_versions(session, list_id)
    if not found:
        raise NotFound("no such list")
    return [_version(v) for v in found]


@router.get("/lists/{list_id}/delta", response_model=DeltaRead, summary="Changes between versions")
def delta(
    session: SessionDep,
    _reader: ReaderDep,
    list_id: str,
    old: Annotated[int, Query(alias="from", ge=1)],
    new: Annotated[int, Query(alias="to", ge=1)],
) -> DeltaRead:
    change = registry.delta(session, list_id, old, new)

    def items(changes: list[registry.EntityChange]) -> list[ChangeRead]:
        return [
            ChangeRead(
                id=c.entity_id,
                schema_=c.schema,
                caption=c.caption,
                added=c.added,
                removed=c.removed,
            )
            for c in changes
        ]

    return DeltaRead(
        list_name=list_id,
        old=old,
        new=new,
        added=items(change.added),
        removed=items(change.removed),
        changed=items(change.changed),
    )


@router.get(
    "/entities/{entity_id}", response_model=EntityRead, summary="An entity, with provenance"
)
def entity(session: SessionDep, _reader: ReaderDep, entity_id: str) -> EntityRead:
    values = registry.entity_statements(session, entity_id)
    return EntityRead(
        id=entity_id,
        schema_=values[0][0].schema,
        caption=registry.caption(values),
        values=[
            ValueRead(
                prop=s.prop,
                value=s.value,
                lang=s.lang,
                list_name=s.list_id,
                since_version=v.seq,
                since_date=v.publisher_date,
            )
            for s, v in values
        ],
    )


@router.get("/stats", response_model=StatsRead, summary="Designation statistics")
def stats(
    session: SessionDep,
    _reader: ReaderDep,
    year: Annotated[int | None, Query(ge=1945, le=2100)] = None,
) -> StatsRead:
    """Counts of current targets; every count carries the filter that lists its targets."""
    figures = designation_stats(session)
    return StatsRead(
        total=figures.total,
        people_and_entities=figures.people_and_entities,
        human_rights=figures.human_rights,
        undated=figures.undated,
        by_list=_counts(figures.by_list),
        by_program=_counts(figures.by_program),
        by_theme=_counts(figures.by_theme),
        by_country=_counts(figures.by_country),
        by_year=_counts(figures.by_year),
        sentence=year_sentence(session, year).text if year else None,
    )
