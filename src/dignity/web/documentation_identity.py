"""The identity form: who a person is (names, date of birth, nationalities, contacts, addresses,
exact location, identity numbers), kept in the identity vault, for staff with need-to-know.

Everyone else gets "not found" for this page, exactly as for a person that does not exist; the
person's page does not mention an identity to them either. Values are never put in the address,
a log or an error message.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

import dignity.documentation.services as docs
from dignity.api.auth import LiveSessionDep
from dignity.api.deps import SessionDep
from dignity.exc import Conflict, InvalidInput, NotFound
from dignity.security.authz import Principal
from dignity.security.permissions import Permission
from dignity.security.sessions import LiveSession
from dignity.web.csrf import CsrfDep
from dignity.web.documentation_shared import RecordId, WriterDep
from dignity.web.templating import render

router = APIRouter(prefix="/records/persons", include_in_schema=False)

Text = Annotated[str, Form(max_length=20_000)]
FIELDS = (
    "names",
    "original_names",
    "birth_date",
    "nationalities",
    "contacts",
    "addresses",
    "exact_location",
    "id_numbers",
    "notes",
)
LABELS = {
    "names": "Names, one a line (the first is the name the person uses)",
    "original_names": "Names in their original script, one a line",
    "birth_date": "Date of birth (YYYY, YYYY-MM or YYYY-MM-DD)",
    "nationalities": "Nationalities (ISO codes, separated by commas: sd, ss)",
    "contacts": "Contacts, one a line (telephone, e-mail, Signal ...)",
    "addresses": "Addresses, one a line",
    "exact_location": "Exact location",
    "id_numbers": "Identity numbers, one a line: type | number | country",
    "notes": "Notes",
}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _values(form: dict[str, str]) -> dict[str, Any]:
    """The vault's values from the form's text fields."""
    names = [
        {"name": name, "kind": "primary" if i == 0 else "alias"}
        for i, name in enumerate(_lines(form["names"]))
    ]
    names += [{"name": name, "kind": "original-script"} for name in _lines(form["original_names"])]
    numbers = []
    for line in _lines(form["id_numbers"]):
        parts = [part.strip() for part in line.split("|")]
        number: dict[str, Any] = {"type": parts[0], "number": parts[1] if len(parts) > 1 else ""}
        if len(parts) > 2 and parts[2]:
            number["country"] = parts[2].lower()
        numbers.append(number)
    values: dict[str, Any] = {
        "names": names,
        "nationalities": [c.strip().lower() for c in form["nationalities"].split(",") if c.strip()],
        "contacts": _lines(form["contacts"]),
        "addresses": _lines(form["addresses"]),
        "id_numbers": numbers,
    }
    for name in ("birth_date", "exact_location", "notes"):
        if form[name].strip():
            values[name] = form[name].strip()
    return values


def _form(identity: Any) -> dict[str, str]:
    """The form's text fields from the vault's values."""
    if identity is None:
        return dict.fromkeys(FIELDS, "")
    return {
        "names": "\n".join(n.name for n in identity.names if n.kind != "original-script"),
        "original_names": "\n".join(n.name for n in identity.names if n.kind == "original-script"),
        "birth_date": identity.birth_date or "",
        "nationalities": ", ".join(identity.nationalities),
        "contacts": "\n".join(identity.contacts),
        "addresses": "\n".join(identity.addresses),
        "exact_location": identity.exact_location or "",
        "id_numbers": "\n".join(
            " | ".join(p for p in (i.type, i.number, i.country or "") if p)
            for i in identity.id_numbers
        ),
        "notes": identity.notes or "",
    }


def _field_of(location: str) -> str:
    """The form field a vault problem belongs to (`names.0.name` -> names)."""
    head = location.split(".")[0]
    if head == "names":
        return "names"
    return head if head in FIELDS else "notes"


def _page(
    request: Request,
    session: Session,
    live: LiveSession,
    writer: Principal,
    person: Any,
    *,
    values: dict[str, str],
    revision: int | None,
    errors: dict[str, list[str]] | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "documentation/form_identity.html",
        status=status,
        live=live,
        person=person,
        values=values,
        revision=revision,
        labels=LABELS,
        errors=errors or {},
        error=error,
    )


def _writer_with_need_to_know(writer: Principal) -> None:
    if not (docs.may_see_identities(writer) and writer.can(Permission.IDENTITIES_WRITE)):
        raise NotFound("no such persons record")


@router.get("/{person_id}/identity", response_class=HTMLResponse)
def identity_form(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    person_id: RecordId,
) -> HTMLResponse:
    _writer_with_need_to_know(writer)
    person = docs.get_record(session, writer, "persons", person_id)
    keyring = request.app.state.keyring
    found = docs.person_identity_record(session, writer, keyring, person.id)
    return _page(
        request,
        session,
        live,
        writer,
        person,
        values=_form(found.values if found else None),
        revision=found.revision if found else None,
    )


@router.post("/{person_id}/identity", response_class=HTMLResponse)
def save_identity(
    request: Request,
    session: SessionDep,
    writer: WriterDep,
    live: LiveSessionDep,
    _csrf: CsrfDep,
    person_id: RecordId,
    names: Text = "",
    original_names: Text = "",
    birth_date: Text = "",
    nationalities: Text = "",
    contacts: Text = "",
    addresses: Text = "",
    exact_location: Text = "",
    id_numbers: Text = "",
    notes: Text = "",
    revision: Annotated[int | None, Form()] = None,
) -> Response:
    _writer_with_need_to_know(writer)
    person = docs.get_record(session, writer, "persons", person_id)
    form = {
        "names": names,
        "original_names": original_names,
        "birth_date": birth_date,
        "nationalities": nationalities,
        "contacts": contacts,
        "addresses": addresses,
        "exact_location": exact_location,
        "id_numbers": id_numbers,
        "notes": notes,
    }
    try:
        with session.begin_nested():
            docs.set_person_identity(
                session, writer, request.app.state.keyring, person.id, _values(form), revision
            )
    except InvalidInput as problem:
        errors: dict[str, list[str]] = {}
        for found in problem.errors:
            errors.setdefault(_field_of(found.field), []).append(found.message)
        return _page(
            request,
            session,
            live,
            writer,
            person,
            values=form,
            revision=revision,
            errors=errors,
            status=422,
        )
    except Conflict:
        return _page(
            request,
            session,
            live,
            writer,
            person,
            values=form,
            revision=revision,
            error="Nothing was saved: someone changed this identity since you opened the form. "
            "Reload it to see their version.",
            status=409,
        )
    session.commit()  # before the redirect: the next page must see the identity
    return RedirectResponse(f"/records/persons/{person.id}#identity", 303)
