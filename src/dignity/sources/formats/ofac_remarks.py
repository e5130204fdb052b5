"""OFAC's Remarks field: `DOB 07 Oct 1952; POB Leningrad, Russia; nationality Russia; ...`.

The field is a `; `-separated list of fragments ending in a full stop. Most open with one of
OFAC's labels (see `ofac_features.LABELS`); `alt. ` marks a further value of the same label;
`a.k.a. 'NAME'`, `f.k.a.` and `n.k.a.` give the names OFAC calls weak (the strong ones are in
alt.csv). A fragment that repeats the entry's Title is its position. What is left is free text:
it stays in `notes`, where the whole field always goes, and is counted in
`report.unmapped["Remarks:<label>"]` (`Remarks:text` for fragments with no label).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dignity.sources.formats.ofac_common import Target, clean_text
from dignity.sources.formats.ofac_features import (
    LABELS,
    NATIONAL_ID,
    PROVISION,
    PROVISION_PREFIXES,
    Fact,
    Spec,
    apply_feature,
    company_hint,
)

REMARKS_LIMIT = 1000  # OFAC cuts Remarks here; the rest goes to sdn_comments.csv

_NAME = re.compile(r"(?P<kind>[afn])\.k\.a\.,?\s*(?P<name>.*)", re.IGNORECASE)
_NAME_PROPS = {"a": "weakAlias", "n": "weakAlias", "f": "previousName"}
_ALT = re.compile(r"alt\.\s+", re.IGNORECASE)
_GENERIC_ID = re.compile(
    r"(?P<label>[A-Za-z][A-Za-z.'#/()&, -]*?"
    r"(?:No\.?|Number|#|ID|Code|Card|Certificate|Permit|Licen[cs]e|Passport|Document)):?"
    r"\s+(?P<value>\S*\d.*)"
)
_SEPARATOR = re.compile(r";\s*")


def _index() -> dict[str, list[tuple[str, Spec]]]:
    index: dict[str, list[tuple[str, Spec]]] = {}
    for label, spec in LABELS.items():
        index.setdefault(label.split(" ", 1)[0], []).append((label, spec))
    for entries in index.values():
        entries.sort(key=lambda entry: -len(entry[0]))
    return index


_INDEX = _index()


@dataclass
class Fragment:
    """One fragment of the Remarks field, read."""

    text: str  # as written, without `alt. `
    label: str = ""  # the label as written; empty for a name or free text
    value: str = ""
    spec: Spec | None = None
    name_prop: str = ""  # weakAlias / previousName for `a.k.a. '...'`


def split_remarks(text: str | None) -> list[str]:
    value = clean_text(text)
    if value.endswith("."):
        value = value[:-1]
    return [part.strip() for part in _SEPARATOR.split(value) if part.strip()]


def read_fragment(text: str) -> Fragment:
    """The label, value and mapping of one fragment."""
    text = _ALT.sub("", text, count=1) if _ALT.match(text) else text
    if text.startswith("(") and text.endswith(")") and text.count("(") == 1:
        text = text[1:-1].strip()  # SDN.XML writes `(Linked To: HAMAS)`
    name = _NAME.fullmatch(text)
    if name is not None:
        value = name.group("name").strip()
        if len(value) > 1 and value[0] == value[-1] == "'":
            value = value[1:-1]
        return Fragment(text, value=value, name_prop=_NAME_PROPS[name.group("kind").lower()])
    low = text.lower()
    first = low.split(" ", 1)[0].rstrip(":")
    for label, spec in _INDEX.get(first, ()):
        if low.startswith(label) and (len(low) == len(label) or low[len(label)] in " :-("):
            value = text[len(label) :].lstrip(" :-")
            return Fragment(text, text[: len(label)], value, spec)
    if low.startswith(PROVISION_PREFIXES):
        head = text.split(":", 1)[0] if ":" in text else text
        return Fragment(text, head, text, PROVISION)
    generic = _GENERIC_ID.fullmatch(text)
    if generic is not None:
        return Fragment(text, generic.group("label"), generic.group("value"), NATIONAL_ID)
    return Fragment(text)


def read_remarks(text: str | None) -> list[Fragment]:
    return [read_fragment(part) for part in split_remarks(text)]


def says_company(fragments: list[Fragment]) -> bool:
    return any(f.spec is not None and company_hint(f.label, f.value) for f in fragments)


def apply_remarks(
    target: Target,
    fragments: list[Fragment],
    field_name: str = "Remarks",
    title: str | None = None,
) -> None:
    """Put every fragment on the target; free text is counted as unmapped."""
    title_key = clean_text(title).casefold()
    for fragment in fragments:
        if fragment.name_prop:
            target.name(fragment.name_prop, fragment.value, f"{field_name}:name")
        elif fragment.spec is not None:
            label = clean_text(fragment.label).rstrip(" :-")
            fact = Fact(
                label,
                fragment.value,
                f"{field_name}:{label}",
                text=fragment.text,
                from_remarks=True,
            )
            apply_feature(target, fact, fragment.spec)
        elif title_key and clean_text(fragment.text).casefold() == title_key:
            target.put("position", fragment.text, f"{field_name}:title")
        else:
            target.unmapped(f"{field_name}:text")
