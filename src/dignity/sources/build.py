"""Building the entities of one listed target, the same way in every list reader.

A reader starts a `Builder` per listed target and hands it the publisher's fields one by one:
`put` adds a value to a property after the property's type has checked it, `child` makes the
entities that hang off the target (addresses, documents, sanctions) with ids derived from the
target's own key, so the same file always yields the same ids.

Nothing is dropped silently. A value the property refuses (a country that is not a country, a
date that is not a date) becomes a warning naming the file, the line or record, and the field,
once per target; a field the target's schema has no property for is counted in
`report.unmapped`.

What differs between publishers stays in their modules: `tidy` (how raw text is trimmed: OFAC's
`-0-`, Excel's `_x000D_`), a few class settings on how values are checked, and the documents,
addresses and sanctions they build from their own fields with `add_document`, `add_address` and
`child`. `put` runs about 160,000 times for one OFAC file, so it reads those settings inline
rather than calling methods a subclass would override.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import ClassVar, Generic, Protocol, Self, TypeVar

from followthemoney import StatementEntity
from followthemoney.dataset import Dataset
from followthemoney.types import registry

from dignity.sources.entities import entity_id, make_entity
from dignity.sources.report import ImportReport
from dignity.vocab.programs import vocabulary

# Types whose cleaning does not depend on the entity, and is slow enough to remember.
REMEMBERED_TYPES = frozenset({"country", "url", "gender", "date", "email"})


@lru_cache(maxsize=8192)
def clean_remembered(type_name: str, text: str, sanitise: bool = True) -> str | None:
    """FtM's cleaning of `text` as a value of one of the `REMEMBERED_TYPES`."""
    kind = registry.get(type_name)
    return kind.clean(text) if sanitise else kind.clean_text(text)


class State(Protocol):
    """What a builder needs from the `read` call it belongs to."""

    @property
    def report(self) -> ImportReport: ...

    @property
    def dataset(self) -> Dataset: ...

    @property
    def prefix(self) -> str: ...


S = TypeVar("S", bound=State)


