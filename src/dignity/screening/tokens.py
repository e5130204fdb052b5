"""How alike two name parts (tokens) are, and which tokens of many can be alike at all.

`token_similarity` compares one pair: equal text, an initial, a nickname, the Latin spellings a
part written in another script stands for (`translit`, `align`), an edit distance, the same
metaphone key or spelling key (`text.spelling_key`), Korean syllables romanised two ways, or
(when one side was written in an abjad) the same consonant skeleton.

`partners` compares the tokens of one query name with many candidate tokens at once: most pairs
have nothing in common, and a pair can only be alike when one of those signals holds, so it looks
the candidates up by each signal (text, keys, an edit distance or sound-key likeness worked out by
rapidfuzz over all of them in one call) and compares only the pairs found, one by one, with
`token_similarity`. The result is the same as comparing every pair.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache
from operator import attrgetter
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import Indel, Levenshtein

from dignity.screening.align import similarity as reading_similarity
from dignity.screening.text import Token, nicknames

# Token similarity below this is no match at all (a different name, not a misspelling).
TOKEN_FLOOR = 0.75
# A name part in another script is aligned with the Latin spellings it stands for (`translit`)
# only when the two coarse sound keys agree this much: a quick sieve, since most pairs differ.
READING_SIEVE = 0.4
# The most edits `edit_similarity` allows (names over 10 letters).
MOST_EDITS = 3
# The Arabic article as romanisations run it into a name (`article_similarity`), the shortest
# token read as one with it, and the most such a pair can score.
ARTICLES = ("al", "el")
ARTICLED = 7
ARTICLE_CAP = 0.9

# For each query token position: how alike a candidate token is, with the position.
Partners = tuple[tuple[float, int], ...]

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
    korean = (a.korean or b.korean) and a.korean_key == b.korean_key
    if len(a.text) == 1 or len(b.text) == 1:
        if korean:  # a syllable of one letter: U and Woo, I and Ri, O and Oh
            return 0.9
        short, long_ = (a, b) if len(a.text) == 1 else (b, a)
        initial = person and not short.abjad and len(long_.text) > 1
        return 0.8 if initial and long_.text.startswith(short.text) else 0.0
    if person and (a.text, b.text) in nicknames():
        return 0.9
    # one side written in another script, with the Latin spellings it stands for (`translit`)
    written, latin = (a, b) if b.readings is None else (b, a)
    if written.readings is not None and latin.readings is None:
        sieve = Indel.normalized_similarity(written.sound, latin.sound)
        if sieve < READING_SIEVE:
            return 0.0
        similarity = reading_similarity(latin.text, written.readings)
        return similarity if similarity >= TOKEN_FLOOR else 0.0
    similarity = edit_similarity(a.text, b.text)
    if _spoken(a.text) and _spoken(b.text):
        if a.phonetic == b.phonetic and len(a.phonetic) >= 3:
            similarity = max(similarity, 0.88)
        if a.spelling and a.spelling == b.spelling and _near(a.text, b.text):
            similarity = max(similarity, 0.88)
    if korean:
        similarity = max(similarity, 0.9)
    if (a.abjad or b.abjad) and len(a.skeleton) >= 2 and a.skeleton == b.skeleton:
        similarity = max(similarity, 0.88 if len(a.skeleton) >= 3 else 0.8)
    similarity = max(similarity, article_similarity(a.text, b.text))
    return similarity if similarity >= TOKEN_FLOOR else 0.0


def article_similarity(a: str, b: str) -> float:
    """An Arabic article run into the name (ALHARBI, ELKADDAFI) against the name without it
    (HARBI, GADDAFI): what is left after the article compared, at most `ARTICLE_CAP`. Only
    when one side has the article and at least five letters after it."""
    for x, y in ((a, b), (b, a)):
        if _articled(x) and y[:2] not in ARTICLES:
            return min(edit_similarity(x[2:], y), ARTICLE_CAP)
    return 0.0


_VOWELS = frozenset("aeiouy")


def _spoken(text: str) -> bool:
    """Whether a token reads as a word (it has a vowel), not letters read one by one (MSC, PTC):
    a metaphone key says how a word sounds, not an abbreviation."""
    return not _VOWELS.isdisjoint(text)


def _near(a: str, b: str) -> bool:
    """Whether at most half the letters of the longer text must change to make the other: a
    spelling key (`text.spelling_key`) says little of words that share it and little else
    (Erika and Iraqi)."""
    most = max(len(a), len(b)) // 2
    return Levenshtein.distance(a, b, score_cutoff=most) <= most


def edit_similarity(a: str, b: str) -> float:
    """Similarity by edit distance, allowing one edit up to 5 letters, two up to 10, then three."""
    longest = max(len(a), len(b))
    allowed = 1 if longest <= 5 else 2 if longest <= 10 else MOST_EDITS
    distance = Levenshtein.distance(a, b, score_cutoff=allowed)
    return 0.0 if distance > allowed else 1.0 - distance / (longest + 1)


@cache
def _nicknames_of() -> dict[str, frozenset[str]]:
    found: defaultdict[str, set[str]] = defaultdict(set)
    for name, nick in nicknames():
        found[name].add(nick)
    return {name: frozenset(nicks) for name, nicks in found.items()}


_TEXT, _SOUND, _PHONETIC = attrgetter("text"), attrgetter("sound"), attrgetter("phonetic")


class Pool:
    """Candidate tokens, looked up by each thing a query token can share with them.

    Lookups by text, edit distance, sound key and metaphone key are rapidfuzz calls over lists
    of strings (C, not a Python loop per token); the rules of one kind of token (Korean
    syllables, abjad spellings, initials) look through the few tokens of that kind.
    """

    def __init__(self, tokens: Iterable[Token]) -> None:
        self.tokens = tuple(dict.fromkeys(tokens))
        self.singles: list[Token] = []
        self.long: list[Token] = []
        self.korean: list[Token] = []
        self.abjad: list[Token] = []
        # parts of more than one letter, in Latin letters (False) and in another script (True)
        self.kinds: dict[bool, list[Token]] = {False: [], True: []}
        for token in self.tokens:
            size = len(token.text)
            if token.korean:
                self.korean.append(token)
            if size == 1:
                self.singles.append(token)
            elif size > 1:
                self.long.append(token)
                self.kinds[token.readings is not None].append(token)
                if token.abjad:
                    self.abjad.append(token)
        self.texts = {kind: list(map(_TEXT, found)) for kind, found in self.kinds.items()}
        self.sounds = {kind: list(map(_SOUND, found)) for kind, found in self.kinds.items()}
        self.phonetics = {kind: list(map(_PHONETIC, found)) for kind, found in self.kinds.items()}
        # tokens with an article run in (`article_similarity`), by kind, and their texts after it
        self.articled = {
            kind: [t for t in found if _articled(t.text)] for kind, found in self.kinds.items()
        }
        self.after_article = {
            kind: [t.text[2:] for t in found] for kind, found in self.articled.items()
        }
        self.spellings: dict[tuple[bool, str], list[Token]] = defaultdict(list)
        for kind, found in self.kinds.items():
            for token in found:
                if token.spelling:
                    self.spellings[kind, token.spelling].append(token)

    def partners(self, query: Sequence[Token], person: bool) -> dict[Token, Partners]:
        """For each token, the `query` tokens it resembles at all: (similarity, position) of
        each, in the order of the query's tokens."""
        found: dict[Token, Partners] = dict.fromkeys(self.tokens, ())
        found.update(self.matches(query, person))
        return found

    def matches(self, query: Sequence[Token], person: bool) -> dict[Token, Partners]:
        """`partners`, only of the tokens that resemble one of `query` (most resemble none)."""
        found: dict[Token, Partners] = {}
        for position, query_token in enumerate(query):
            for token in self._suspects(query_token, person):
                similarity = token_similarity(query_token, token, person)
                if similarity > 0.0:
                    found[token] = (*found.get(token, ()), (similarity, position))
        return found

    def _suspects(self, query: Token, person: bool) -> set[Token]:
        """The tokens that `query` can resemble at all (a superset: each is still compared)."""
        text = query.text
        korean = self.tokens if query.korean else self.korean
        keyed = {t for t in korean if t.korean_key == query.korean_key}
        if len(text) == 1:
            found = keyed | {t for t in self.singles if t.text == text}
            if person:  # an initial
                found.update(t for t in self.long if t.text[0] == text)
            return found
        found = keyed | {t for t in self.singles if t.text == text[0]}
        if person and text in _nicknames_of():
            nicks = _nicknames_of()[text]
            found.update(t for t in self.long if t.text in nicks)
        if len(query.skeleton) >= 2:
            abjad = self.long if query.abjad else self.abjad
            found.update(t for t in abjad if t.skeleton == query.skeleton)
        same = query.readings is not None
        if query.spelling:
            found.update(self.spellings.get((same, query.spelling), ()))
        texts, tokens = self.texts[same], self.kinds[same]
        # (value, the strings looked through, their tokens, scorer, cutoff)
        lookups: list[tuple[str, list[str], list[Token], Any, float]] = [
            (text, texts, tokens, Levenshtein.distance, MOST_EDITS),
            (
                query.sound,
                self.sounds[not same],
                self.kinds[not same],
                Indel.normalized_similarity,
                READING_SIEVE - 0.01,
            ),
        ]
        if len(query.phonetic) >= 3:
            lookups.append((query.phonetic, self.phonetics[same], tokens, Levenshtein.distance, 0))
        # an article run in, on either side (`article_similarity`)
        if _articled(text):
            lookups.append((text[2:], texts, tokens, Levenshtein.distance, MOST_EDITS))
        lookups.append(
            (text, self.after_article[same], self.articled[same], Levenshtein.distance, MOST_EDITS)
        )
        for value, strings, among, scorer, cutoff in lookups:
            for _, _, at in process.extract(
                value, strings, scorer=scorer, score_cutoff=cutoff, limit=None
            ):
                found.add(among[at])
        return found


def _articled(text: str) -> bool:
    return len(text) >= ARTICLED and text[:2] in ARTICLES


def partners(
    query: Sequence[Token], tokens: Iterable[Token], person: bool
) -> dict[Token, Partners]:
    """For each of `tokens`, the `query` tokens it resembles at all (see `Pool.partners`)."""
    return Pool(tokens).partners(query, person)
