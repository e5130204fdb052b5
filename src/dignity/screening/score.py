"""Scoring a candidate against a query, with every step explained.

The score starts from the best pairing of a query name with a candidate name; then dates of birth,
countries, gender and identifiers confirm or contradict it. Each step is a `Feature` in the result,
with what it added or took away, so a reviewer can see why a candidate scored as it did.

Names are compared token by token (see `tokens`), in any order, one query token to at most one
candidate token. Tokens left unmatched on either side cost less once two or more tokens agree: a
missing middle name or patronymic is expected; a different family name is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rapidfuzz.distance import Indel

from dignity.screening.align import similarity as reading_similarity
from dignity.screening.records import UNIQUE_IDENTIFIERS, Record
from dignity.screening.text import PreparedName, Token
from dignity.screening.tokens import READING_SIEVE, Partners, Pool, partners

if TYPE_CHECKING:
    from dignity.screening.name_table import BestNames, NameTable

ALGORITHM = "dignity-v1"
ALGORITHM_VERSION = "6"
DEFAULT_THRESHOLD = 0.8
# Unmatched tokens cost this share of their weight once two or more tokens agree; a missing
# patronymic or nasab part (Vladimirovich, bin Muhammad) costs less still.
EXTRA_TOKEN_COST = 0.5
PATRONYMIC_COST = 0.15
# The most a person's name scores when its given name found no partner.
GIVEN_NAME_CAP = 0.75
# Run-together spellings (Abdul Rahman ~ Abdulrahman) count when this close.
FUSED_FLOOR = 0.9

# What a name that only sounds the same across scripts can score: from this to 0.1 above it.
SOUND_FLOOR = 0.75

DOB_EXACT = 0.05
DOB_MISMATCH = -0.2
COUNTRY_MISMATCH = -0.1
GENDER_MISMATCH = -0.15
IDENTIFIER_CONFLICT = -0.3
IDENTIFIER_MATCH_FLOOR = 0.95


@dataclass(frozen=True, slots=True)
class Feature:
    """One step of the score: its name, what it added (negative: took away), and why."""

    name: str
    effect: float
    detail: str
    query: str | None = None
    candidate: str | None = None


@dataclass(slots=True)
class Scored:
    score: float
    features: list[Feature] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Shape:
    """What comparing a name takes besides its tokens, worked out once per name.

    Positions are bits of an int: `used` masks say which tokens found a partner.
    """

    name: PreparedName
    weights: tuple[float, ...]
    strong: tuple[bool, ...]  # neither a particle nor an initial: a match through it counts
    long: tuple[bool, ...]  # more than one letter
    every: int  # all positions
    # Positions neither a particle nor a patronymic: left unmatched, they make a different name.
    significant: int
    # A person's name in natural order (no comma) whose first part is a given name: when that
    # finds no partner, Hamza Usama Muhammad bin Laden is not Usama Muhammad bin Laden.
    given_name: bool
    kind_weight: float
    # (person, cost) -> what each token costs when it finds no partner (see `_token_costs`)
    costs: dict[tuple[bool, float], tuple[float, ...]] = field(default_factory=dict)


_SHAPES: dict[int, _Shape] = {}  # id of a name -> its shape (which holds the name: ids stay true)
_SHAPES_MAX = 200_000


def _shape(name: PreparedName) -> _Shape:
    shape = _SHAPES.get(id(name))
    if shape is None or shape.name is not name:
        if len(_SHAPES) >= _SHAPES_MAX:
            _SHAPES.clear()
        tokens = name.tokens
        first = tokens[0]
        shape = _SHAPES[id(name)] = _Shape(
            name,
            weights=tuple(t.weight for t in tokens),
            strong=tuple(not t.particle and len(t.text) > 1 for t in tokens),
            long=tuple(len(t.text) > 1 for t in tokens),
            every=(1 << len(tokens)) - 1,
            significant=sum(
                1 << k for k, t in enumerate(tokens) if not (t.particle or t.patronymic)
            ),
            given_name=(
                "," not in name.original
                and not (first.korean and name.foreign)  # Hangul: the family name first
                and not first.particle
                and len(tokens) > 1
            ),
            kind_weight=name.kind_weight,
        )
    return shape


# Candidate token -> the tokens of one query name it resembles: (similarity, position) of each.
_Partners = dict[Token, Partners]


def name_similarity(query: PreparedName, candidate: PreparedName, person: bool) -> float:
    """Weighted agreement of the two names' tokens, order-free (see the module doc)."""
    return _name_similarity(_shape(query), _shape(candidate), person, {})


