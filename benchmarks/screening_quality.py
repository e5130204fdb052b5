"""Screening quality: precision, recall and F1 of Dignity's matcher and yente's, on the same pairs.

    .venv/bin/uv sync --group bench      # nomenklatura, the peer (benchmark-only)
    .venv/bin/python benchmarks/screening_quality.py [--limit 3000] [--per-script 500] [--json F]

Pairs come from the official lists themselves and from the Wikidata transliteration test set (see
quality_pairs.py; a Wikidata negative is the nearest Latin token of another name, a neighbour that
the data itself shows to be the same name being skipped: see `quality_pairs.wikidata_pairs`).
Each algorithm is read at its own default threshold: Dignity's (0.8) and yente's (0.7, which yente
applies to every algorithm). Figures: overall precision, recall and F1;
recall per kind of pair; F1 per script and per schema; a precision-recall table over thresholds;
and the bar of the screening issue for script and spelling variants.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from followthemoney import model
from followthemoney.proxy import EntityProxy

from dignity.exc import InvalidInput
from dignity.screening.records import query_record
from dignity.screening.score import DEFAULT_THRESHOLD, score
from quality_pairs import (
    Pair,
    au_un_pairs,
    candidate_record,
    hard_negatives,
    korean_pairs,
    ofac_alias_pairs,
    un_script_pairs,
    wikidata_pairs,
)

YENTE_THRESHOLD = 0.7
THRESHOLDS = [round(0.5 + 0.05 * i, 2) for i in range(10)]
VARIANT_KINDS = ("script variant", "spelling variant")
_ids = itertools.count()

Scorer = Callable[[Pair], float]


def dignity_scorer() -> Scorer:
    def run(pair: Pair) -> float:
        return score(
            query_record(pair.schema, {"name": [pair.query]}), candidate_record(pair)
        ).score

    return run


def _entity(schema: str, values: dict[str, list[str]]) -> EntityProxy:
    entity = model.make_entity(schema)
    entity.id = f"e{next(_ids)}"
    for prop, items in values.items():
        if entity.schema.get(prop) is not None:
            entity.add(prop, items, quiet=True)
    return entity


def nomenklatura_scorer(name: str) -> Scorer:
    from nomenklatura.matching import get_algorithm

    algorithm = get_algorithm(name)
    if algorithm is None:
        raise SystemExit(f"nomenklatura has no algorithm {name!r}")
    config = algorithm.default_config()

    def run(pair: Pair) -> float:
        query = _entity(pair.schema, {"name": [pair.query]})
        candidate = _entity(pair.candidate_schema, pair.candidate)
        return float(algorithm.compare(query, candidate, config).score)

    return run


def prf(pairs: Iterable[Pair], algorithm: str, threshold: float) -> tuple[float, float, float, int]:
    tp = fp = fn = n = 0
    for pair in pairs:
        n += 1
        hit = pair.scores[algorithm] >= threshold
        tp += hit and pair.same
        fp += hit and not pair.same
        fn += (not hit) and pair.same
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, n


def build_pairs(limit: int, per_script: int, seed: int) -> list[Pair]:
    rng = random.Random(seed)
    positives = ofac_alias_pairs(limit, rng) + un_script_pairs(limit, rng) + au_un_pairs(limit, rng)
    positives = [p for p in positives if _matchable(p)]
    tokens = [p for p in wikidata_pairs(per_script, rng) if _matchable(p)]
    return positives + hard_negatives(positives) + tokens


def _matchable(pair: Pair) -> bool:
    """Whether the query has a name left to match once cleaned (not only punctuation)."""
    try:
        query_record(pair.schema, {"name": [pair.query]})
    except InvalidInput:
        return False
    return True


def run(pairs: list[Pair], scorers: dict[str, Scorer]) -> dict[str, float]:
    speeds = {}
    for name, scorer in scorers.items():
        started = time.perf_counter()
        for pair in pairs:
            pair.scores[name] = scorer(pair)
        speeds[name] = len(pairs) / (time.perf_counter() - started)
    return speeds


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def report(pairs: list[Pair], thresholds: dict[str, float], speeds: dict[str, float]) -> str:
    names = list(thresholds)
    out = []
    positives = sum(p.same for p in pairs)
    out.append(f"{len(pairs):,} pairs: {positives:,} same, {len(pairs) - positives:,} different\n")
    rows = []
    for name in names:
        p, r, f, _ = prf(pairs, name, thresholds[name])
        rows.append(
            [
                name,
                f"{thresholds[name]:.2f}",
                f"{p:.3f}",
                f"{r:.3f}",
                f"{f:.3f}",
                f"{speeds[name]:,.0f}",
            ]
        )
    out.append("Overall, each at its default threshold:\n")
    out.append(table(["algorithm", "threshold", "precision", "recall", "F1", "pairs/s"], rows))

    variants = [p for p in pairs if (p.same and p.kind in VARIANT_KINDS) or not p.same]
    rows = []
    for name in names:
        p, r, f, _ = prf(variants, name, thresholds[name])
        rows.append([name, f"{p:.3f}", f"{r:.3f}", f"{f:.3f}"])
    out.append(
        "\nScript and spelling variants against every different pair (bar: P and R >= 0.95):\n"
    )
    out.append(table(["algorithm", "precision", "recall", "F1"], rows))

    out.append("\nRecall (same pairs) or share kept apart (different pairs), by kind:\n")
    groups: dict[str, list[Pair]] = defaultdict(list)
    for pair in pairs:
        groups[pair.kind].append(pair)
    rows = []
    for kind, members in sorted(groups.items()):
        cells = [kind, f"{len(members):,}"]
        for name in names:
            hits = sum(p.scores[name] >= thresholds[name] for p in members)
            share = hits / len(members) if members[0].same else 1 - hits / len(members)
            cells.append(f"{share:.3f}")
        rows.append(cells)
    out.append(table(["kind", "pairs", *names], rows))

    for label, key in (
        ("script", lambda p: p.script),
        ("schema", lambda p: p.schema),
        ("source", lambda p: p.source),
    ):
        out.append(f"\nF1 by {label}:\n")
        groups = defaultdict(list)
        for pair in pairs:
            groups[key(pair)].append(pair)
        rows = []
        for group, members in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            cells = [group, f"{len(members):,}"]
            cells += [f"{prf(members, n, thresholds[n])[2]:.3f}" for n in names]
            rows.append(cells)
        out.append(table([label, "pairs", *names], rows))

    out.append("\nPrecision / recall over thresholds:\n")
    rows = []
    for threshold in THRESHOLDS:
        cells = [f"{threshold:.2f}"]
        for name in names:
            p, r, _, _ = prf(pairs, name, threshold)
            cells.append(f"{p:.3f} / {r:.3f}")
        rows.append(cells)
    out.append(table(["threshold", *names], rows))
    return "\n".join(out)


def korean_report(pairs: list[Pair], thresholds: dict[str, float]) -> str:
    """Korean names in Latin letters (`korean_pairs`): the lists' own aliases of Korean nationals
    against their entries, and the other entries the index finds for them."""
    same = sum(p.same for p in pairs)
    rows = []
    for name, threshold in thresholds.items():
        p, r, f, _ = prf(pairs, name, threshold)
        spelling = [q for q in pairs if q.kind in VARIANT_KINDS or not q.same]
        _, r_spelling, _, _ = prf(spelling, name, threshold)
        rows.append([name, f"{p:.3f}", f"{r:.3f}", f"{r_spelling:.3f}", f"{f:.3f}"])
    head = (
        f"\nKorean names in Latin letters, every alias of a Korean national on the OFAC and UN"
        f" lists against its entry ({same:,}; spelling variants among them as labelled above)"
        f" and the other entries the index finds ({len(pairs) - same:,}):\n"
    )
    headers = ["algorithm", "precision", "recall", "recall, spelling variants", "F1"]
    return head + table(headers, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=3000, help="positive pairs per list source")
    parser.add_argument("--per-script", type=int, default=500, help="Wikidata pairs per script")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--json", type=Path, help="write every pair and its scores here")
    parser.add_argument("--no-peers", action="store_true", help="score with Dignity only")
    args = parser.parse_args()
    pairs = build_pairs(args.limit, args.per_script, args.seed)
    scorers = {"dignity": dignity_scorer()}
    thresholds = {"dignity": DEFAULT_THRESHOLD}
    if not args.no_peers:
        for peer in ("logic-v2", "ofac"):
            scorers[peer] = nomenklatura_scorer(peer)
            thresholds[peer] = YENTE_THRESHOLD
    speeds = run(pairs, scorers)
    print(report(pairs, thresholds, speeds))
    korean = korean_pairs()
    korean += hard_negatives(korean)
    run(korean, scorers)
    print(korean_report(korean, thresholds))
    if args.json:
        args.json.write_text(
            json.dumps([vars(p) for p in pairs], ensure_ascii=False, indent=1), encoding="utf-8"
        )


if __name__ == "__main__":
    main()
