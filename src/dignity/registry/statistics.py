"""Designation statistics, computed from the stored statements and never typed in.

Every figure is a count of distinct listed targets (persons, organisations, companies, legal
entities, vessels, aircraft) in the current version of each list, and comes with the `TargetQuery`
that lists exactly those targets, so any number on a page can be opened up to its source rows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Subquery, and_, func, select
from sqlalchemy.orm import Session, aliased

from dignity.registry.models import ListVersion, SourceList, Statement
from dignity.vocab.programs import vocabulary

PEOPLE_AND_ENTITIES = ("Person", "Organization", "Company", "LegalEntity", "PublicBody")
TARGET_SCHEMATA = (*PEOPLE_AND_ENTITIES, "Vessel", "Airplane")
COUNTRY_PROPS = ("country", "nationality", "citizenship", "jurisdiction", "flag")


@dataclass(frozen=True)
class TargetQuery:
    """A filter over current targets; the same object drives a count and the list behind it."""

    list_id: str | None = None
    program: str | None = None
    country: str | None = None
    year: int | None = None
    schema: str | None = None
    theme: str | None = None

    def as_params(self) -> dict[str, str]:
        return {k: str(v) for k, v in vars(self).items() if v is not None}


@dataclass
class Breakdown:
    title: str
    rows: list[tuple[str, int, TargetQuery]] = field(default_factory=list)


@dataclass
class DesignationStats:
    total: int
    people_and_entities: int
    by_list: Breakdown
    by_schema: Breakdown
    by_program: Breakdown
    by_theme: Breakdown
    by_country: Breakdown
    by_year: Breakdown
    human_rights: int
    undated: int


def _current() -> Subquery:
    """(list, seq) of the current version of every list."""
    return (
        select(ListVersion.list_id, func.max(ListVersion.seq).label("seq"))
        .group_by(ListVersion.list_id)
        .subquery()
    )


def _targets(session: Session) -> dict[tuple[str, str], str]:
    """(list, target id) -> schema, for every target in the current version of every list."""
    latest = _current()
    rows = session.execute(
        select(Statement.list_id, Statement.entity_id, Statement.schema)
        .join(
            latest, and_(latest.c.list_id == Statement.list_id, latest.c.seq == Statement.last_seen)
        )
        .where(Statement.schema.in_(TARGET_SCHEMATA))
        .distinct()
    ).all()
    return {(list_id, entity_id): schema for list_id, entity_id, schema in rows}


def _sanctions(session: Session) -> dict[tuple[str, str], dict[str, set[str]]]:
    """(list, target id) -> {"programId": {...}, "listingDate": {...}} from current Sanctions."""
    latest = _current()
    ref = aliased(Statement)
    rows = session.execute(
        select(Statement.list_id, ref.value, Statement.prop, Statement.value)
        .join(
            latest, and_(latest.c.list_id == Statement.list_id, latest.c.seq == Statement.last_seen)
        )
        .join(
            ref,
            and_(
                ref.list_id == Statement.list_id,
                ref.entity_id == Statement.entity_id,
                ref.prop == "entity",
                ref.last_seen == Statement.last_seen,
            ),
        )
        .where(Statement.schema == "Sanction", Statement.prop.in_(("programId", "listingDate")))
    ).all()
    found: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for list_id, target, prop, value in rows:
        found[(list_id, target)][prop].add(value)
    return found


def _countries(session: Session) -> dict[tuple[str, str], set[str]]:
    latest = _current()
    rows = session.execute(
        select(Statement.list_id, Statement.entity_id, Statement.value)
        .join(
            latest, and_(latest.c.list_id == Statement.list_id, latest.c.seq == Statement.last_seen)
        )
        .where(Statement.schema.in_(TARGET_SCHEMATA), Statement.prop.in_(COUNTRY_PROPS))
    ).all()
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for list_id, entity_id, value in rows:
        found[(list_id, entity_id)].add(value)
    return found


@dataclass
class Target:
    list_id: str
    entity_id: str
    schema: str
    publisher: str
    programs: set[str]
    themes: set[str]
    countries: set[str]
    years: set[int]

    def matches(self, query: TargetQuery) -> bool:
        return (
            (query.list_id is None or query.list_id == self.list_id)
            and (query.program is None or query.program in self.programs)
            and (query.country is None or query.country in self.countries)
            and (query.year is None or query.year in self.years)
            and (query.schema is None or query.schema == self.schema)
            and (query.theme is None or query.theme in self.themes)
        )


def load_targets(session: Session) -> list[Target]:
    """Every current target with what the statistics group it by."""
    rows = session.execute(select(SourceList.id, SourceList.publisher))
    # A Result has keys(), so dict(result) would treat it as a mapping: build the dict by hand.
    publishers = {list_id: publisher for list_id, publisher in rows}  # noqa: C416
    sanctions = _sanctions(session)
    countries = _countries(session)
    programs = vocabulary()
    targets = []
    for (list_id, entity_id), schema in sorted(_targets(session).items()):
        info = sanctions.get((list_id, entity_id), {})
        codes = set(info.get("programId", set()))
        publisher = publishers.get(list_id, "")
        themes: set[str] = {
            str(theme)
            for code in codes
            if (program := programs.get(publisher, code)) is not None
            for theme in program.themes
        }
        years = {int(date[:4]) for date in info.get("listingDate", set()) if date[:4].isdigit()}
        targets.append(
            Target(
                list_id,
                entity_id,
                schema,
                publisher,
                codes,
                themes,
                countries.get((list_id, entity_id), set()),
                years,
            )
        )
    return targets


def select_targets(session: Session, query: TargetQuery) -> list[Target]:
    """The targets behind a figure: what a count was counted from."""
    return [target for target in load_targets(session) if target.matches(query)]


def _breakdown(
    title: str, counter: Counter[str], query: Callable[[str], TargetQuery], limit: int | None = None
) -> Breakdown:
    return Breakdown(title, [(v, n, query(v)) for v, n in counter.most_common(limit)])


def designation_stats(session: Session) -> DesignationStats:
    targets = load_targets(session)
    by_list: Counter[str] = Counter(t.list_id for t in targets)
    by_schema: Counter[str] = Counter(t.schema for t in targets)
    by_program: Counter[str] = Counter(code for t in targets for code in t.programs)
    by_theme: Counter[str] = Counter(theme for t in targets for theme in t.themes)
    by_country: Counter[str] = Counter(c for t in targets for c in t.countries)
    by_year: Counter[str] = Counter(str(y) for t in targets for y in t.years)
    return DesignationStats(
        total=len(targets),
        people_and_entities=sum(1 for t in targets if t.schema in PEOPLE_AND_ENTITIES),
        by_list=_breakdown("By list", by_list, lambda v: TargetQuery(list_id=v)),
        by_schema=_breakdown("By kind of target", by_schema, lambda v: TargetQuery(schema=v)),
        by_program=_breakdown("By program", by_program, lambda v: TargetQuery(program=v), 40),
        by_theme=_breakdown("By theme of the program", by_theme, lambda v: TargetQuery(theme=v)),
        by_country=_breakdown("By country", by_country, lambda v: TargetQuery(country=v), 40),
        by_year=Breakdown(
            "By year of listing",
            [(y, n, TargetQuery(year=int(y))) for y, n in sorted(by_year.items())],
        ),
        human_rights=sum(1 for t in targets if "human-rights" in t.themes),
        undated=sum(1 for t in targets if not t.years),
    )


@dataclass(frozen=True)
class YearSentence:
    year: int
    designated: int
    jurisdictions: int
    text: str
    query: TargetQuery


def year_sentence(session: Session, year: int) -> YearSentence:
    """ "N individuals and entities designated across M jurisdictions in YEAR", from the data."""
    listed = [
        t for t in load_targets(session) if year in t.years and t.schema in PEOPLE_AND_ENTITIES
    ]
    jurisdictions = {t.publisher.split("-")[0] for t in listed}
    n, m = len(listed), len(jurisdictions)
    text = (
        f"{n:,} {'individual or entity' if n == 1 else 'individuals and entities'} designated "
        f"across {m:,} {'jurisdiction' if m == 1 else 'jurisdictions'} in {year}"
    )
    return YearSentence(year, n, m, text, TargetQuery(year=year))