def _name_similarity(q: _Shape, c: _Shape, person: bool, known: _Partners) -> float:
    """`name_similarity`, with what the query name's tokens resemble remembered in `known`."""
    query, candidate = q.name, c.name
    pairs = []
    for j, ct in enumerate(candidate.tokens):
        found = known.get(ct)
        if found is None:
            known.update(partners(query.tokens, candidate.tokens, person))
            found = known[ct]
        for similarity, i in found:
            pairs.append((similarity, i, j))
    if not pairs:
        return _fused_or_sound(query, candidate)
    pairs.sort(reverse=True)
    used_q = used_c = 0
    matched = matched_weight = 0.0
    strong_matches = 0
    for similarity, i, j in pairs:
        if used_q >> i & 1 or used_c >> j & 1:
            continue
        used_q |= 1 << i
        used_c |= 1 << j
        weight = q.weights[i] + c.weights[j]
        matched += similarity * weight
        matched_weight += weight
        if q.strong[i] and c.long[j]:
            strong_matches += 1
    if strong_matches == 0:
        return _fused_or_sound(query, candidate)
    # Extra parts on one side only are a fuller form of the same name; different parts on both
    # sides are a different name (Kim Jong Un is not Kim Yo Jong).
    one_sided = not (q.significant & ~used_q and c.significant & ~used_c)
    cost = EXTRA_TOKEN_COST if strong_matches >= 2 and one_sided else 1.0
    unmatched = _unmatched_cost(q, used_q, cost, person)
    unmatched += _unmatched_cost(c, used_c, cost, person)
    score = matched / (matched_weight + unmatched)
    if person and ((q.given_name and not used_q & 1) or (c.given_name and not used_c & 1)):
        score = min(score, GIVEN_NAME_CAP)
    if len(query.tokens) != len(candidate.tokens):
        score = max(score, _fused(query, candidate))
    return max(score, _sound(query, candidate))


def _fused_or_sound(query: PreparedName, candidate: PreparedName) -> float:
    """What names with no strong token match can still score: run together, or by sound."""
    fused = _fused(query, candidate)
    sound = _sound(query, candidate)
    return fused if fused >= sound else sound


def _unmatched_cost(shape: _Shape, used: int, cost: float, person: bool) -> float:
    """What the tokens of a name that found no partner (not in `used`) cost."""
    if used == shape.every:
        return 0.0
    costs = shape.costs.get((person, cost))
    if costs is None:
        costs = shape.costs[person, cost] = _token_costs(shape.name, cost, person)
    total = 0.0
    for position, token_cost in enumerate(costs):
        if not used >> position & 1:
            total += token_cost
    return total


def _token_costs(name: PreparedName, cost: float, person: bool) -> tuple[float, ...]:
    """What each token of `name` costs when it finds no partner.

    A person's name written in natural order (no comma) starts with the given name: leaving that
    out is not a missing middle name, so it costs in full (Hamza Usama ... is not Usama ...).
    """
    natural_order = person and "," not in name.original
    last = len(name.tokens) - 1
    costs = []
    for position, token in enumerate(name.tokens):
        if (position == 0 and natural_order) or (token.korean and not name.foreign):
            # a Korean name in Latin letters: a syllable more is another given name (JO Chol
            # and JO Yong Chol, KIM Kyu and KIM Ho Kyu are different people)
            share = 1.0
        elif (token.patronymic or (natural_order and 0 < position < last)) and cost < 1.0:
            # a father's name, or a middle name of a name in natural order: often left out
            share = PATRONYMIC_COST
        else:
            share = cost
        costs.append(share * token.weight)
    return tuple(costs)


def _sound(query: PreparedName, candidate: PreparedName) -> float:
    """Names that crossed a script, compared on how they sound (see `text.sound_key`)."""
    if query.foreign == candidate.foreign:
        return 0.0
    written, latin = (query, candidate) if query.foreign else (candidate, query)
    if written.readings is not None and len(latin.fused) >= 2:
        # Every part has its Latin spellings. Parts that line up one to one have been compared
        # token by token: a different given name must not pass here as a near spelling. A name
        # written as one word (克魯森 ~ Crewson) is compared whole; so are parts that do not line
        # up (حبيب الله ~ Habibullah), then scoring at most what a sound alone does.
        parts = sum(not t.particle for t in written.tokens)
        latin_parts = sum(not t.particle for t in latin.tokens)
        if parts == latin_parts and not written.one_word:
            return 0.0
        if Indel.normalized_similarity(written.sound, latin.sound) < READING_SIEVE:
            return 0.0
        similarity = reading_similarity(latin.fused, written.readings)
        if written.one_word or latin_parts == 1:
            return similarity
        return min(similarity, SOUND_FLOOR + 0.1)
    a, b = query.sound, candidate.sound
    if min(len(a), len(b)) < 2:
        return 0.0
    similarity = Indel.normalized_similarity(a, b)
    return SOUND_FLOOR + 0.1 * (similarity - 0.8) / 0.2 if similarity >= 0.8 else 0.0


