"""Scoring a candidate against a query, with every step explained.

The score starts from the best pairing of a query name with a candidate name; then dates of birth,
countries, gender and identifiers confirm or contradict it. Each step is a `Feature` in the result,
with what it added or took away, so a reviewer can see why a candidate scored as it did.

Names are compared token by token, in any order, one query token to at most one candidate token:
equal text, a nickname, an initial, a spelling close by edit distance, the same metaphone key, or
(when one side was written in an abjad) the same consonant skeleton. Tokens left unmatched on
either side cost less once two or more tokens agree: a missing middle name or patronymic is
expected; a different family name is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz.distance import Indel, Levenshtein

from dignity.screening.records import UNIQUE_IDENTIFIERS, Record
from dignity.screening.text import PreparedName, Token, korean_key, nicknames

ALGORITHM = "dignity-v1"
ALGORITHM_VERSION = "1"
DEFAULT_THRESHOLD = 0.8
# Token similarity below this is no match at all (a different name, not a misspelling).
TOKEN_FLOOR = 0.75
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


# Token pairs recur from query to query (common given names, the same aliases): remember them.
_SEEN: dict[tuple[Token, Token, bool], float] = {}
_SEEN_MAX = 1_000_000


def token_similarity(a: Token, b: Token, person: bool) -> float:
    """How alike two tokens are, from 0 (different) to 1 (the same)."""
    if a.text == b.text:
        return 1.0
    key = (a, b, person)
    found = _SEEN.get(key)
    if found is None:
        if len(_SEEN) >= _SEEN_MAX:
            _SEEN.clear()
        found = _SEEN[key] = _token_similarity(a, b, person)
    return found


def _token_similarity(a: Token, b: Token, person: bool) -> float:
    if len(a.text) == 1 or len(b.text) == 1:
        short, long_ = (a, b) if len(a.text) == 1 else (b, a)
        initial = person and not short.abjad and len(long_.text) > 1
        return 0.8 if initial and long_.text.startswith(short.text) else 0.0
    if person and (a.text, b.text) in nicknames():
        return 0.9
    similarity = edit_similarity(a.text, b.text)
    if a.phonetic and a.phonetic == b.phonetic and len(a.phonetic) >= 3:
        similarity = max(similarity, 0.88)
    if (a.korean or b.korean) and korean_key(a.text) == korean_key(b.text):
        similarity = max(similarity, 0.9)
    if (a.abjad or b.abjad) and len(a.skeleton) >= 2 and a.skeleton == b.skeleton:
        similarity = max(similarity, 0.88 if len(a.skeleton) >= 3 else 0.8)
    return similarity if similarity >= TOKEN_FLOOR else 0.0


def edit_similarity(a: str, b: str) -> float:
    """Similarity by edit distance, allowing one edit up to 5 letters, two up to 10, then three."""
    longest = max(len(a), len(b))
    allowed = 1 if longest <= 5 else 2 if longest <= 10 else 3
    distance = Levenshtein.distance(a, b, score_cutoff=allowed)
    return 0.0 if distance > allowed else 1.0 - distance / (longest + 1)


def name_similarity(query: PreparedName, candidate: PreparedName, person: bool) -> float:
    """Weighted agreement of the two names' tokens, order-free (see the module doc)."""
    pairs = []
    for i, qt in enumerate(query.tokens):
        for j, ct in enumerate(candidate.tokens):
            similarity = token_similarity(qt, ct, person)
            if similarity > 0.0:
                pairs.append((similarity, i, j))
    pairs.sort(reverse=True)
    used_q: set[int] = set()
    used_c: set[int] = set()
    matched = matched_weight = 0.0
    strong_matches = 0
    for similarity, i, j in pairs:
        if i in used_q or j in used_c:
            continue
        used_q.add(i)
        used_c.add(j)
        weight = query.tokens[i].weight + candidate.tokens[j].weight
        matched += similarity * weight
        matched_weight += weight
        if (
            not query.tokens[i].particle
            and min(len(query.tokens[i].text), len(candidate.tokens[j].text)) > 1
        ):
            strong_matches += 1
    if strong_matches == 0:
        return max(_fused(query, candidate), _sound(query, candidate))
    # Extra parts on one side only are a fuller form of the same name; different parts on both
    # sides are a different name (Kim Jong Un is not Kim Yo Jong).
    one_sided = not (_leftover(query, used_q) and _leftover(candidate, used_c))
    cost = EXTRA_TOKEN_COST if strong_matches >= 2 and one_sided else 1.0
    unmatched = _unmatched_cost(query, used_q, cost, person)
    unmatched += _unmatched_cost(candidate, used_c, cost, person)
    score = matched / (matched_weight + unmatched)
    if person and (_given_name_left_out(query, used_q) or _given_name_left_out(candidate, used_c)):
        score = min(score, GIVEN_NAME_CAP)
    if len(query.tokens) != len(candidate.tokens):
        score = max(score, _fused(query, candidate))
    return max(score, _sound(query, candidate))


