"""Labelled name pairs for the screening quality harness, built from the official lists themselves.

Every pair is a query (a schema and one name) and a candidate entity (a schema and its property
values), labelled same or different, with a kind (script variant, spelling variant, reordering,
former name, unrelated name) and the query's script. The query name is always held out of the
candidate: an alias queried is removed from its own entry first, so a pair never tests a name
against itself.

Sources:
- OFAC alt.csv aliases (legacy set of 2021) against their entries;
- UN original-script names against the same entries' Latin names;
- Australian listings that carry a UN reference against those UN entries;
- the Wikidata transliteration test pairs in ../shared/data/eval-candidates (token pairs in seven
  scripts), with the nearest Latin token of another name as the hard negative (see wikidata_pairs);
- apart from these (`korean_pairs`), every alias in Latin letters of a Korean national on the OFAC
  and UN lists against the rest of the entry: the lists' own romanisations of one Korean name.

Hard negatives for the list pairs are the other entries the candidate index finds for the query
(different entries with similar names); entries that carry the query's exact name are left out,
since no name matcher can tell those apart.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from followthemoney import StatementEntity
from rapidfuzz import process
from rapidfuzz.distance import Indel
from rigour.text.scripts import text_scripts
from rigour.text.translit import ascii_text

from dignity.screening.index import MemoryIndex
from dignity.screening.records import MATCHABLE, Record, make_record, query_record
from dignity.sources.services import open_list

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OFAC_2021 = DATA / "ofac/legacy-csv-2021-07-07"
UN_FILE = DATA / "un/consolidated.xml"
AU_FILE = DATA / "australia/Australian_Sanctions_Consolidated_List.xlsx"
WIKIDATA = DATA / "eval-candidates/netransliteration-wikidata"
NAME_PROPS = ("name", "alias", "weakAlias", "previousName")
KOREA = frozenset({"kp", "kr"})
NEGATIVES_PER_QUERY = 3
# Nearest Latin tokens looked at for a Wikidata negative (the first that is another name is taken).
NEIGHBOURS = 10


@dataclass
class Pair:
    source: str
    kind: str
    script: str
    schema: str
    query: str
    candidate_id: str
    candidate: dict[str, list[str]]
    candidate_schema: str
    same: bool
    scores: dict[str, float] = field(default_factory=dict)


def script_of(text: str) -> str:
    scripts = sorted(text_scripts(text) - {"Common", "Inherited"})
    return scripts[0] if len(scripts) == 1 else ("Latin" if not scripts else "+".join(scripts))


def kind_of(query: str, names: list[str], former: bool) -> str:
    """How the query name relates to the candidate's own names."""
    if former:
        return "former name"
    if script_of(query) != "Latin":
        return "script variant"
    q_tokens = sorted(ascii_text(query).lower().replace(",", " ").split())
    best = 0.0
    for name in names:
        tokens = sorted(ascii_text(name).lower().replace(",", " ").split())
        if tokens == q_tokens:
            return "reordering"
        best = max(best, Indel.normalized_similarity(" ".join(q_tokens), " ".join(tokens)))
    return "spelling variant" if best >= 0.7 else "unrelated name"


def _values(entity: StatementEntity) -> dict[str, list[str]]:
    return {prop: list(values) for prop, values in entity.properties.items()}


def _targets(path: Path, fmt: str) -> list[StatementEntity]:
    return [e for e in open_list(path, fmt).entities() if e.schema.name in MATCHABLE]


def _without(values: dict[str, list[str]], held_out: set[str]) -> dict[str, list[str]]:
    out = {k: list(v) for k, v in values.items()}
    for prop in NAME_PROPS:
        if prop in out:
            out[prop] = [v for v in out[prop] if v not in held_out]
    return out


def _sample(pairs: list[Pair], limit: int, rng: random.Random) -> list[Pair]:
    """`limit` of the pairs, the same in every run: the list readers give entities, and an
    entity its names, in an order that differs from one process to the next."""
    pairs.sort(key=lambda pair: (pair.candidate_id, pair.query, pair.kind))
    return rng.sample(pairs, min(limit, len(pairs)))