def _fused(query: PreparedName, candidate: PreparedName) -> float:
    a, b = query.fused, candidate.fused
    if len(a) < 4 or len(b) < 4:
        return 0.0
    similarity = Indel.normalized_similarity(a, b)
    return similarity * 0.97 if similarity >= FUSED_FLOOR else 0.0


def _dates(query: Record, candidate: Record) -> Feature | None:
    if not query.dates or not candidate.dates:
        return None
    for qd in sorted(query.dates):
        for cd in sorted(candidate.dates):
            shorter = min(len(qd), len(cd))
            if qd[:shorter] == cd[:shorter]:
                effect = DOB_EXACT if shorter == 10 else 0.0
                return Feature("date_match", effect, "dates agree", qd, cd)
    years = {int(d[:4]) for d in query.dates}
    near = any(abs(int(cd[:4]) - y) <= 1 for cd in candidate.dates for y in years)
    effect = DOB_MISMATCH / 2 if near else DOB_MISMATCH
    detail = "dates differ (a year apart)" if near else "dates differ"
    return Feature("date_mismatch", effect, detail, min(query.dates), min(candidate.dates))


def _countries(query: Record, candidate: Record) -> Feature | None:
    if not query.countries or not candidate.countries:
        return None
    if query.countries & candidate.countries:
        common = min(query.countries & candidate.countries)
        return Feature("country_match", 0.0, "countries agree", common, common)
    return Feature(
        "country_mismatch",
        COUNTRY_MISMATCH,
        "no country in common",
        ", ".join(sorted(query.countries)),
        ", ".join(sorted(candidate.countries)),
    )


def _gender(query: Record, candidate: Record) -> Feature | None:
    if query.genders and candidate.genders and not query.genders & candidate.genders:
        return Feature(
            "gender_mismatch",
            GENDER_MISMATCH,
            "genders differ",
            min(query.genders),
            min(candidate.genders),
        )
    return None


def _identifiers(query: Record, candidate: Record) -> list[Feature]:
    if not query.identifiers or not candidate.identifiers:
        return []
    features = []
    query_values = {v for values in query.identifiers.values() for v in values}
    candidate_values = {v for values in candidate.identifiers.values() for v in values}
    common = query_values & candidate_values
    if common:
        value = min(common)
        features.append(Feature("identifier_match", 0.0, "an identifier is the same", value, value))
        return features
    for prop in sorted(
        UNIQUE_IDENTIFIERS & query.identifiers.keys() & candidate.identifiers.keys()
    ):
        features.append(
            Feature(
                "identifier_mismatch",
                IDENTIFIER_CONFLICT,
                f"{prop} differs",
                min(query.identifiers[prop]),
                min(candidate.identifiers[prop]),
            )
        )
    return features


def score(query: Record, candidate: Record) -> Scored:
    """The candidate's score for the query, between 0 and 1, with its features."""
    return Scorer(query).score(candidate)