def _given_name_left_out(name: PreparedName, used: set[int]) -> bool:
    """A person's name in natural order (no comma) whose first part, the given name, found no
    partner: Hamza Usama Muhammad bin Laden is not Usama Muhammad bin Laden."""
    first = name.tokens[0]
    natural_order = "," not in name.original and not first.korean
    return natural_order and 0 not in used and not first.particle and len(name.tokens) > 1


def _leftover(name: PreparedName, used: set[int]) -> bool:
    """Whether the name has an unmatched part that is neither a particle nor a patronymic."""
    return any(
        k not in used and not (t.particle or t.patronymic) for k, t in enumerate(name.tokens)
    )


def _unmatched_cost(name: PreparedName, used: set[int], cost: float, person: bool) -> float:
    """What the tokens of `name` that found no partner cost.

    A person's name written in natural order (no comma) starts with the given name: leaving that
    out is not a missing middle name, so it costs in full (Hamza Usama ... is not Usama ...).
    """
    natural_order = person and "," not in name.original
    last = len(name.tokens) - 1
    total = 0.0
    for position, token in enumerate(name.tokens):
        if position in used:
            continue
        if position == 0 and natural_order:
            share = 1.0
        elif (token.patronymic or (natural_order and 0 < position < last)) and cost < 1.0:
            # a father's name, or a middle name of a name in natural order: often left out
            share = PATRONYMIC_COST
        else:
            share = cost
        total += share * token.weight
    return total


def _sound(query: PreparedName, candidate: PreparedName) -> float:
    """Names that crossed a script, compared on how they sound (see `text.sound_key`)."""
    if query.foreign == candidate.foreign:
        return 0.0
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


def best_name(query: Record, candidate: Record) -> tuple[float, PreparedName, PreparedName] | None:
    person = "Person" in (query.schema, candidate.schema)
    best: tuple[float, PreparedName, PreparedName] | None = None
    for qn in query.names:
        for cn in candidate.names:
            score = name_similarity(qn, cn, person) * cn.kind_weight
            if best is None or score > best[0]:
                best = (score, qn, cn)
    return best


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
    features = []
    query_values = {v for values in query.identifiers.values() for v in values}
    candidate_values = {v for values in candidate.identifiers.values() for v in values}
    common = query_values & candidate_values
    if common:
        value = min(common)
        features.append(Feature("identifier_match", 0.0, "an identifier is the same", value, value))
        return features
    for prop in UNIQUE_IDENTIFIERS & query.identifiers.keys() & candidate.identifiers.keys():
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
    features: list[Feature] = []
    best = best_name(query, candidate)
    name_score = 0.0
    if best is not None:
        name_score, qn, cn = best
        detail = (
            "name" if cn.kind == "name" else f"name against {cn.kind} (weighted {cn.kind_weight})"
        )
        features.append(Feature("name_match", name_score, detail, qn.original, cn.original))
    total = name_score
    identifier_features = _identifiers(query, candidate)
    for feature in (
        _dates(query, candidate),
        _countries(query, candidate),
        _gender(query, candidate),
    ):
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
    return Scored(round(min(max(total, 0.0), 1.0), 4), features)
