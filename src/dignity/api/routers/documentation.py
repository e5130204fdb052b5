"""Documentation API: one set of routes per record type, with its own schema in the OpenAPI.

    GET  /api/projects/{project}/{type}     a page of the project's records (newest first)
    POST /api/projects/{project}/{type}     create one
    GET  /api/documentation/{type}/{id}     read one
    PATCH /api/documentation/{type}/{id}    change the given fields; `revision` is required (409)
    GET  /api/documentation/{type}/{id}/history   who changed what
    GET  /api/documentation/persons/{id}/identity  who the person is (identity vault)
    PUT  /api/documentation/persons/{id}/identity  create or replace it (`revision`: 409)

Reading needs `records:read`, writing `records:write`, and the caller must be a member of the
record's project (API clients of no team see nothing). The body's fields are those of
`documentation.fields`; codes are vocabulary terms (`GET /api/vocabularies/{name}`).

Identities are need-to-know (`identities:read`, `identities:write`): for anyone else the identity
routes answer 404 as for a missing person, and a person's JSON has no `identity` key at all (only
the single-person read carries it; lists never do).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, create_model

from dignity.api.auth import api_permission
from dignity.api.deps import SessionDep
from dignity.consent.services import IdentityRead, IdentityWrite
from dignity.documentation import identities
from dignity.documentation import services as docs
from dignity.documentation.fields import RECORD_TYPES, RecordType
from dignity.documentation.fields import Field as RecordField
from dignity.exc import NotFound
from dignity.security.authz import Principal
from dignity.security.crypto import Keyring
from dignity.security.permissions import Permission

router = APIRouter(tags=["documentation"])

ReaderDep = Annotated[Principal, Depends(api_permission(Permission.RECORDS_READ))]
WriterDep = Annotated[Principal, Depends(api_permission(Permission.RECORDS_WRITE))]


def _keyring(request: Request) -> Keyring:
    keyring: Keyring = request.app.state.keyring
    return keyring


KeyringDep = Annotated[Keyring, Depends(_keyring)]


def _annotation(field: RecordField) -> Any:
    if field.kind == "codes":
        return list[Annotated[str, Field(max_length=120)]] | None
    if field.kind == "int":
        return int | None
    return Annotated[str, Field(max_length=field.max_length)] | None


def _body(kind: RecordType, *, update: bool) -> type[BaseModel]:
    fields: dict[str, Any] = {field.name: (_annotation(field), None) for field in kind.fields}
    if update:
        fields["revision"] = (int, ...)
    name = "".join(part.title() for part in kind.name.split("-"))
    return create_model(
        f"{name}{'Update' if update else 'Create'}",
        __config__=ConfigDict(extra="forbid"),
        **fields,
    )


def _given(body: BaseModel) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True, exclude={"revision"})


class Page(BaseModel):
    total: int
    offset: int
    results: list[dict[str, Any]]


def _routes(kind: RecordType) -> None:
    create_body = _body(kind, update=False)
    update_body = _body(kind, update=True)
    name = kind.name

    def list_(
        project: str,
        session: SessionDep,
        principal: ReaderDep,
        offset: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=docs.LIST_MAX)] = 50,
    ) -> Page:
        rows, total = docs.list_records(
            session, principal, name, project_id=project, offset=offset, limit=limit
        )
        return Page(total=total, offset=offset, results=[docs.record_values(name, r) for r in rows])

    def create(
        project: str,
        body: BaseModel,
        session: SessionDep,
        principal: WriterDep,
    ) -> dict[str, Any]:
        record = docs.create_record(session, principal, name, project, _given(body))
        return docs.record_values(name, record)

    def read(record_id: str, session: SessionDep, principal: ReaderDep) -> dict[str, Any]:
        return docs.record_values(name, docs.get_record(session, principal, name, record_id))

    def update(
        record_id: str,
        body: BaseModel,
        session: SessionDep,
        principal: WriterDep,
    ) -> dict[str, Any]:
        record = docs.update_record(
            session,
            principal,
            name,
            record_id,
            revision=body.revision,  # type: ignore[attr-defined]
            values=_given(body),
        )
        return docs.record_values(name, record)

    def history(record_id: str, session: SessionDep, principal: ReaderDep) -> list[dict[str, Any]]:
        return [
            {
                "revision": change.revision,
                "action": change.action,
                "changes": change.changes,
                "actor": change.actor,
                "at": change.at.isoformat(),
            }
            for change in docs.history(session, principal, name, record_id)
        ]

    # The bodies are built per type at run time: name them as objects, not as strings that
    # FastAPI would look up among the module's globals.
    create.__annotations__["body"] = create_body
    update.__annotations__["body"] = update_body
    title = name.replace("-", " ")
    router.add_api_route(
        f"/api/projects/{{project}}/{name}", list_, methods=["GET"], summary=f"List {title}"
    )
    router.add_api_route(
        f"/api/projects/{{project}}/{name}",
        create,
        methods=["POST"],
        status_code=201,
        summary=f"Create one of {title}",
    )
    router.add_api_route(
        f"/api/documentation/{name}/{{record_id}}",
        read_person if name == "persons" else read,
        methods=["GET"],
        summary=f"Read {title}",
    )
    router.add_api_route(
        f"/api/documentation/{name}/{{record_id}}",
        update,
        methods=["PATCH"],
        summary=f"Change {title} (409 if changed since `revision`)",
    )
    router.add_api_route(
        f"/api/documentation/{name}/{{record_id}}/history",
        history,
        methods=["GET"],
        summary=f"History of {title}",
    )


def read_person(
    record_id: str, session: SessionDep, principal: ReaderDep, keyring: KeyringDep
) -> dict[str, Any]:
    """A person; with need-to-know also `identity` (null when the vault holds none)."""
    values = docs.record_values(
        "persons", docs.get_record(session, principal, "persons", record_id)
    )
    if identities.may_see_identities(principal):
        found = identities.person_identity_record(session, principal, keyring, record_id)
        values["identity"] = None if found is None else found.model_dump(mode="json")
    return values


@router.get(
    "/api/documentation/persons/{record_id}/identity",
    summary="Read who a person is (need-to-know; 404 otherwise)",
)
def read_identity(
    record_id: str, session: SessionDep, principal: ReaderDep, keyring: KeyringDep
) -> IdentityRead:
    found = identities.person_identity_record(session, principal, keyring, record_id)
    if found is None:
        raise NotFound("the identity vault holds nothing for this person")
    return found


@router.put(
    "/api/documentation/persons/{record_id}/identity",
    summary="Create or replace who a person is (need-to-know; 409 if changed since `revision`)",
)
def write_identity(
    record_id: str,
    body: IdentityWrite,
    session: SessionDep,
    principal: WriterDep,
    keyring: KeyringDep,
) -> IdentityRead:
    return identities.set_person_identity(
        session, principal, keyring, record_id, body.values, body.revision
    )


for _kind in RECORD_TYPES.values():
    _routes(_kind)
