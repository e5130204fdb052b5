"""`tokens.token_similarity` of a query's tokens with every token of its candidates, compiled by
numba: the same rules in the same order, so the same similarities bit for bit.

Imported on first use (numba is slow to import), as `align_kernel` is; `token_table.Tokens`
builds the arrays and `names_kernel.best_of` reads the answers. A side (the query's tokens, or
every indexed token) is a tuple of arrays (see `token_table.Tokens.side`): text and sound key in
compressed rows (0-3), the metaphone key's id and length and the spelling key's id (4; -2 for
none), the skeleton's id, the Korean
key's id, the skeleton's length and the text's letters as bits (5; a string has the same id on
both sides; `token_table.letters`), flags (6), and for a token written in another script its
row (7, or -1) of the graphs of the Latin spellings (`align_kernel`): graph rows (8), the five
graph arrays (9-13), letter masks (14) and the fewest letters of a path (15).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from dignity.screening import kernel_cache
from dignity.screening.align_kernel import indel, similarity
from dignity.screening.token_table import ABJAD, KOREAN, READINGS, SPOKEN
from dignity.screening.tokens import (
    ARTICLE_CAP,
    ARTICLED,
    MOST_EDITS,
    READING_SIEVE,
    TOKEN_FLOOR,
)

kernel_cache.use_own_directory()  # before any kernel is defined


@njit(cache=True, nogil=True)
def _levenshtein(
    x: np.ndarray, xs: int, la: int, y: np.ndarray, ys: int, lb: int, allowed: int, row: np.ndarray
) -> int:
    """The edit distance of `x[xs:xs + la]` and `y[ys:ys + lb]`, or `allowed` + 1 past it (as
    rapidfuzz with `score_cutoff`)."""
    if abs(la - lb) > allowed:
        return allowed + 1
    for j in range(lb + 1):
        row[j] = j
    for i in range(la):
        diagonal = row[0]
        row[0] = i + 1
        smallest = row[0]
        for j in range(lb):
            above = row[j + 1]
            cost = diagonal if x[xs + i] == y[ys + j] else diagonal + 1
            if above + 1 < cost:
                cost = above + 1
            if row[j] + 1 < cost:
                cost = row[j] + 1
            row[j + 1] = cost
            diagonal = above
            if cost < smallest:
                smallest = cost
        if smallest > allowed:
            return allowed + 1
    distance = int(row[lb])
    return distance if distance <= allowed else allowed + 1


@njit(cache=True, nogil=True, inline="always")
def _more_bits(bits: int, most: int) -> bool:
    """Whether more than `most` bits of `bits` are set (`token_table.letters`)."""
    count = 0
    while bits:
        bits &= bits - 1
        count += 1
        if count > most:
            return True
    return False


@njit(cache=True, nogil=True, inline="always")
def _reading(
    latin_side: tuple[np.ndarray, ...],
    l: int,  # noqa: E741
    written_side: tuple[np.ndarray, ...],
    w: int,
    costs: tuple[np.ndarray, ...],
) -> float:
    """`align.similarity` of token `l`'s text with the spellings of token `w`."""
    text_at = latin_side[0]
    return similarity(
        latin_side[1][text_at[l] : text_at[l + 1]],
        written_side[7][w],
        written_side[8],
        written_side[9],
        written_side[10],
        written_side[11],
        written_side[12],
        written_side[13],
        written_side[14],
        written_side[15],
        costs,
    )


@njit(cache=True, nogil=True, inline="always")
def _across(
    written: tuple[np.ndarray, ...],
    w: int,
    latin: tuple[np.ndarray, ...],
    l: int,  # noqa: E741
    costs: tuple[np.ndarray, ...],
    row: np.ndarray,
) -> float:
    """Token `w`, written in another script, and token `l`, in Latin letters: their sound keys
    as a sieve, then how near `l` comes to the spellings of `w`."""
    w_sound = written[3][written[2][w] : written[2][w + 1]]
    l_sound = latin[3][latin[2][l] : latin[2][l + 1]]
    if indel(w_sound, l_sound, row) < READING_SIEVE:
        return 0.0
    found = _reading(latin, l, written, w, costs)
    return found if found >= TOKEN_FLOOR else 0.0


# What `_pair` answers when the pair is a token in another script and one in Latin letters, which
# the alignment decides (`_across`): which of the two is written in the other script.
_QUERY_WRITTEN = -1.0
_CANDIDATE_WRITTEN = -2.0


