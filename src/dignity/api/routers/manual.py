"""Manual lists API: designations typed in by hand (7031(c) public designations, for instance).

Reading needs `registry:read`; creating lists and adding, editing or retiring designations needs
`registry:write` (a personal token of a screening officer or an administrator). Every change makes
the list's next version, returned as `list_version` (null when the change changed nothing).
Editing and retiring take the `revision` the caller read: a designation changed since gets 409.
Who entered a designation is kept in the audit log and is not served here.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from dignity.api.auth import api_permission
from dignity.api.deps import SessionDep
from dignity.registry import manual
from dignity.registry.models import ManualDesignation, SourceList
from dignity.registry.services import current_version
from dignity.screening.monitoring.jobs import MonitorJobs
from dignity.security.authz import Principal
from dignity.security.permissions import Permission

router = APIRouter(prefix="/api/registry/manual", tags=["manual designations"])

ReaderDep = Annotated[Principal, Depends(api_permission(Permission.REGISTRY_READ))]
WriterDep = Annotated[Principal, Depends(api_permission(Permission.REGISTRY_WRITE))]
ListId = Annotated[str, Path(max_length=100)]
DesignationId = Annotated[str, Path(max_length=36)]
# Generous bounds on the body; the exact rules (and their messages) are the service's.
Text = Annotated[str, Field(max_length=5000)]
Texts = Annotated[list[Annotated[str, Field(max_length=1000)]], Field(max_length=100)]


class ManualListCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200, description="List name: lowercase letters, digits and _.")
    title: str = Field(max_length=1000)
    publisher: str = Field(max_length=200, description="Publisher code, such as us-state.")
    source_url: str = Field("", max_length=1000, description="The publisher's page, if any.")


class ManualListRead(BaseModel):
    name: str
    title: str
    publisher: str
    source_url: str
    current_version: int | None


class DesignationFields(BaseModel):
    """Every field of a designation; see docs/sources.md for what each takes."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    schema_: str = Field("Person", alias="schema", max_length=100)
    name: Text = ""
    aliases: Texts = Field(default_factory=list)
    birth_date: Text = ""
    nationality: Texts = Field(default_factory=list)
    country: Texts = Field(default_factory=list)
    position: Text = ""
    identifiers: Texts = Field(default_factory=list)
    program: Text = ""
    authority: Text = ""
    reason: Text = ""
    source_url: Text = ""
    source_date: Text = ""
    listing_date: Text = ""


class DesignationCreate(DesignationFields):
    pass