class Scorer:
    """Scores candidates against one query, as `score` does, remembering what they share.

    The candidates of a query share tokens (the one that made them candidates, common given
    names): what a candidate token resembles in a query name is worked out once per query.
    """

    def __init__(self, query: Record, names: NameTable | None = None) -> None:
        self.query = query
        # Candidates whose names are in `names` are scored compiled (`name_table`), all at once
        # as they are prepared: each batch is kept as it came (`_compiled`), and its best names
        # moved to `_best`, by id, only when one is asked for by itself.
        self._table = names
        self._compiled: list[tuple[Sequence[Record], BestNames]] = []
        self._best: dict[int, tuple[float, PreparedName, PreparedName] | None] = {}
        self._names = [_shape(name) for name in query.names]
        # by `person`, then one per query name
        self._partners: dict[bool, list[_Partners]] = {
            person: [{} for _ in query.names] for person in (False, True)
        }
        self._prepared: set[int] = set()  # ids of the candidate records prepared
        # The checks that have something to go on (each finds nothing when the query has nothing).
        self._checks = [
            check
            for check, values in (
                (_dates, query.dates),
                (_countries, query.countries),
                (_gender, query.genders),
            )
            if values
        ]

    def prepare(self, candidates: Sequence[Record]) -> None:
        """Compare the query's names with every token of `candidates` at once (see
        `tokens.partners`): far fewer pairs are compared than one candidate at a time. With a
        name table that holds them all, their best names are found then, compiled (the tokens
        compared there too)."""
        self._prepared.update(map(id, candidates))
        table = self._table
        positions = table.positions(candidates) if table is not None else None
        if table is not None and positions is not None:
            if candidates:
                self._compiled.append((candidates, table.best_names(self, positions)))
            return
        by_person: dict[bool, list[Token]] = {False: [], True: []}
        for candidate in candidates:
            person = "Person" in (self.query.schema, candidate.schema)
            by_person[person].extend(t for name in candidate.names for t in name.tokens)
        for person, tokens in by_person.items():
            if not tokens:
                continue
            pool = Pool(tokens)
            nothing = dict.fromkeys(pool.tokens, ())
            for q, known in zip(self._names, self._partners[person], strict=True):
                known.update(nothing)
                known.update(pool.matches(q.name.tokens, person))

    def best_name(self, candidate: Record) -> tuple[float, PreparedName, PreparedName] | None:
        """The best pairing of a query name with a candidate name, weighted by the latter's kind;
        the first of equals."""
        if id(candidate) not in self._prepared:
            self.prepare([candidate])
        while self._compiled:
            records, batch = self._compiled.pop()
            self._best.update(zip(map(id, records), batch, strict=True))
        if id(candidate) in self._best:
            return self._best[id(candidate)]
        person = "Person" in (self.query.schema, candidate.schema)
        names = [_shape(name) for name in candidate.names]
        best: tuple[float, PreparedName, PreparedName] | None = None
        for q, known in zip(self._names, self._partners[person], strict=True):
            for c in names:
                # Similarities are at most 1, so a pairing scores at most the candidate name's
                # kind weight: one that cannot beat the best so far need not be compared.
                if best is not None and best[0] >= c.kind_weight:
                    continue
                score = _name_similarity(q, c, person, known) * c.kind_weight
                if best is None or score > best[0]:
                    best = (score, q.name, c.name)
        return best

    def ranked(self, candidates: Sequence[Record], limit: int) -> list[tuple[Scored, Record]]:
        """The `limit` best of `candidates` as `score` scores them, best first (equals by id).

        A query with nothing but names scores each candidate by its best name alone: they are
        ranked on that, and only the best `limit` get their features written out.
        """
        if self._checks or self.query.identifiers:
            scored = [(self.score(candidate), candidate) for candidate in candidates]
            scored.sort(key=lambda pair: (-pair[0].score, pair[1].id))
            return scored[:limit]
        if self._compiled and self._compiled[-1][0] is candidates:  # prepared together
            batch = self._compiled[-1][1]
            scores, found = batch.scores, batch.__getitem__
        else:
            best_names = [self.best_name(candidate) for candidate in candidates]
            scores = [0.0 if best is None else best[0] for best in best_names]
            found = best_names.__getitem__
        # Best first by the score before rounding: the rounded scores come in the same order, so
        # the `limit`-th one is the lowest kept, and whatever else rounds to it is an equal.
        kept: list[tuple[float, str, int]] = []
        lowest = 0.0
        for k in sorted(range(len(candidates)), key=scores.__getitem__, reverse=True):
            rounded = _clamped(scores[k])
            if len(kept) >= limit and rounded < lowest:
                break
            kept.append((-rounded, candidates[k].id, k))
            lowest = rounded
        kept.sort()
        return [(self._scored(candidates[k], found(k)), candidates[k]) for _, _, k in kept[:limit]]

    def score(self, candidate: Record) -> Scored:
        """The candidate's score for the query, between 0 and 1, with its features."""
        return self._scored(candidate, self.best_name(candidate))

    def _scored(
        self, candidate: Record, best: tuple[float, PreparedName, PreparedName] | None
    ) -> Scored:
        """`score`, the candidate's best name (`best_name`) given."""
        query = self.query
        features: list[Feature] = []
        name_score = 0.0
        if best is not None:
            name_score, qn, cn = best
            detail = (
                "name"
                if cn.kind == "name"
                else f"name against {cn.kind} (weighted {cn.kind_weight})"
            )
            features.append(Feature("name_match", name_score, detail, qn.original, cn.original))
        total = name_score
        identifier_features = _identifiers(query, candidate) if query.identifiers else []
        for check in self._checks:
            feature = check(query, candidate)
            if feature is not None:
                features.append(feature)
                total += feature.effect
        for feature in identifier_features:
            if feature.name == "identifier_match":
                lift = max(0.0, max(name_score, IDENTIFIER_MATCH_FLOOR) - total)
                features.append(
                    Feature(feature.name, lift, feature.detail, feature.query, feature.candidate)
                )
                total += lift
            else:
                features.append(feature)
                total += feature.effect
        return Scored(_clamped(total), features)


def _clamped(total: float) -> float:
    """A score as it is reported: between 0 and 1, to four places."""
    return round(min(max(total, 0.0), 1.0), 4)
