"""Scoring compiled (`name_table`, `names_kernel`) must give what scoring in Python gives: the same
best name, the same score bit for bit, for every candidate of every query.

The candidates are the UN consolidated list (names in Latin letters and in Arabic script,
aliases of every kind, dates and countries) and the hard cases of `test_score`; the queries are
their names as listed, reordered, cut short, misspelt and written in another script.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from dignity.exc import InvalidInput
from dignity.screening.index import MemoryIndex
from dignity.screening.records import MATCHABLE, Record, make_record, query_record
from dignity.screening.score import Scorer
from dignity.sources.services import open_list

UN_FILE = Path(__file__).resolve().parents[3].parent / "shared/data/un/consolidated.xml"
HARD = [
    ("Person", "PUTIN, Vladimir Vladimirovich"),
    ("Person", "Владимир Путин"),
    ("Person", "KIM, Jong Un"),
    ("Person", "KIM, Yo Jong"),
    ("Person", "김정은"),
    ("Person", "Usama BIN LADIN"),
    ("Person", "أسامة محمد عوض بن لادن"),
    ("Person", "Abd al-Rahman AL-QADULI"),
    ("Person", "克林頓"),
    ("Organization", "MZIK OAO"),
    ("Organization", "MSK Shipping LLC"),
    ("Person", "V. KONONOV"),
    # Korean names romanised as the North writes them, syllables of one letter among them
    ("Person", "CHO, Il-U"),
    ("Person", "JO, Yong Chol"),
    ("Person", "RI, Yong Ho"),
    ("Person", "O Chol Ho"),
]
# The same Korean names romanised otherwise (`korean`): Woo for U, Cho for Jo, Lee for Ri, Oh.
KOREAN = [
    ("Person", "CHO, Il Woo"),
    ("Person", "Cho Yong Cheol"),
    ("Person", "Lee Yong Ho"),
    ("Person", "Oh Cheol Ho"),
]


@pytest.fixture(scope="module")
def records() -> list[Record]:
    found = [
        make_record(f"hard-{n}", schema, {"name": [name]}) for n, (schema, name) in enumerate(HARD)
    ]
    for entity in open_list(UN_FILE, "un-xml").entities():
        if entity.schema.name in MATCHABLE:
            values = {prop: list(values) for prop, values in entity.properties.items()}
            found.append(make_record(entity.id or "", entity.schema.name, values))
    # the reader's order differs from process to process: the queries drawn must not
    return sorted(found, key=lambda record: record.id)


def _queries(records: list[Record]) -> list[Record]:
    rng = random.Random(20261204)
    queries = [*HARD, *KOREAN, ("Person", "Vladimir Putin"), ("Person", "Jong Un Kim")]
    for record in rng.sample(records, 400):
        schema = "Person" if record.schema == "Person" else "LegalEntity"
        name = rng.choice(record.names).original
        parts = name.replace(",", " ").split()
        queries.append((schema, name))
        queries.append((schema, " ".join(rng.sample(parts, len(parts)))))  # reordered
        if len(parts) > 2:
            queries.append((schema, " ".join(parts[:2])))  # cut short
        word = rng.choice(parts)
        if len(word) > 4:  # one letter dropped
            at = rng.randrange(len(word))
            queries.append((schema, name.replace(word, word[:at] + word[at + 1 :])))
    return [query for schema, name in queries if (query := _query(schema, name)) is not None]


def _query(schema: str, name: str) -> Record | None:
    try:
        return query_record(schema, {"name": [name]})
    except InvalidInput:  # a name cut short to particles or honorifics leaves nothing to match
        return None


def test_compiled_scoring_gives_what_python_gives(records: list[Record]) -> None:
    index = MemoryIndex(records)
    assert index.names is not None
    compared = foreign = korean = 0
    for query in _queries(records):
        name = query.names[0].original
        candidates = index.candidates(query, limit=20)
        compiled = Scorer(query, index.names)
        compiled.prepare(candidates)
        python = Scorer(query)
        python.prepare(candidates)
        for candidate in candidates:
            expected = python.best_name(candidate)
            assert compiled.best_name(candidate) == expected, (name, candidate.id)
            assert compiled.score(candidate) == python.score(candidate), (name, candidate.id)
            compared += 1
            foreign += any(n.foreign for n in candidate.names)
            korean += any(t.korean and not n.foreign for n in candidate.names for t in n.tokens)
        assert len(compiled._best) == len(candidates)  # every one scored compiled
    # the comparison covered many candidates, and names written in Arabic script among them
    assert compared > 5_000
    assert foreign > 500
    assert korean > 100  # Korean names in Latin letters (`korean`)


def test_ranking_gives_the_best_of_every_candidate_scored_in_full(records: list[Record]) -> None:
    # `ranked` writes out the features of the best only, ranking a query of names alone on its
    # best names: the same results, in the same order, as scoring every candidate in full
    index = MemoryIndex(records)
    ties = 0
    for query in _queries(records)[:300]:
        more: dict[str, object] = {"name": [query.names[0].original], "country": ["iq"]}
        if query.schema == "Person":
            more["birthDate"] = ["1960"]
        queries = [query, query_record(query.schema, more)]
        for asked in queries:
            candidates = index.candidates(asked, limit=20)
            scorer = Scorer(asked, index.names)
            scorer.prepare(candidates)
            every = sorted(
                ((Scorer(asked).score(c), c) for c in candidates),
                key=lambda pair: (-pair[0].score, pair[1].id),
            )
            ranked = scorer.ranked(candidates, 5)
            assert [(s, c.id) for s, c in ranked] == [(s, c.id) for s, c in every[:5]]
            scores = [s.score for s, _ in every[:6]]
            ties += len(scores) != len(set(scores))
    assert ties > 20  # equal scores, where only the order by id decides


def test_candidates_outside_the_table_are_scored_in_python(records: list[Record]) -> None:
    index = MemoryIndex(records[:50])
    outsider = make_record("x", "Person", {"name": ["Vladimir PUTIN"]})
    query = query_record("Person", {"name": ["Vladimir Putin"]})
    scorer = Scorer(query, index.names)
    scorer.prepare([outsider])
    assert scorer.score(outsider).score == Scorer(query).score(outsider).score > 0.9


def test_an_index_loads_the_compiled_code_as_it_is_built() -> None:
    # numba compiles (or loads from its cache) on a function's first call: the index makes that
    # call as it is built, so that the first query does not wait for it (about 0.3 s). In a
    # process of its own: here other tests have called them already.
    script = (
        "from dignity.screening import align_kernel, index_kernel, names_kernel\n"
        "from dignity.screening.index import MemoryIndex\n"
        "from dignity.screening.records import make_record\n"
        "MemoryIndex([make_record('r', 'Person', {'name': ['Vladimir PUTIN']})])\n"
        "kernels = (align_kernel.bounded, index_kernel.heaviest, names_kernel.best_of)\n"
        "print(min(len(kernel.signatures) for kernel in kernels))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    assert int(done.stdout) >= 1, done.stderr