def ofac_alias_pairs(limit: int, rng: random.Random) -> list[Pair]:
    pairs = []
    for entity in _targets(OFAC_2021, "ofac-csv"):
        values = _values(entity)
        primary = values.get("name", [])
        for prop in ("alias", "weakAlias", "previousName"):
            for alias in values.get(prop, []):
                if alias in primary:
                    continue
                pairs.append(
                    Pair(
                        "ofac-alt",
                        kind_of(alias, primary, former=prop == "previousName"),
                        script_of(alias),
                        entity.schema.name,
                        alias,
                        entity.id or "",
                        _without(values, {alias}),
                        entity.schema.name,
                        True,
                    )
                )
    return _sample(pairs, limit, rng)


def un_script_pairs(limit: int, rng: random.Random) -> list[Pair]:
    pairs = []
    for entity in _targets(UN_FILE, "un-xml"):
        values = _values(entity)
        names = [v for p in NAME_PROPS for v in values.get(p, [])]
        scripted = {n for n in names if script_of(n) not in ("Latin",)}
        for name in sorted(scripted):
            pairs.append(
                Pair(
                    "un-script",
                    "script variant",
                    script_of(name),
                    entity.schema.name,
                    name,
                    entity.id or "",
                    _without(values, scripted),
                    entity.schema.name,
                    True,
                )
            )
    return _sample(pairs, limit, rng)


def korean_pairs() -> list[Pair]:
    """Every alias in Latin letters of a person of Korean nationality (North or South) on the
    OFAC and UN lists, against the rest of the entry: all of them, not a sample."""
    pairs = []
    for source in ("ofac-korean", "un-korean"):
        for entity in _source_entities(source).values():
            values = _values(entity)
            countries = {
                v for p in ("nationality", "citizenship", "country") for v in values.get(p, [])
            }
            if entity.schema.name != "Person" or not countries & KOREA:
                continue
            primary = values.get("name", [])
            for prop in ("alias", "weakAlias"):
                for alias in values.get(prop, []):
                    if alias in primary or script_of(alias) != "Latin":
                        continue
                    pairs.append(
                        Pair(
                            source,
                            kind_of(alias, primary, former=False),
                            "Latin",
                            "Person",
                            alias,
                            entity.id or "",
                            _without(values, {alias}),
                            "Person",
                            True,
                        )
                    )
    pairs.sort(key=lambda pair: (pair.candidate_id, pair.query, pair.kind))
    return pairs


def _unsc_ids(entities: list[StatementEntity], sanctions: list[StatementEntity]) -> dict[str, str]:
    """UN reference -> target entity id, from the Sanction entities of a list."""
    ids = {e.id for e in entities}
    found: dict[str, str] = {}
    for sanction in sanctions:
        for ref in sanction.get("unscId"):
            for target in sanction.get("entity"):
                if target in ids:
                    found[ref.strip().upper().replace(" ", "")] = target
    return found


def au_un_pairs(limit: int, rng: random.Random) -> list[Pair]:
    un_all = list(open_list(UN_FILE, "un-xml").entities())
    au_all = list(open_list(AU_FILE, "au-xlsx").entities())
    un_targets = [e for e in un_all if e.schema.name in MATCHABLE]
    au_targets = [e for e in au_all if e.schema.name in MATCHABLE]
    un_by_ref = _unsc_ids(un_targets, [e for e in un_all if e.schema.name == "Sanction"])
    au_by_ref = _unsc_ids(au_targets, [e for e in au_all if e.schema.name == "Sanction"])
    un_by_id = {e.id: e for e in un_targets}
    au_by_id = {e.id: e for e in au_targets}
    pairs = []
    for ref, au_id in au_by_ref.items():
        un_id = un_by_ref.get(ref)
        if un_id is None:
            continue
        au, un = au_by_id[au_id], un_by_id[un_id]
        un_values = _values(un)
        un_names = [v for p in NAME_PROPS for v in un_values.get(p, [])]
        for query in au.get("name"):
            if query in un_names:
                continue  # the same string: nothing to learn
            pairs.append(
                Pair(
                    "au-un",
                    kind_of(query, un_names, former=False),
                    script_of(query),
                    au.schema.name,
                    query,
                    un_id,
                    un_values,
                    un.schema.name,
                    True,
                )
            )
    return _sample(pairs, limit, rng)


