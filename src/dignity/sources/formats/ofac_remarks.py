"""OFAC's Remarks field: `DOB 07 Oct 1952; POB Leningrad, Russia; nationality Russia; ...`.

The field is a `; `-separated list of fragments ending in a full stop. Most open with one of
OFAC's labels (see `ofac_features.LABELS`); `alt. ` marks a further value of the same label;
`a.k.a. 'NAME'`, `f.k.a.` and `n.k.a.` give the names OFAC calls weak (the strong ones are in
alt.csv). A fragment that repeats the entry's Title is its position. What is left is free text:
it stays in `notes`, where the whole field always goes, and is counted in
`report.unmapped["Remarks:<label>"]` (`Remarks:text` for fragments with no label).

`Linked To: NAME` names another entry of the same file by its primary name. The entry may come
further down, so `Links` keeps each entry's primary name and the links while the file streams,
and turns the links into UnknownLink entities once the whole file has been read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from followthemoney import StatementEntity

from dignity.sources.entities import emit, entity_id, make_entity
from dignity.sources.formats.ofac_common import PREFIX, ReadState, Target, clean_text
from dignity.sources.formats.ofac_features import (
    LABELS,
    LINK,
    NATIONAL_ID,
    PROVISION,
    PROVISION_PREFIXES,
    Fact,
    Spec,
    apply_feature,
    company_hint,
)

REMARKS_LIMIT = 1000  # OFAC cuts Remarks here; the rest goes to sdn_comments.csv
LINK_ROLE = "Linked To"

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
    links: Links | None = None,
) -> None:
    """Put every fragment on the target; free text is counted as unmapped.

    `Linked To` fragments go to `links`, to be resolved once the file is read; without `links`
    they are counted as unmapped (the text stays in notes).
    """
    title_key = clean_text(title).casefold()
    for fragment in fragments:
        if fragment.name_prop:
            target.name(fragment.name_prop, fragment.value, f"{field_name}:name")
        elif fragment.spec is not None:
            label = clean_text(fragment.label).rstrip(" :-")
            if links is not None and fragment.spec.kind == LINK.kind and clean_text(fragment.value):
                links.add(target, fragment.value, f"{field_name}:{label}")
                continue
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


def link_id(subject: str, linked: str) -> str:
    """The id of the link from entry `subject` to entry `linked` (OFAC numbers), the same in
    every OFAC format: `ofac-12345-linked-to-6789`."""
    return entity_id(PREFIX, subject, "linked-to", linked)


def name_key(name: str | None) -> str:
    """A primary name as `Linked To` may write it: spacing, case and final full stops aside
    (`PROMO RAIZ S.A.S.` is written with and without its last stop)."""
    return clean_text(name).rstrip(". ").casefold()


@dataclass(frozen=True)
class _Link:
    subject: str  # OFAC's number of the entry whose remark names the other
    name: str  # the other entry's name, as the remark writes it
    location: str
    field: str


@dataclass
class Links:
    """The `Linked To` remarks of one file, resolved to entries once the whole file is read.

    While the file streams it keeps only each entry's primary name (name -> OFAC numbers) and
    the links themselves (number, name, where): no entity. A name that belongs to exactly one
    entry becomes an UnknownLink (`subject` the entry with the remark, `object` the named entry,
    `role` "Linked To"); a name that belongs to none or to several is a warning naming the file,
    record and field, and is counted in `report.unmapped` (its text stays in the entry's notes).
    """

    names: dict[str, list[str]] = field(default_factory=dict)
    pending: list[_Link] = field(default_factory=list)

    def entry(self, key: str, name: str | None) -> None:
        """Record an entry's primary name."""
        found = name_key(name)
        if found:
            keys = self.names.setdefault(found, [])
            if key not in keys:
                keys.append(key)

    def add(self, target: Target, name: str, field_name: str) -> None:
        self.pending.append(_Link(target.key, clean_text(name), target.location, field_name))

    def resolve(self, state: ReadState) -> Iterator[StatementEntity]:
        """The UnknownLink of every link whose name belongs to exactly one entry."""
        report = state.report
        made: set[str] = set()
        for link in self.pending:
            keys = self.names.get(name_key(link.name), [])
            if len(keys) != 1:
                found = f"{len(keys)} entries ({', '.join(keys)})" if keys else "no entry"
                message = (
                    f"{link.name!r} is the primary name of {found} in the file; "
                    "the link is kept in notes only"
                )
                report.warn(link.location, link.field, message)
                report.unmapped[link.field] += 1
                continue
            id_ = link_id(link.subject, keys[0])
            if id_ in made:
                continue
            made.add(id_)
            entity = make_entity(state.dataset, "UnknownLink", id_)
            entity.add("subject", entity_id(PREFIX, link.subject), cleaned=True)
            entity.add("object", entity_id(PREFIX, keys[0]), cleaned=True)
            entity.add("role", LINK_ROLE, cleaned=True)
            entity.add("sourceUrl", state.source_url, cleaned=True)
            yield emit(report, entity)
