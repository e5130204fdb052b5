"""The fields of a manual designation: what a person types, and how each value is checked.

`DesignationInput` is the same for every surface (form, API body, command line): text as typed,
lists of text for the fields that take several values. `clean_designation` checks all of it at
once and either returns the cleaned values or raises `InvalidInput` with one `FieldError` per
problem, named by the field (`source_url`, `birth_date`, ...), so a form can show each message next
to its field. Values are cleaned by their FollowTheMoney property types, so what is stored is what
the entities will carry: dates in ISO form at the precision given (`1965`, `1965-04`,
`1965-04-12`), countries as ISO codes (`Nicaragua` -> `ni`), vessel IMO numbers checked.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from followthemoney import model
from followthemoney import registry as types

from dignity.exc import FieldError, InvalidInput

# The kinds of target a manual designation can name (FollowTheMoney schemata).
SCHEMATA = ("Person", "Organization", "Company", "LegalEntity", "Vessel", "Airplane")
# The FollowTheMoney property that receives `identifiers`, by schema.
IDENTIFIER_PROP = {"Vessel": "imoNumber", "Airplane": "registrationNumber"}
PERSON_ONLY = ("birth_date", "nationality", "position")
MAX = {
    "name": 500,
    "position": 500,
    "program": 100,
    "authority": 300,
    "reason": 4000,
    "source_url": 1000,
    "identifier": 100,
}
MAX_ITEMS = {"aliases": 50, "nationality": 10, "country": 10, "identifiers": 20}
FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class DesignationInput:
    """A designation as typed. Empty text means "not given"."""

    schema: str = "Person"
    name: str = ""
    aliases: Sequence[str] = ()
    birth_date: str = ""
    nationality: Sequence[str] = ()
    country: Sequence[str] = ()
    position: str = ""
    identifiers: Sequence[str] = ()
    program: str = ""
    authority: str = ""
    reason: str = ""
    source_url: str = ""
    source_date: str = ""
    listing_date: str = ""


FIELDS = tuple(f.name for f in fields(DesignationInput))
LIST_FIELDS = ("aliases", "nationality", "country", "identifiers")


@dataclass
class _Checker:
    errors: list[FieldError] = field(default_factory=list)

    def fail(self, name: str, message: str) -> None:
        self.errors.append(FieldError(name, message))


def clean_text(value: object) -> str:
    """Trimmed text on one line: control characters dropped, runs of whitespace made one space."""
    text = "".join(" " if unicodedata.category(c) == "Cc" else c for c in str(value or ""))
    return " ".join(text.split())


def clean_paragraphs(value: object) -> str:
    """Text that may keep line breaks (a reason): other control characters dropped."""
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c == "\n" or unicodedata.category(c) != "Cc")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def clean_url(value: object) -> str | None:
    """An http(s) address with a host and no credentials; None when it is not one."""
    text = str(value or "").strip()
    if not text or any(c.isspace() or unicodedata.category(c) == "Cc" for c in text):
        return None
    try:
        parts = urlsplit(text)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or not port_ok:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    cleaned = types.url.clean_text(text)
    return cleaned if cleaned else None


def _length(check: _Checker, name: str, value: str, limit: int) -> str:
    if len(value) > limit:
        check.fail(name, f"at most {limit:,} characters (this has {len(value):,})")
    return value


def _date(check: _Checker, name: str, value: str, today: date, *, full: bool = False) -> str | None:
    text = clean_text(value)
    if not text:
        return None
    cleaned = types.date.clean_text(text)
    if cleaned is None or (full and not FULL_DATE.fullmatch(cleaned[:10])):
        form = "YYYY-MM-DD" if full else "YYYY-MM-DD, YYYY-MM or YYYY"
        check.fail(name, f"{text!r} is not a date; write it as {form}")
        return None
    cleaned = cleaned[:10]
    if cleaned > today.isoformat()[: len(cleaned)]:
        check.fail(name, f"{cleaned} is in the future")
    return cleaned


def _countries(check: _Checker, name: str, values: Sequence[str]) -> list[str]:
    found: list[str] = []
    for value in values:
        text = clean_text(value)
        if not text:
            continue
        code = types.country.clean_text(text)
        if code is None:
            check.fail(name, f"{text!r} is not a country; give its name or ISO code (such as NI)")
        elif code not in found:
            found.append(code)
    return found


def _texts(check: _Checker, name: str, values: Sequence[str], limit: int) -> list[str]:
    found: list[str] = []
    for value in values:
        text = clean_text(value)
        if text and text not in found:
            found.append(_length(check, name, text, limit))
    return found


def _identifiers(check: _Checker, schema: str, values: Sequence[str]) -> list[str]:
    schema_obj = model.get(schema if schema in SCHEMATA else "Person")
    assert schema_obj is not None  # noqa: S101 (the schemata above are FollowTheMoney's)
    target = schema_obj.get(IDENTIFIER_PROP.get(schema, "idNumber"))
    assert target is not None  # noqa: S101
    found: list[str] = []
    for text in _texts(check, "identifiers", values, MAX["identifier"]):
        cleaned = target.type.clean_text(text, format=target.format)
        if cleaned is None:
            check.fail("identifiers", f"{text!r} is not a valid {target.label}")
        elif cleaned not in found:
            found.append(cleaned)
    return found


def clean_designation(
    data: DesignationInput, *, default_authority: str | None, today: date
) -> dict[str, Any]:
    """The cleaned column values of a designation, or `InvalidInput` naming every bad field."""
    check = _Checker()
    schema = clean_text(data.schema)
    if schema not in SCHEMATA:
        check.fail("schema", f"{schema!r} is not one of: {', '.join(SCHEMATA)}")
    name = _length(check, "name", clean_text(data.name), MAX["name"])
    if not name:
        check.fail("name", "the name of the designated person or entity is required")
    aliases = [a for a in _texts(check, "aliases", data.aliases, MAX["name"]) if a != name]
    program = _length(check, "program", clean_text(data.program), MAX["program"])
    if not program:
        check.fail("program", "the program code is required (for example 7031C)")
    authority = clean_text(data.authority) or (default_authority or "")
    if not authority:
        check.fail("authority", "the authority that made the designation is required")
    _length(check, "authority", authority, MAX["authority"])
    source_url = clean_url(data.source_url)
    if not clean_text(data.source_url):
        check.fail("source_url", "the address of the published designation is required")
    elif source_url is None:
        check.fail("source_url", "an http:// or https:// address with a host name is required")
    else:
        _length(check, "source_url", source_url, MAX["source_url"])
    source_date = _date(check, "source_date", data.source_date, today, full=True)
    if not clean_text(data.source_date):
        check.fail("source_date", "the date the designation was published is required")
    values: dict[str, Any] = {
        "schema": schema,
        "name": name,
        "aliases": aliases,
        "birth_date": _date(check, "birth_date", data.birth_date, today),
        "nationality": _countries(check, "nationality", data.nationality),
        "country": _countries(check, "country", data.country),
        "position": _length(check, "position", clean_text(data.position), MAX["position"]) or None,
        "identifiers": _identifiers(check, schema, data.identifiers),
        "program": program,
        "authority": authority,
        "reason": _length(check, "reason", clean_paragraphs(data.reason), MAX["reason"]),
        "source_url": source_url or "",
        "source_date": source_date or "",
        "listing_date": _date(check, "listing_date", data.listing_date, today),
    }
    for name_ in LIST_FIELDS:
        if len(values[name_]) > MAX_ITEMS[name_]:
            check.fail(name_, f"at most {MAX_ITEMS[name_]} values")
    if schema in SCHEMATA and schema != "Person":
        for name_ in PERSON_ONLY:
            if values[name_]:
                check.fail(name_, f"only a person has this; leave it empty for {schema}")
    if check.errors:
        raise InvalidInput("the designation is not valid", check.errors)
    return values


def designation_input(values: dict[str, Any]) -> DesignationInput:
    """The input that would give `values` again (for forms and partial edits)."""
    data: dict[str, Any] = {
        name: tuple(values[name] or ()) if name in LIST_FIELDS else (values[name] or "")
        for name in FIELDS
    }
    return DesignationInput(**data)