class DesignationUpdate(BaseModel):
    """The fields to change (others keep their values; null or empty clears one), and the
    revision the change was made from."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    revision: int = Field(ge=1)
    schema_: str | None = Field(None, alias="schema", max_length=100)
    name: Text | None = None
    aliases: Texts | None = None
    birth_date: Text | None = None
    nationality: Texts | None = None
    country: Texts | None = None
    position: Text | None = None
    identifiers: Texts | None = None
    program: Text | None = None
    authority: Text | None = None
    reason: Text | None = None
    source_url: Text | None = None
    source_date: Text | None = None
    listing_date: Text | None = None


class DesignationRetire(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text
    revision: int = Field(ge=1)


class DesignationRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: str
    list_name: str
    entity_id: str
    schema_: str = Field(alias="schema")
    name: str
    aliases: list[str]
    birth_date: str | None
    nationality: list[str]
    country: list[str]
    position: str | None
    identifiers: list[str]
    program: str
    authority: str
    reason: str
    source_url: str
    source_date: str
    listing_date: str | None
    created_at: datetime
    updated_at: datetime
    retired: bool
    retired_reason: str | None
    retired_at: datetime | None
    revision: int


class DesignationChangeRead(BaseModel):
    designation: DesignationRead
    list_version: int | None


def _list(session: SessionDep, source: SourceList) -> ManualListRead:
    version = current_version(session, source.id)
    return ManualListRead(
        name=source.id,
        title=source.title,
        publisher=source.publisher,
        source_url=source.source_url,
        current_version=version.seq if version else None,
    )


def _read(designation: ManualDesignation) -> DesignationRead:
    values: dict[str, Any] = {
        name: getattr(designation, name)
        for name in DesignationRead.model_fields
        if name not in ("list_name", "entity_id", "schema_")
    }
    return DesignationRead(
        list_name=designation.list_id,
        entity_id=manual.entity_id_of(designation),
        schema_=designation.schema,
        **values,
    )


def _change(change: manual.ManualChange) -> DesignationChangeRead:
    version = change.version.seq if change.version else None
    return DesignationChangeRead(designation=_read(change.designation), list_version=version)


def _input(fields: dict[str, Any]) -> dict[str, Any]:
    """API field names to service ones; null becomes empty."""
    values = {("schema" if k == "schema_" else k): v for k, v in fields.items()}
    return {
        k: (tuple(v or ()) if k in manual.LIST_FIELDS else (v or "")) for k, v in values.items()
    }


@router.get("", response_model=list[ManualListRead], summary="Manual lists")
def lists(session: SessionDep, _reader: ReaderDep) -> list[ManualListRead]:
    return [_list(session, source) for source in manual.manual_lists(session)]


@router.post("", response_model=ManualListRead, status_code=201, summary="Create a manual list")
def create_list(session: SessionDep, writer: WriterDep, body: ManualListCreate) -> ManualListRead:
    source = manual.create_manual_list(
        session,
        name=body.name,
        title=body.title,
        publisher=body.publisher,
        source_url=body.source_url,
        actor=writer.actor,
    )
    response = _list(session, source)
    session.commit()
    return response


@router.get("/{list_id}/designations", response_model=list[DesignationRead], summary="Designations")
def designations(
    session: SessionDep,
    _reader: ReaderDep,
    list_id: ListId,
    retired: Annotated[bool, Query(description="Include retired designations.")] = False,
) -> list[DesignationRead]:
    found = manual.list_designations(session, list_id, include_retired=retired)
    return [_read(d) for d in found]


def rescreen_after(
    request: Request, session: Session, writer: Principal, change: manual.ManualChange
) -> None:
    """Once committed, a new version of the list re-screens the watched subjects it can reach."""
    if change.version is not None:
        jobs: MonitorJobs = request.app.state.monitor_jobs
        jobs.after_list_change_committed(
            session, actor=writer.actor, lists=[change.version.list_id]
        )


@router.post(
    "/{list_id}/designations",
    response_model=DesignationChangeRead,
    status_code=201,
    summary="Add a designation",
)
def add(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    list_id: ListId,
    body: DesignationCreate,
) -> DesignationChangeRead:
    data = manual.DesignationInput(**_input(body.model_dump(by_alias=False)))
    change = manual.add_designation(session, list_id, data, actor=writer.actor)
    response = _change(change)
    rescreen_after(request, session, writer, change)
    session.commit()
    return response


@router.get(
    "/{list_id}/designations/{designation_id}",
    response_model=DesignationRead,
    summary="One designation",
)
def designation(
    session: SessionDep, _reader: ReaderDep, list_id: ListId, designation_id: DesignationId
) -> DesignationRead:
    return _read(manual.get_designation(session, list_id, designation_id))


@router.patch(
    "/{list_id}/designations/{designation_id}",
    response_model=DesignationChangeRead,
    summary="Edit a designation",
)
def edit(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    list_id: ListId,
    designation_id: DesignationId,
    body: DesignationUpdate,
) -> DesignationChangeRead:
    current = manual.input_of(manual.get_designation(session, list_id, designation_id))
    changed = body.model_dump(exclude_unset=True, by_alias=False, exclude={"revision"})
    data = dataclasses.replace(current, **_input(changed))
    change = manual.edit_designation(
        session, list_id, designation_id, data, actor=writer.actor, revision=body.revision
    )
    response = _change(change)
    rescreen_after(request, session, writer, change)
    session.commit()
    return response


@router.post(
    "/{list_id}/designations/{designation_id}/retire",
    response_model=DesignationChangeRead,
    summary="Retire a designation",
)
def retire(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    list_id: ListId,
    designation_id: DesignationId,
    body: DesignationRetire,
) -> DesignationChangeRead:
    change = manual.retire_designation(
        session,
        list_id,
        designation_id,
        reason=body.reason,
        actor=writer.actor,
        revision=body.revision,
    )
    response = _change(change)
    rescreen_after(request, session, writer, change)
    session.commit()
    return response