@dataclass
class Builder(Generic[S]):
    """One listed target while it is built: its entity and the entities that hang off it."""

    state: S
    key: str
    entity: StatementEntity
    location: str
    children: dict[str, StatementEntity] = field(default_factory=dict)
    warned: set[tuple[str, str]] = field(default_factory=set)
    added: set[tuple[str | None, str, str, str | None]] = field(default_factory=set)

    # How values are checked; a publisher's subclass sets what differs.
    remember: ClassVar[bool] = True  # skip a value already held (rows of one target repeat)
    formats: ClassVar[bool] = True  # check identifiers against their format (IMO, SWIFT, ...)
    sanitise: ClassVar[bool] = True  # FtM's text sanitising (NFC, unsafe characters) first
    refused: ClassVar[str] = "value left out"  # the end of the warning for a refused value

    @classmethod
    def start(cls, state: S, key: str, schema: str, location: str) -> Self:
        """The target keyed `key` (the publisher's own number) in the list's id space."""
        entity = make_entity(state.dataset, schema, entity_id(state.prefix, key))
        entity.add("topics", "sanction", cleaned=True)
        return cls(state, key, entity, location)

    @staticmethod
    def tidy(value: object) -> str:
        """The text of a raw value: trimmed, inner whitespace collapsed; '' for nothing."""
        return "" if value is None else " ".join(str(value).split())

    def warn(self, field_name: str, message: str, location: str | None = None) -> None:
        """Warn once per target for the same field and message (rows of one target repeat)."""
        if (field_name, message) in self.warned:
            return
        self.warned.add((field_name, message))
        self.state.report.warn(location or self.location, field_name, message)

    def unmapped(self, field_name: str) -> None:
        self.state.report.unmapped[field_name] += 1

    def put(
        self,
        prop: str,
        value: object,
        field_name: str,
        *,
        entity: StatementEntity | None = None,
        lang: str | None = None,
        location: str | None = None,
        quiet: bool = False,
    ) -> bool:
        """Add `value` to `prop` of the target (or of `entity`) if the property takes it.

        Empty values are skipped; a schema without the property counts the field as unmapped; a
        value the property's type refuses becomes a warning at `location` (default the target's),
        or, with `quiet`, is only reported back to the caller. Returns whether the value is held.
        """
        target = self.entity if entity is None else entity
        text = self.tidy(value)
        if not text:
            return False
        prop_obj = target.schema.properties.get(prop)  # as Schema.get, one call less
        if prop_obj is None:
            if not quiet:
                self.unmapped(field_name)
            return False
        key = (target.id, prop, text, lang) if self.remember else None
        if key is not None and key in self.added:
            return True
        kind = prop_obj.type
        format_ = prop_obj.format if self.formats else None
        if format_ is None and kind.name in REMEMBERED_TYPES:
            cleaned = clean_remembered(kind.name, text, self.sanitise)
        elif self.sanitise:
            cleaned = kind.clean(text, proxy=target, format=format_)
        else:
            cleaned = kind.clean_text(text, proxy=target, format=format_)
        if cleaned is None:
            if not quiet:
                message = f"{text!r} is not a valid {kind.name}; {self.refused}"
                self.warn(field_name, message, location)
            return False
        target.unsafe_add(prop_obj, cleaned, cleaned=True, lang=lang, original_value=text)
        if key is not None:
            self.added.add(key)
        return True

    def put_all(self, prop: str, values: Iterable[object], field_name: str) -> None:
        for value in values:
            self.put(prop, value, field_name)

    def child(self, schema: str, *parts: str | int) -> StatementEntity:
        """An entity that belongs to this target (address, document, sanction), made once."""
        id_ = entity_id(self.state.prefix, self.key, *parts)
        existing = self.children.get(id_)
        if existing is not None:
            return existing
        entity = make_entity(self.state.dataset, schema, id_)
        self.children[id_] = entity
        return entity

    def add_document(
        self, schema: str, number: str, field_name: str, *labels: str
    ) -> StatementEntity | None:
        """The Passport or Identification numbered `number` (tidy) that the target holds, keyed
        by `labels` and the number; None if there is no number or the target cannot hold one."""
        if not number:
            return None
        if not self.entity.schema.is_a("LegalEntity"):
            self.unmapped(field_name)
            return None
        document = self.child(schema, "document", *labels, number)
        document.add("holder", self.entity.id)  # checked: FtM refuses ids with non-ASCII letters
        self.put("number", number, field_name, entity=document)
        return document

    def add_address(self, key: str, full: str, field_name: str) -> StatementEntity:
        """The Address keyed by `key`, with its `full` text, also on the target's `address`."""
        address = self.child("Address", "address", key)
        self.put("full", full, field_name, entity=address)
        self.put("address", full, field_name)
        if self.entity.schema.get("addressEntity") is not None:
            self.entity.add("addressEntity", address.id)  # checked, as the holder above
        return address

    def entities(self) -> list[StatementEntity]:
        return [self.entity, *self.children.values()]


@dataclass
class ListState:
    """What one `read` call carries from target to target, for a publisher with a programme
    vocabulary (`dignity.vocab.programs`)."""

    path: Path
    report: ImportReport
    dataset: Dataset
    publisher: str
    prefix: str
    publisher_name: str
    source_url: str | None = None
    unknown_programs: set[str] = field(default_factory=set)

    def at_line(self, line: int | str) -> str:
        return f"{self.path}:{line}"

    def at_record(self, record: str) -> str:
        return f"{self.path} record {record}"


L = TypeVar("L", bound=ListState)


class ListBuilder(Builder[L]):
    """A target of a list whose programmes the vocabulary names."""

    def sanction(self, code: str | None, field_name: str) -> StatementEntity:
        """The Sanction entity for one programme of this target; counts the programme once."""
        code = self.tidy(code)
        sanction = self.child("Sanction", "sanction", code or "unknown")
        if sanction.has("entity"):
            return sanction
        state = self.state
        vocab = vocabulary()
        sanction.add("entity", self.entity.id)
        sanction.add("publisher", state.publisher_name)
        sanction.add("authority", vocab.authority(state.publisher))
        if state.source_url:
            sanction.add("sourceUrl", state.source_url)
        if not code:
            self.warn(field_name, "no programme or regime given for this listing")
            return sanction
        state.report.programs[code] += 1
        sanction.add("programId", code)
        program = vocab.get(state.publisher, code)
        if program is None:
            sanction.add("program", code)
            if code not in state.unknown_programs:
                state.unknown_programs.add(code)
                self.warn(
                    field_name, f"programme {code!r} is not in the {state.publisher} vocabulary"
                )
        else:
            sanction.add("program", program.title)
        return sanction
