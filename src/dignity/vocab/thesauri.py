"""Controlled vocabularies of the documentation core, after the HURIDOCS micro-thesauri.

One YAML file per thesaurus under `thesauri/`; the file's name is the thesaurus's name and the first
segment of every code in it (`violation.yaml` holds `violation.torture`, `violation.crsv.rape`).
A code is lowercase and dotted; its broader term is the code without its last segment, so the
hierarchy needs no other field (`violation.crsv` is the broader term of `violation.crsv.rape`; a
two-segment code is a top-level term):

    title: {en: Violation types, fr: Types de violations}
    terms:
      violation.crsv:
        label: {en: Conflict-related sexual violence, fr: Violences sexuelles liées aux conflits}
        description: Sexual violence linked directly or indirectly to a conflict.
      violation.crsv.rape:
        label: Rape                  # a plain string is the English label
        instruments: [ICCPR 7]       # articles of the instruments that protect it (rights)

Codes are stored with every record, so they are never renamed or reused; labels may be reworded and
translated. Local terms come from the YAML files of `Settings.vocab_local_dir`, each a `terms:`
mapping like the one above, routed to a thesaurus by the first segment of the code. A local file
may add terms (top-level, or under a term that exists) and labels in languages a term lacks; it may
not change what a shipped code means. Every problem raises `ConfigurationError` naming the file and
the term.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dignity.exc import ConfigurationError
from dignity.settings import get_settings

THESAURI_DIR = Path(__file__).parent / "thesauri"

SEGMENT = r"[a-z0-9]+(?:[_-][a-z0-9]+)*"
CODE_PATTERN = rf"^{SEGMENT}(?:\.{SEGMENT})+$"
LANGUAGE_PATTERN = r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$"
# "UDHR 5", "ICCPR 9(4)", "CAT 16", "ILO-C29 2": an instrument's short name and an article.
INSTRUMENT_PATTERN = r"^[A-Z][A-Z0-9-]* \d+[a-z]?(?:\(\d+\))*$"
FALLBACK_LANGUAGE = "en"

Texts = dict[str, str]


def _texts(value: Any) -> Any:
    """A plain string is the English text; a mapping gives the text per language."""
    return {FALLBACK_LANGUAGE: value} if isinstance(value, str) else value


def _check_languages(texts: Texts) -> Texts:
    for language, text in texts.items():
        if not isinstance(language, str) or not _matches(LANGUAGE_PATTERN, language):
            raise ValueError(f"{language!r} is not a language tag (en, fr, ar, pt-BR ...)")
        if not text.strip():
            raise ValueError(f"the {language!r} text is empty")
    return texts


def _matches(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None


class Term(BaseModel):
    """One concept: a stable code, labels and descriptions per language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=CODE_PATTERN)
    label: Texts
    description: Texts = Field(default_factory=dict)
    # Articles of the instruments that protect the right, for `right.*` terms ("ICCPR 7").
    instruments: tuple[str, ...] = ()
    # True for a term added by a local file rather than shipped with Dignity.
    local: bool = False

    @property
    def thesaurus(self) -> str:
        return self.code.split(".", 1)[0]

    @property
    def broader(self) -> str | None:
        """The code of the broader term, or None for a top-level term."""
        parent = self.code.rsplit(".", 1)[0]
        return parent if "." in parent else None

    @property
    def depth(self) -> int:
        """1 for a top-level term, 2 for its narrower terms, and so on."""
        return self.code.count(".")


