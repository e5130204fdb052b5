"""What the documentation pages and forms share: access, record addresses, term labels.

Reading needs `records:read`, every form `records:write` and the session's CSRF token. A record of
a project the caller is not a member of is "not found", exactly as a missing id (the services
say so). Codes are shown by their label in the page language (`term_label` in templates).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from fastapi import Path as PathParam

from dignity.api.auth import web_permission
from dignity.security.authz import Principal
from dignity.security.permissions import Permission, permissions_for
from dignity.vocab.thesauri import all_thesauri
from dignity.web.templating import templates

ReaderDep = Annotated[Principal, Depends(web_permission(Permission.RECORDS_READ))]
WriterDep = Annotated[Principal, Depends(web_permission(Permission.RECORDS_WRITE))]
RecordId = Annotated[str, PathParam(max_length=64)]


def may_document(user: Any) -> bool:
    """For templates: whether a signed-in user may see the documentation pages."""
    return user is not None and Permission.RECORDS_READ in permissions_for(user.role)


def term_label(code: str | None, language: str = "en") -> str:
    """The label of a vocabulary code (its vocabulary is the code's first segment); the code
    itself when it is not (or no longer) a term, so nothing stored is ever hidden."""
    if not code:
        return ""
    found = all_thesauri().get(code.split(".", 1)[0])
    return found.label(code, language) if found is not None and code in found else code


def record_url(type_name: str, record_id: str) -> str:
    """Where a record is shown: an event as its story, anything else on the record page."""
    if type_name == "events":
        return f"/records/events/{record_id}"
    return f"/records/{type_name}/{record_id}"


templates.env.globals.update(
    may_document=may_document, term_label=term_label, record_url=record_url
)
