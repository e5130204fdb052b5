"""Perpetrators API: documented alleged perpetrators against the registry.

    GET    /api/projects/{project}/perpetrators          the accountability gap of a project
    POST   /api/projects/{project}/perpetrators/screen   screen them all; suggestions to link
    GET    /api/perpetrators/{person}                    one perpetrator with its designations
    POST   /api/perpetrators/{person}/links              link to a registry entity
    DELETE /api/perpetrators/{person}/links/{entity}     remove a link

Reading needs `records:read` and `registry:read`, linking `records:write`, screening
`screening:write` and sight of identities (names live in the identity vault). A person of
another project is "not found", as a wrong id.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from dignity.api.auth import api_permission
from dignity.api.deps import SessionDep
from dignity.dossiers import services as dossiers
from dignity.screening.score import DEFAULT_THRESHOLD
from dignity.screening.services import IndexCache
from dignity.security.authz import Principal
from dignity.security.permissions import Permission

router = APIRouter(tags=["perpetrators"])

ReaderDep = Annotated[Principal, Depends(api_permission(Permission.RECORDS_READ))]
WriterDep = Annotated[Principal, Depends(api_permission(Permission.RECORDS_WRITE))]
ScreenerDep = Annotated[Principal, Depends(api_permission(Permission.SCREENING_WRITE))]
Id = Annotated[str, PathParam(max_length=200)]


class LinkBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entity_id: str = Field(max_length=200)
    method: str = Field("manual", max_length=16)
    score: float | None = None
    note: str = Field("", max_length=dossiers.NOTE_MAX)


class ScreenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(DEFAULT_THRESHOLD, ge=0, le=1)
    persons: list[Annotated[str, Field(max_length=64)]] | None = None


def _perpetrator(found: dossiers.Perpetrator, gap: dossiers.Gap) -> dict[str, Any]:
    person = found.person
    return {
        "id": person.id,
        "code": person.code,
        "kind": person.kind,
        "perpetrator_type": person.perpetrator_type,
        "acts": found.acts,
        "events": found.events,
        "links": [
            {
                "entity_id": link.entity_id,
                "caption": gap.captions.get(link.entity_id, link.entity_id),
                "method": link.method,
                "score": link.score,
                "note": link.note,
                "created_by": link.created_by,
                "created_at": link.created_at.isoformat(),
            }
            for link in found.links
        ],
        "designations": [
            {
                "list": d.list_id,
                "entity_id": d.entity_id,
                "authority": d.authority,
                "program": d.program,
                "listed": d.listed,
            }
            for d in found.designations
        ],
        "designated_by": found.designated_by,
        "not_designated_by": gap.missing(found),
    }


@router.get("/api/projects/{project}/perpetrators")
def project_perpetrators(project: Id, session: SessionDep, principal: ReaderDep) -> dict[str, Any]:
    gap = dossiers.accountability_gap(session, principal, project)
    return {
        "authorities": gap.authorities,
        "perpetrators": len(gap.perpetrators),
        "designated_nowhere": len(gap.designated_nowhere),
        "designated_partly": len(gap.designated_partly),
        "results": [_perpetrator(found, gap) for found in gap.perpetrators],
    }


@router.post("/api/projects/{project}/perpetrators/screen")
def screen_perpetrators(
    project: Id,
    body: ScreenBody,
    request: Request,
    session: SessionDep,
    principal: ScreenerDep,
) -> dict[str, Any]:
    cache: IndexCache = request.app.state.screening_index
    screened = dossiers.screen_perpetrators(
        session,
        principal,
        request.app.state.keyring,
        cache.get(session),
        project,
        threshold=body.threshold,
        person_ids=body.persons,
    )
    return {
        "threshold": body.threshold,
        "results": [
            {
                "id": s.person.id,
                "code": s.person.code,
                "skipped": s.skipped,
                "suggestions": [vars(suggestion) for suggestion in s.suggestions],
            }
            for s in screened
        ],
    }


@router.get("/api/perpetrators/{person}")
def perpetrator(person: Id, session: SessionDep, principal: ReaderDep) -> dict[str, Any]:
    found, gap = dossiers.perpetrator(session, principal, person)
    return _perpetrator(found, gap)


@router.post("/api/perpetrators/{person}/links", status_code=201)
def link(person: Id, body: LinkBody, session: SessionDep, principal: WriterDep) -> dict[str, Any]:
    dossiers.link(
        session,
        principal,
        person,
        body.entity_id,
        method=body.method,
        score=body.score,
        note=body.note,
    )
    found, gap = dossiers.perpetrator(session, principal, person)
    return _perpetrator(found, gap)


@router.delete("/api/perpetrators/{person}/links/{entity}", status_code=204)
def unlink(person: Id, entity: Id, session: SessionDep, principal: WriterDep) -> None:
    dossiers.unlink(session, principal, person, entity)
