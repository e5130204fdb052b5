"""Readers for the free-text cells of DFAT's Consolidated List (used by `au_xlsx`).

Dates of birth, citizenship, addresses and the listing information are typed by hand at DFAT, so
each parser returns what it could read and what it could not; the reader warns about the rest and
keeps the text in the target's notes.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from followthemoney import registry

from dignity.sources.formats.un_au_ca_common import (
    DateList,
    clean_text,
    parse_date,
    parse_date_list,
    split_enumerated,
)


def cell_dates(value: object) -> DateList:
    """A date cell: an Excel date, a bare year (a number), or text with one or more dates."""
    if isinstance(value, datetime.datetime | datetime.date):
        return DateList(dates=[value.strftime("%Y-%m-%d")])
    if isinstance(value, int) and not isinstance(value, bool):
        date = parse_date(str(value))
        return DateList(dates=[date]) if date else DateList(unread=[str(value)])
    return parse_date_list(value)


_IN_BRACKETS = re.compile(r"\s*\([^)]*\)\s*$")
_COUNTRY_SEPARATORS = re.compile(r"[,;:/]|\s+and\s+", re.IGNORECASE)


def country_code(text: str) -> str | None:
    """A country code for a country's name or demonym (`Iranian` -> `ir`), or None."""
    text = _IN_BRACKETS.sub("", clean_text(text)).strip(" ,;.")
    return registry.country.clean_text(text) if text else None


@dataclass
class Countries:
    codes: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)


def countries(value: object) -> Countries:
    """`Russia, Ukraine`, `a) Afghanistan b) Pakistan`, `Iranian`: every country named."""
    found = Countries()
    for item in split_enumerated(value):
        code = country_code(item)
        if code is not None:
            found.codes.append(code)
            continue
        for piece in _COUNTRY_SEPARATORS.split(item):
            piece = piece.strip(" ,;.")
            if not piece:
                continue
            code = country_code(piece)
            if code is None:
                found.unread.append(piece)
            else:
                found.codes.append(code)
    return found


def addresses(value: object) -> list[tuple[str, str | None]]:
    """Each address of an Address cell with the country its last part names, if any."""
    found = []
    for item in split_enumerated(value):
        for text in (part.strip(" ,;.") for part in item.split(";")):
            if text:
                found.append((text, country_code(text.rsplit(",", 1)[-1])))
    return found


_WRITTEN_DATE = re.compile(
    r"\b\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]{3,9}\.?,?\s+\d{4}\b"
    r"|\b\d{1,2}/\d{1,2}/\d{4}\b"
    r"|\b[A-Za-z]{3,9}\.?\s+\d{1,2},\s+\d{4}\b"
)
_ORDINAL = re.compile(r"(\d)(?:st|nd|rd|th)\b")


def first_date(value: object) -> str | None:
    """The first full date written in a text (`Listed on 12 Apr. 2000 (amended ...)`)."""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%Y-%m-%d")
    for match in _WRITTEN_DATE.finditer(clean_text(value)):
        date = parse_date(_ORDINAL.sub(r"\1", match.group(0)))
        if date is not None:
            return date
    return None


# A UN reference as the first thing in "Additional Information": "TAi.002. Title: ...", also
# with a stray letter after it ("IQi.004r").
_UN_REFERENCE = re.compile(r"^\s*([A-Z]{2}[ie]\.\d{3})(?!\d)")
# The same, typed loosely: "Qdi.081", "KPi030", "IQi.04".
_LOOSE_UN_REFERENCE = re.compile(r"^\W*([A-Z][A-Za-z])([ie])\s*\.?\s*(\d{1,3})(?!\d)")


@dataclass(frozen=True)
class UnReference:
    value: str | None
    as_written: str
    repaired: bool = False


def un_reference(value: object, loose: bool) -> UnReference | None:
    """The UN Security Council reference that starts a DFAT note, if there is one.

    A reference in the UN's own form (`QDi.081`) is taken as it is. One typed loosely is
    repaired when that is unambiguous (`Qdi.081` -> `QDi.081`, `KPi030` -> `KPi.030`), and left
    out (value None) when it is not (`IQi.04`: a digit is missing). Loose forms are looked for
    only when `loose` is true (the listing is under a UN regime).
    """
    text = clean_text(value)
    match = _UN_REFERENCE.match(text)
    if match is not None:
        return UnReference(match.group(1), match.group(1))
    loose_match = _LOOSE_UN_REFERENCE.match(text) if loose else None
    if loose_match is None:
        return None
    letters, kind, digits = loose_match.groups()
    written = loose_match.group(0).strip()
    if len(digits) != 3:
        return UnReference(None, written)
    return UnReference(f"{letters.upper()}{kind}.{digits}", written, repaired=True)