@njit(cache=True, nogil=True, inline="always")
def _pair(
    x: np.ndarray,
    xs: int,
    la: int,
    x_flags: int,
    x_phonetic: int,
    x_phonetic_size: int,
    x_spelling: int,
    x_skeleton: int,
    x_korean: int,
    x_skeleton_size: int,
    x_letters: int,
    y: np.ndarray,
    ys: int,
    lb: int,
    y_flags: int,
    y_phonetic: int,
    y_spelling: int,
    y_skeleton: int,
    y_korean: int,
    y_letters: int,
    person: bool,
    nicks: np.ndarray,
    nicks_from: int,
    nicks_to: int,
    b: int,
    row: np.ndarray,
) -> float:
    """`tokens.token_similarity` of query token `x[xs:xs + la]` and indexed token `b`,
    `y[ys:ys + lb]`, with their keys' ids and flags (`nicks[nicks_from:nicks_to]`: the indexed
    tokens that are nicknames of the query token, sorted); or which side is written in another
    script when the alignment decides it (`_QUERY_WRITTEN`, `_CANDIDATE_WRITTEN`)."""
    if la == lb:
        same = True
        for k in range(la):
            if x[xs + k] != y[ys + k]:
                same = False
                break
        if same:
            return 1.0
    korean = (x_flags | y_flags) & KOREAN != 0 and x_korean == y_korean
    if la == 1 or lb == 1:
        if korean:  # a syllable of one letter: U and Woo, I and Ri, O and Oh
            return 0.9
        if la == 1:
            initial = person and not x_flags & ABJAD and lb > 1
            return 0.8 if initial and y[ys] == x[xs] else 0.0
        initial = person and not y_flags & ABJAD and la > 1
        return 0.8 if initial and x[xs] == y[ys] else 0.0
    if person:
        for k in range(nicks_from, nicks_to):
            if nicks[k] == b:
                return 0.9
    # one side written in another script, with the Latin spellings it stands for
    if y_flags & READINGS:
        if not x_flags & READINGS:
            return _CANDIDATE_WRITTEN
    elif x_flags & READINGS:
        return _QUERY_WRITTEN
    article = _article(x, xs, la, y, ys, lb, row)
    # what shared keys make of the pair at least: the metaphone or spelling key of two words
    # that are spoken, the Korean key, the skeleton of an abjad spelling
    keyed = 0.0
    if x_flags & SPOKEN and y_flags & SPOKEN:
        if x_phonetic == y_phonetic and x_phonetic_size >= 3:
            keyed = 0.88
        if x_spelling >= 0 and x_spelling == y_spelling:
            half = max(la, lb) // 2  # `tokens._near`
            if _levenshtein(x, xs, la, y, ys, lb, half, row) <= half:
                keyed = 0.88
    if korean:
        keyed = max(keyed, 0.9)
    if (x_flags & ABJAD or y_flags & ABJAD) and x_skeleton_size >= 2 and x_skeleton == y_skeleton:
        keyed = max(keyed, 0.88 if x_skeleton_size >= 3 else 0.8)
    longest = max(la, lb)
    allowed = 1 if longest <= 5 else 2 if longest <= 10 else MOST_EDITS
    if keyed > 0.0:
        return max(max(_edit(x, xs, la, y, ys, lb, row), keyed), article)
    if article < TOKEN_FLOOR:
        article = 0.0
    # Only the edit distance is left, and only what reaches the floor counts: 1 - d / (longest
    # + 1) >= 0.75 when 4 d <= longest + 1, so the distance is worked out no further than that.
    reach = min(allowed, (longest + 1) // 4)
    if _more_bits(x_letters ^ y_letters, 2 * reach):  # more letters differ than edits allow
        return article
    distance = _levenshtein(x, xs, la, y, ys, lb, reach, row)
    return max(0.0 if distance > reach else 1.0 - distance / (longest + 1), article)


@njit(cache=True, nogil=True, inline="always")
def _has_article(x: np.ndarray, xs: int, la: int) -> bool:
    """Whether `x[xs:xs + la]` begins with al or el (`tokens.ARTICLES`)."""
    return la >= 2 and (x[xs] == 97 or x[xs] == 101) and x[xs + 1] == 108


@njit(cache=True, nogil=True)
def _article(
    x: np.ndarray, xs: int, la: int, y: np.ndarray, ys: int, lb: int, row: np.ndarray
) -> float:
    """`tokens.article_similarity` of `x[xs:xs + la]` and `y[ys:ys + lb]`."""
    if la >= ARTICLED and _has_article(x, xs, la) and not _has_article(y, ys, lb):
        return min(_edit(x, xs + 2, la - 2, y, ys, lb, row), ARTICLE_CAP)
    if lb >= ARTICLED and _has_article(y, ys, lb) and not _has_article(x, xs, la):
        return min(_edit(y, ys + 2, lb - 2, x, xs, la, row), ARTICLE_CAP)
    return 0.0


@njit(cache=True, nogil=True, inline="always")
def _edit(
    x: np.ndarray, xs: int, la: int, y: np.ndarray, ys: int, lb: int, row: np.ndarray
) -> float:
    """`tokens.edit_similarity` of `x[xs:xs + la]` and `y[ys:ys + lb]`."""
    longest = max(la, lb)
    allowed = 1 if longest <= 5 else 2 if longest <= 10 else MOST_EDITS
    distance = _levenshtein(x, xs, la, y, ys, lb, allowed, row)
    return 0.0 if distance > allowed else 1.0 - distance / (longest + 1)


@njit(cache=True, nogil=True)
def partners(
    q: tuple[np.ndarray, ...],
    q_names: np.ndarray,
    c: tuple[np.ndarray, ...],
    pools: tuple[np.ndarray, np.ndarray],
    nick_at: np.ndarray,
    nicks: np.ndarray,
    costs: tuple[np.ndarray, ...],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The partners `names_kernel.best_names` reads: for each pool (`pools[0]`: not persons,
    `pools[1]`: persons; indexed token ids in any order, some more than once) and each query
    name (its tokens `q_names[n]` to `q_names[n + 1]`), the pool's tokens that resemble one of
    the name's tokens, by id, with (similarity, position) of each in the order of the name's
    tokens."""
    names = q_names.shape[0] - 1
    key_at = [0]
    keys = []
    partner_at = [0]
    similarities = []
    positions = []
    longest = 1  # of the texts and sound keys compared: room for a row of their tables
    for a in range(q[0].shape[0] - 1):
        longest = max(longest, q[0][a + 1] - q[0][a], q[2][a + 1] - q[2][a])
    for pool in pools:
        for b in pool:
            longest = max(longest, c[0][b + 1] - c[0][b], c[2][b + 1] - c[2][b])
    row = np.zeros(longest + 1, np.int64)
    q_text_at, q_text, q_phonetic, q_keys, q_flags = q[0], q[1], q[4], q[5], q[6]
    c_text_at, c_text, c_phonetic, c_keys, c_flags = c[0], c[1], c[4], c[5], c[6]
    for person in range(2):
        pool = np.sort(pools[person])
        for n in range(names):
            for k in range(pool.shape[0]):
                b = pool[k]
                if k and b == pool[k - 1]:
                    continue  # a token of two candidates
                found = False
                ys = c_text_at[b]
                for a in range(q_names[n], q_names[n + 1]):
                    xs = q_text_at[a]
                    value = _pair(
                        q_text,
                        xs,
                        q_text_at[a + 1] - xs,
                        q_flags[a],
                        q_phonetic[a, 0],
                        q_phonetic[a, 1],
                        q_phonetic[a, 2],
                        q_keys[a, 0],
                        q_keys[a, 1],
                        q_keys[a, 2],
                        q_keys[a, 3],
                        c_text,
                        ys,
                        c_text_at[b + 1] - ys,
                        c_flags[b],
                        c_phonetic[b, 0],
                        c_phonetic[b, 2],
                        c_keys[b, 0],
                        c_keys[b, 1],
                        c_keys[b, 3],
                        person == 1,
                        nicks,
                        nick_at[a],
                        nick_at[a + 1],
                        b,
                        row,
                    )
                    if value == _QUERY_WRITTEN:
                        value = _across(q, a, c, b, costs, row)
                    elif value == _CANDIDATE_WRITTEN:
                        value = _across(c, b, q, a, costs, row)
                    if value > 0.0:
                        similarities.append(value)
                        positions.append(a - q_names[n])
                        found = True
                if found:
                    keys.append(b)
                    partner_at.append(len(similarities))
            key_at.append(len(keys))
    return (
        np.array(key_at, np.int64),
        np.array(keys, np.int64),
        np.array(partner_at, np.int64),
        np.array(similarities, np.float64),
        np.array(positions, np.int64),
    )