class _TermEntry(BaseModel):
    """A term as written in a YAML file (its code is the key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: Texts = Field(min_length=1)
    description: Texts = Field(default_factory=dict)
    instruments: tuple[str, ...] = ()

    @field_validator("label", "description", mode="before")
    @classmethod
    def _plain_string_is_english(cls, value: Any) -> Any:
        return _texts(value)

    @field_validator("label", "description")
    @classmethod
    def _valid_languages(cls, value: Texts) -> Texts:
        return _check_languages(value)

    @field_validator("instruments")
    @classmethod
    def _valid_instruments(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for reference in value:
            if not _matches(INSTRUMENT_PATTERN, reference):
                raise ValueError(f"{reference!r} is not an instrument and article ('ICCPR 7')")
        return value


class _ShippedFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Texts
    description: Texts = Field(default_factory=dict)
    terms: dict[Any, Any] = Field(min_length=1)

    @field_validator("title", "description", mode="before")
    @classmethod
    def _plain_string_is_english(cls, value: Any) -> Any:
        return _texts(value)

    @field_validator("title")
    @classmethod
    def _english_title(cls, value: Texts) -> Texts:
        if FALLBACK_LANGUAGE not in value:
            raise ValueError("an English title is required")
        return _check_languages(value)


class _LocalFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    terms: dict[Any, Any] = Field(min_length=1)


class Thesaurus:
    """The terms of one vocabulary, by code, in file order (shipped terms, then local ones)."""

    def __init__(self, name: str, title: Texts, terms: list[Term], description: Texts) -> None:
        self.name = name
        self.title = title
        self.description = description
        self._terms = {term.code: term for term in terms}
        self._children: dict[str | None, list[Term]] = {}
        for term in terms:
            self._children.setdefault(term.broader, []).append(term)

    def __iter__(self) -> Iterator[Term]:
        return iter(self._terms.values())

    def __len__(self) -> int:
        return len(self._terms)

    def __contains__(self, code: object) -> bool:
        return code in self._terms

    def __getitem__(self, code: str) -> Term:
        try:
            return self._terms[code]
        except KeyError:
            raise KeyError(f"{code!r} is not a term of the {self.name!r} thesaurus") from None

    def __repr__(self) -> str:
        return f"<Thesaurus {self.name} ({len(self)} terms)>"

    def get(self, code: str) -> Term | None:
        return self._terms.get(code)

    def codes(self) -> list[str]:
        return list(self._terms)

    def top(self) -> list[Term]:
        """The top-level terms, in file order."""
        return list(self._children.get(None, []))

    def children(self, code: str) -> list[Term]:
        """The narrower terms directly under `code`, in file order."""
        return list(self._children.get(self[code].code, []))

    def descendants(self, code: str) -> list[Term]:
        """Every term under `code`, depth first, in file order (not `code` itself)."""
        found: list[Term] = []
        for child in self.children(code):
            found.append(child)
            found.extend(self.descendants(child.code))
        return found

    def ancestors(self, code: str) -> list[Term]:
        """The broader terms of `code`, nearest first, up to its top-level term."""
        found: list[Term] = []
        parent = self[code].broader
        while parent is not None:
            term = self[parent]
            found.append(term)
            parent = term.broader
        return found

    def is_a(self, code: str, ancestor: str) -> bool:
        """True when `code` is `ancestor` or one of its narrower terms (at any depth)."""
        self[ancestor]  # an unknown ancestor is a mistake, not a "no"
        return code == ancestor or any(term.code == ancestor for term in self.ancestors(code))

    def label(self, code: str, language: str = FALLBACK_LANGUAGE) -> str:
        """The label in `language`, else its primary language (`fr` for `fr-CA`), else English."""
        text = _pick(self[code].label, language)
        assert text is not None  # noqa: S101 (every term has an English label, checked at load)
        return text

    def describe(self, code: str, language: str = FALLBACK_LANGUAGE) -> str | None:
        """The description, with the same fallback as `label`; None when there is none."""
        return _pick(self[code].description, language)

    def title_in(self, language: str = FALLBACK_LANGUAGE) -> str:
        text = _pick(self.title, language)
        assert text is not None  # noqa: S101 (the English title is required, checked at load)
        return text


def _pick(texts: Texts, language: str) -> str | None:
    for candidate in (language, language.split("-")[0], FALLBACK_LANGUAGE):
        if candidate in texts:
            return texts[candidate]
    return None


# --- loading -----------------------------------------------------------------------------------


class _RepeatedKey(Exception):
    def __init__(self, key: object, line: int) -> None:
        super().__init__(key, line)
        self.key = key
        self.line = line


class _StrictLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys silently; a repeated code must fail instead."""


def _mapping_without_repeats(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool):
            continue  # an odd key (a list, a mapping) is left to the validation that follows
        if key in seen:
            raise _RepeatedKey(key, key_node.start_mark.line + 1)
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _mapping_without_repeats,
)


def _read(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except _RepeatedKey as error:
        what = "term" if isinstance(error.key, str) and _matches(CODE_PATTERN, error.key) else "key"
        raise ConfigurationError(
            f"{path}, line {error.line}: {what} {error.key!r} appears twice in the same mapping; "
            "each code, and each language of a label, is written once"
        ) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ConfigurationError(f"{path}: not a readable YAML file: {error}") from error


def _problems(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or 'file'}: {problem['msg']}"
        for problem in error.errors()
    )


def _entry(path: Path, code: object, raw: Any) -> tuple[str, _TermEntry]:
    if not isinstance(code, str) or not _matches(CODE_PATTERN, code):
        raise ConfigurationError(
            f"{path}: term {code!r}: a code is lowercase and dotted, at least two segments of "
            "letters, digits, '-' or '_' (violation.torture, violation.crsv.rape)"
        )
    try:
        return code, _TermEntry.model_validate(raw)
    except ValidationError as error:
        raise ConfigurationError(f"{path}: term {code!r}: {_problems(error)}") from error


def _check_parents(path: Path, codes: list[str], known: set[str]) -> None:
    defined = set(known) | set(codes)
    for code in codes:
        parent = code.rsplit(".", 1)[0]
        if "." in parent and parent not in defined:
            raise ConfigurationError(
                f"{path}: term {code!r}: its broader term {parent!r} does not exist; "
                "add it first or put the term under an existing one"
            )


