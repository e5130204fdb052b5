"""What an identity holds, checked strictly: every field typed, bounded, and nothing else accepted.

    IdentityValues   names (with kind, script, language), birth date (partial ISO), nationalities
                     (ISO 3166-1 alpha-2), contacts, addresses, exact location, identity numbers,
                     notes. No photos: they belong in the evidence vault.
    IdentityRead     the values with the record's id, project, revision and last change
    IdentityWrite    a body that creates or replaces them (`revision` of the one replaced)

These models never show their values: `repr`, `str` and validation errors name fields only, so an
identity cannot reach a log, a traceback or an error message by being printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from dignity.exc import FieldError, InvalidInput

LIST_MAX = 20
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _partial_date(value: str) -> str:
    found = _PARTIAL_DATE.match(value)
    if found is None:
        raise ValueError("write YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = found.groups()
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise ValueError("no such date") from None
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
# ISO 3166-1 alpha-2, kept in lower case as the documentation records keep countries.
Country = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[A-Za-z]{2}$")
]
# ISO 15924 (Latn, Arab, Cyrl, Hans ...) and BCP 47 (ar, uk, my, zh-Hant ...).
Script = Annotated[str, StringConstraints(pattern=r"^[A-Z][a-z]{3}$")]
Language = Annotated[
    str, StringConstraints(max_length=35, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
]
PartialDate = Annotated[
    str, StringConstraints(strip_whitespace=True), AfterValidator(_partial_date)
]


class Withheld(BaseModel):
    """A strict model whose values never appear when it is printed or logged."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        return ()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<withheld>)"

    def __str__(self) -> str:
        return repr(self)


class Name(Withheld):
    name: Text
    kind: Literal["primary", "alias", "birth", "original-script"] = "primary"
    script: Script | None = None
    language: Language | None = None


class IdNumber(Withheld):
    """An identity document or registration: passport, national id, UNHCR case number ..."""

    type: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    country: Country | None = None


class IdentityValues(Withheld):
    names: Annotated[list[Name], Field(max_length=LIST_MAX)] = []
    birth_date: PartialDate | None = None
    nationalities: Annotated[list[Country], Field(max_length=LIST_MAX)] = []
    contacts: Annotated[list[Text], Field(max_length=LIST_MAX)] = []
    addresses: Annotated[list[LongText], Field(max_length=LIST_MAX)] = []
    exact_location: LongText | None = None
    id_numbers: Annotated[list[IdNumber], Field(max_length=LIST_MAX)] = []
    notes: Annotated[str, StringConstraints(max_length=20_000)] | None = None


class IdentityRead(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    project_id: str
    revision: int
    updated_at: datetime
    updated_by: str
    values: IdentityValues


class IdentityWrite(BaseModel):
    """Create an identity, or replace one: then `revision` is the one it was read at (else 409)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    values: IdentityValues
    revision: int | None = None


def field_errors(error: ValidationError, prefix: str = "") -> list[FieldError]:
    """Each problem by field and message, never with the value that caused it."""
    return [
        FieldError(
            prefix + ".".join(str(part) for part in problem["loc"]) or "values", problem["msg"]
        )
        for problem in error.errors(include_url=False, include_input=False, include_context=False)
    ]


def identity_values(raw: Mapping[str, Any]) -> IdentityValues:
    """`raw` checked into `IdentityValues`; `InvalidInput` naming each bad field, not its value."""
    try:
        return IdentityValues.model_validate(raw)
    except ValidationError as error:
        # `from None`: the pydantic error quotes the input; it must not travel in the traceback.
        raise InvalidInput("the identity cannot be saved", field_errors(error)) from None
