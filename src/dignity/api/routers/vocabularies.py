"""The vocabularies (thesauri) as data: the terms a documentation field's codes are taken from.

Any signed-in caller with `records:read` may read them; labels come in the language asked for
(`?lang=ar`), falling back to English, and every label the term has is listed too.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from dignity.api.auth import api_permission
from dignity.exc import NotFound
from dignity.security.authz import Principal
from dignity.security.permissions import Permission
from dignity.vocab.thesauri import Thesaurus, all_thesauri

router = APIRouter(prefix="/api/vocabularies", tags=["vocabularies"])

ReaderDep = Annotated[Principal, Depends(api_permission(Permission.RECORDS_READ))]
Language = Annotated[str, Query(max_length=16, pattern=r"^[a-zA-Z]{2,3}(-[A-Za-z0-9]{2,8})*$")]


def _summary(found: Thesaurus, lang: str) -> dict[str, Any]:
    return {"name": found.name, "title": found.title_in(lang), "terms": len(found)}


@router.get("")
def list_vocabularies(_reader: ReaderDep, lang: Language = "en") -> list[dict[str, Any]]:
    return [_summary(found, lang) for _, found in sorted(all_thesauri().items())]


@router.get("/{name}")
def read_vocabulary(name: str, _reader: ReaderDep, lang: Language = "en") -> dict[str, Any]:
    found = all_thesauri().get(name)
    if found is None:
        raise NotFound(f"no vocabulary named {name!r}")
    return {
        **_summary(found, lang),
        "items": [
            {
                "code": term.code,
                "label": found.label(term.code, lang),
                "labels": term.label,
                "broader": term.broader,
                "description": found.describe(term.code, lang),
                "instruments": list(term.instruments),
                "local": term.local,
            }
            for term in found
        ],
    }