@dataclass
class _Draft:
    """A thesaurus while its files are read: terms by code in file order, and each one's file."""

    title: Texts
    description: Texts
    terms: dict[str, Term] = field(default_factory=dict)
    origin: dict[str, Path] = field(default_factory=dict)

    def build(self, name: str) -> Thesaurus:
        return Thesaurus(name, self.title, list(self.terms.values()), self.description)


def _load_shipped(path: Path) -> _Draft:
    name = path.stem
    try:
        shipped = _ShippedFile.model_validate(_read(path))
    except ValidationError as error:
        raise ConfigurationError(f"{path}: invalid thesaurus: {_problems(error)}") from error
    draft = _Draft(shipped.title, shipped.description)
    for key, raw in shipped.terms.items():
        code, entry = _entry(path, key, raw)
        if code.split(".", 1)[0] != name:
            raise ConfigurationError(f"{path}: term {code!r}: codes in {path.name} start {name}.")
        if FALLBACK_LANGUAGE not in entry.label:
            raise ConfigurationError(f"{path}: term {code!r}: an English ('en') label is required")
        draft.terms[code] = Term(code=code, **entry.model_dump())
        draft.origin[code] = path
    _check_parents(path, list(draft.terms), set())
    return draft


def _merge_local(path: Path, drafts: dict[str, _Draft]) -> None:
    try:
        local = _LocalFile.model_validate(_read(path))
    except ValidationError as error:
        raise ConfigurationError(f"{path}: invalid local terms: {_problems(error)}") from error
    added: dict[str, list[Term]] = {}
    for key, raw in local.terms.items():
        code, entry = _entry(path, key, raw)
        name = code.split(".", 1)[0]
        if name not in drafts:
            raise ConfigurationError(
                f"{path}: term {code!r}: there is no {name!r} thesaurus "
                f"(there are: {', '.join(sorted(drafts))})"
            )
        draft = drafts[name]
        existing = draft.terms.get(code)
        if existing is None:
            if FALLBACK_LANGUAGE not in entry.label:
                raise ConfigurationError(
                    f"{path}: term {code!r}: a new term needs an English ('en') label"
                )
            added.setdefault(name, []).append(Term(code=code, local=True, **entry.model_dump()))
            continue
        _refuse_redefinition(path, code, entry, existing, draft.origin[code])
        draft.terms[code] = existing.model_copy(update={"label": {**existing.label, **entry.label}})
    for name, terms in added.items():
        draft = drafts[name]
        _check_parents(path, [term.code for term in terms], set(draft.terms))
        for term in terms:
            draft.terms[term.code] = term
            draft.origin[term.code] = path


def _refuse_redefinition(
    path: Path, code: str, entry: _TermEntry, existing: Term, defined_in: Path
) -> None:
    where = f"already defined in {defined_in}"
    if entry.description or entry.instruments:
        raise ConfigurationError(
            f"{path}: term {code!r} is {where}; a local file may only add labels in new "
            "languages to it, not a description or instruments"
        )
    clashing = sorted(set(entry.label) & set(existing.label))
    if clashing:
        raise ConfigurationError(
            f"{path}: term {code!r} is {where} and already has a label in "
            f"{', '.join(clashing)}; a local file may only add labels in new languages "
            "(choose a new code for a different meaning)"
        )


def load_thesauri(
    directory: Path = THESAURI_DIR, local_directory: Path | None = None
) -> dict[str, Thesaurus]:
    """Every thesaurus of `directory`, with the local terms of `local_directory` merged in.

    Local files are read in name order, so one may put terms under those of an earlier one.
    """
    drafts = {path.stem: _load_shipped(path) for path in sorted(directory.glob("*.yaml"))}
    if local_directory is not None:
        if not local_directory.is_dir():
            raise ConfigurationError(f"{local_directory}: no such directory of local terms")
        for path in sorted([*local_directory.glob("*.yaml"), *local_directory.glob("*.yml")]):
            _merge_local(path, drafts)
    return {name: draft.build(name) for name, draft in drafts.items()}


@lru_cache(maxsize=1)
def all_thesauri() -> dict[str, Thesaurus]:
    """The shipped thesauri with this deployment's local terms, read once."""
    return load_thesauri(THESAURI_DIR, get_settings().vocab_local_dir)


def thesaurus(name: str) -> Thesaurus:
    """One thesaurus by name (`violation`, `act`, `right` ...), with local terms merged in."""
    loaded = all_thesauri()
    try:
        return loaded[name]
    except KeyError:
        raise KeyError(f"no thesaurus {name!r} (there are: {', '.join(sorted(loaded))})") from None


def term_problem(name: str, code: str) -> str | None:
    """Why `code` cannot be stored in a field of the `name` thesaurus, or None when it can."""
    found = all_thesauri().get(name)
    if found is None:
        return f"there is no {name!r} vocabulary"
    if code not in found:
        return f"not a term of the {found.title_in()} vocabulary ({name})"
    return None
