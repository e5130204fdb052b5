"""The screening API, shaped like yente's so that existing OpenSanctions clients work unchanged.

`POST /match/{dataset}`, `GET /search/{dataset}`, `GET /entities/{id}`, `GET /algorithms` and
`GET /catalog` take and return what yente does (its `responses` envelope, `score` and `match` on
every result, `total` with its `relation`); Dignity adds `explanations` with every feature's
effect and the id of the stored screening record, which `GET /api/screenings/{id}` returns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from dignity.api.auth import api_permission
from dignity.api.deps import SessionDep
from dignity.exc import FieldError, InvalidInput, NotFound
from dignity.registry import services as registry
from dignity.screening import services as screening
from dignity.screening.index import MemoryIndex
from dignity.screening.records import Record, query_record
from dignity.screening.score import ALGORITHM, ALGORITHM_VERSION, DEFAULT_THRESHOLD
from dignity.security.authz import Principal
from dignity.security.permissions import Permission

router = APIRouter(tags=["screening"])

ScreenerDep = Annotated[Principal, Depends(api_permission(Permission.SCREENING_READ))]
# Names clients may ask for: Dignity's own, and yente's aliases for "the best one here".
ALGORITHM_NAMES = (ALGORITHM, "best", "default")
DEFAULT_CUTOFF = 0.5
MAX_QUERIES = 100
MAX_LIMIT = 100


class EntityQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str | None = None
    schema_: str = Field(alias="schema")
    properties: dict[str, list[str] | str] = Field(default_factory=dict)


class MatchRequest(BaseModel):
    queries: dict[str, EntityQuery]
    weights: dict[str, float] = Field(default_factory=dict)
    config: dict[str, Any] = Field(default_factory=dict)


def _index(request: Request, session: SessionDep) -> MemoryIndex:
    cache: screening.IndexCache = request.app.state.screening_index
    return cache.get(session)


IndexDep = Annotated[MemoryIndex, Depends(_index)]


def entity_json(record: Record) -> dict[str, Any]:
    """A listed entity as yente returns one."""
    return {
        "id": record.id,
        "caption": record.caption,
        "schema": record.schema,
        "properties": {k: list(v) for k, v in record.properties.items()},
        "datasets": list(record.datasets),
        "referents": [],
        "target": True,
    }


def _scored_json(hit: screening.Hit) -> dict[str, Any]:
    data = entity_json(hit.record)
    data["score"] = hit.scored.score
    data["match"] = hit.match
    data["features"] = {f.name: round(f.effect, 4) for f in hit.scored.features}
    data["explanations"] = {
        f.name: {
            "score": round(f.effect, 4),
            "detail": f.detail,
            "query": f.query,
            "candidate": f.candidate,
        }
        for f in hit.scored.features
    }
    return data


def _check_algorithm(algorithm: str) -> None:
    if algorithm not in ALGORITHM_NAMES:
        raise InvalidInput(
            "unknown algorithm",
            [FieldError("algorithm", f"{algorithm!r}; known: {', '.join(ALGORITHM_NAMES)}")],
        )


@router.post("/match/{dataset}")
def match(
    dataset: str,
    body: MatchRequest,
    session: SessionDep,
    index: IndexDep,
    principal: ScreenerDep,
    threshold: Annotated[float, Query(ge=0.0, le=1.0)] = DEFAULT_THRESHOLD,
    cutoff: Annotated[float, Query(ge=0.0, le=1.0)] = DEFAULT_CUTOFF,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = screening.DEFAULT_LIMIT,
    algorithm: str = ALGORITHM,
) -> dict[str, Any]:
    """Match entities by example: several queries per request, each scored and explained."""
    _check_algorithm(algorithm)
    if not body.queries or len(body.queries) > MAX_QUERIES:
        raise InvalidInput(
            "bad match request", [FieldError("queries", f"1 to {MAX_QUERIES} queries")]
        )
    queries = [screening.Query(key, q.schema_, q.properties) for key, q in body.queries.items()]
    options = screening.Options(
        dataset=dataset,
        threshold=threshold,
        limit=limit,
        settings={"cutoff": cutoff, "algorithm_requested": algorithm},
    )
    outcomes = screening.screen(
        session, index, queries, options, actor=principal.actor, channel="api"
    )
    responses = {}
    for query, outcome in zip(queries, outcomes, strict=True):
        hits = [hit for hit in outcome.hits if hit.scored.score >= cutoff]
        responses[query.key] = {
            "status": 200,
            "query": {"schema": query.schema, "properties": query.properties},
            "results": [_scored_json(hit) for hit in hits],
            "total": {"value": len(hits), "relation": "eq"},
            "screening_id": outcome.screening_id,
        }
    return {"responses": responses, "matcher": _algorithm_json(), "limit": limit}


@router.get("/search/{dataset}")
def search(
    dataset: str,
    index: IndexDep,
    _principal: ScreenerDep,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    schema: str = "LegalEntity",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
    offset: Annotated[int, Query(ge=0, le=1000)] = 0,
) -> dict[str, Any]:
    """Find listed entities by name (no screening record: this is browsing, not screening)."""
    query = query_record(schema, {"name": [q]}, key="q")
    options = screening.Options(dataset=dataset, limit=offset + limit)
    outcome = screening.match_one(index, query, options)
    hits = [hit for hit in outcome.hits if hit.scored.score >= DEFAULT_CUTOFF]
    return {
        "results": [entity_json(hit.record) for hit in hits[offset:]],
        "facets": {},
        "total": {"value": len(hits), "relation": "eq"},
        "limit": limit,
        "offset": offset,
    }


@router.get("/entities/{entity_id}")
def entity(entity_id: str, index: IndexDep, _principal: ScreenerDep) -> dict[str, Any]:
    record = index.get(entity_id)
    if record is None:
        raise NotFound("no such entity in the current lists")
    return entity_json(record)


def _algorithm_json() -> dict[str, Any]:
    return {
        "name": ALGORITHM,
        "version": ALGORITHM_VERSION,
        "description": (
            "Dignity's explainable matcher: names across scripts, then dates of birth, "
            "countries, gender and identifiers that confirm or contradict them."
        ),
        "docs": {
            "name_match": "best agreement of a query name with a listed name or alias",
            "date_match": "a date of birth (or incorporation, build) agrees",
            "date_mismatch": "dates of birth differ",
            "country_mismatch": "no nationality or country in common",
            "gender_mismatch": "genders differ",
            "identifier_match": "a passport, id, IMO, MMSI or other number is the same",
            "identifier_mismatch": "a number that names one thing only (IMO, MMSI) differs",
        },
    }


@router.get("/algorithms")
def algorithms(_principal: ScreenerDep) -> dict[str, Any]:
    return {"algorithms": [_algorithm_json()], "default": ALGORITHM, "best": ALGORITHM}


class DatasetRead(BaseModel):
    name: str
    title: str
    load: bool = True
    entity_count: int | None = None
    version: str | None = None
    last_change: datetime | None = None
    children: list[str] = Field(default_factory=list)


@router.get("/catalog")
def catalog(session: SessionDep, index: IndexDep, _principal: ScreenerDep) -> dict[str, Any]:
    datasets = [
        DatasetRead(
            name=source.id,
            title=source.title,
            entity_count=version.entities if version else None,
            version=str(version.seq) if version else None,
            last_change=version.imported_at if version else None,
        )
        for source, version in registry.source_lists(session)
    ]
    collection = DatasetRead(
        name=screening.DEFAULT_DATASET,
        title="Every list in this Dignity",
        children=[d.name for d in datasets],
        entity_count=len(index),
    )
    current = [collection.name, *(d.name for d in datasets)]
    return {
        "datasets": [d.model_dump(mode="json") for d in (collection, *datasets)],
        "current": current,
        "outdated": [],
        "index_stale": False,
    }


@router.get("/api/screenings/{screening_id}")
def screening_record(
    screening_id: str, session: SessionDep, principal: ScreenerDep
) -> dict[str, Any]:
    """The stored record of one screening: query, list versions, algorithm, results.

    Callers see their own screenings; the audit scope sees everyone's. Someone else's record is
    "not found", so ids cannot be probed.
    """
    row = screening.get_screening(session, screening_id)
    if row.actor != principal.actor and not principal.can(Permission.AUDIT_READ):
        raise NotFound("no such screening")
    return screening.screening_document(row)
