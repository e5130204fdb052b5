"""One `Scorer` serves all the candidates of a query: what it remembers must not change a score."""

from __future__ import annotations

from dignity.screening.records import make_record, query_record
from dignity.screening.score import Scorer, score


def test_a_scorer_reused_across_candidates_scores_each_as_alone() -> None:
    query = query_record(
        "Person", {"name": ["Vladimir Putin", "Владимир Путин"], "birthDate": ["1952-10-07"]}
    )
    candidates = [
        make_record("a", "Person", {"name": ["PUTIN, Vladimir Vladimirovich"]}),
        make_record("b", "Person", {"name": ["Vladimir KONONOV"], "birthDate": ["1952"]}),
        make_record("c", "Person", {"name": ["Putin"], "alias": ["Vova Putin", "V. Putin"]}),
        make_record("d", "Organization", {"name": ["Putin Trading LLC"]}),
    ]
    scorer = Scorer(query)
    for candidate in candidates + candidates[::-1]:
        assert scorer.score(candidate) == score(query, candidate)


def test_the_first_of_equally_good_names_is_the_one_shown() -> None:
    query = query_record("Person", {"name": ["Ali Hassan"]})
    candidate = make_record(
        "a", "Person", {"name": ["Ali HASSAN"], "alias": ["Hassan, Ali", "Ali Hasan"]}
    )
    name_match = Scorer(query).score(candidate).features[0]
    assert (name_match.effect, name_match.candidate) == (1.0, "Ali HASSAN")