def hard_negatives(positives: list[Pair]) -> list[Pair]:
    """For each positive, the other entries of its list the index finds for the query."""
    by_source: dict[str, list[Pair]] = {}
    for pair in positives:
        by_source.setdefault(pair.source, []).append(pair)
    negatives: list[Pair] = []
    for source, pairs in by_source.items():
        entities = _source_entities(source)
        index = MemoryIndex(
            make_record(e.id or "", e.schema.name, _values(e)) for e in entities.values()
        )
        for pair in pairs:
            query = query_record(pair.schema, {"name": [pair.query]})
            folded = pair.query.casefold()
            taken = 0
            for record in index.candidates(query, datasets=None, limit=20):
                if record.id == pair.candidate_id:
                    continue
                values = _values(entities[record.id])
                if any(v.casefold() == folded for p in NAME_PROPS for v in values.get(p, [])):
                    continue
                negatives.append(
                    Pair(
                        pair.source,
                        "different entry",
                        pair.script,
                        pair.schema,
                        pair.query,
                        record.id,
                        values,
                        record.schema,
                        False,
                    )
                )
                taken += 1
                if taken == NEGATIVES_PER_QUERY:
                    break
    return negatives


def _source_entities(source: str) -> dict[str, StatementEntity]:
    path, fmt = {
        "ofac-alt": (OFAC_2021, "ofac-csv"),
        "un-script": (UN_FILE, "un-xml"),
        "au-un": (UN_FILE, "un-xml"),
        "ofac-korean": (OFAC_2021, "ofac-csv"),
        "un-korean": (UN_FILE, "un-xml"),
    }[source]
    return {e.id or "": e for e in _targets(path, fmt)}


def _wikidata_rows(path: Path) -> Iterator[tuple[str, str]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2 and parts[0] and parts[1]:
                yield parts[0], parts[1].replace(" ", "")


def wikidata_pairs(per_script: int, rng: random.Random) -> list[Pair]:
    """Positive token pairs and, for each, the nearest Latin token of another name.

    The nearest Latin token of another row is not always another name. Two rules, both read off
    the data itself and applied before any matcher has scored a pair, skip such a neighbour and
    take the next nearest:

    - it is the same spelling once accents and case are folded (`i̇smail` and `ismail`);
    - a row of the file writes it with the very same script token as the positive row: the data
      says the two Latin spellings are one name (`yakovlevich` and `jakovlevič`, both `яковлевич`).
    """
    pairs = []
    for path in sorted(WIKIDATA.glob("wd_*_20.tsv")):
        label = path.stem.removeprefix("wd_").removesuffix("_20")
        rows = list(_wikidata_rows(path))
        latin = sorted({latin for latin, _ in rows})
        written: dict[str, set[str]] = {}
        for latin_token, script_token in rows:
            written.setdefault(latin_token, set()).add(script_token)
        for latin_token, script_token in rng.sample(rows, min(per_script, len(rows))):
            script = f"{script_of(script_token)} ({label})"
            pairs.append(_token_pair(script, script_token, latin_token, True))
            folded = _folded(latin_token)
            neighbours = process.extract(
                latin_token, latin, scorer=Indel.normalized_distance, limit=NEIGHBOURS
            )
            for other, _distance, _ in neighbours:
                if _folded(other) == folded or script_token in written[other]:
                    continue  # the same name (see above)
                pairs.append(_token_pair(script, script_token, other, False))
                break
    return pairs


def _folded(token: str) -> str:
    return ascii_text(token).casefold()


def _token_pair(script: str, query: str, candidate: str, same: bool) -> Pair:
    return Pair(
        "wikidata",
        "script variant" if same else "different name",
        script,
        "Person",
        query,
        f"wd-{candidate}",
        {"name": [candidate]},
        "Person",
        same,
    )


def candidate_record(pair: Pair) -> Record:
    return make_record(pair.candidate_id, pair.candidate_schema, pair.candidate)
