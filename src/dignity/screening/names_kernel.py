"""`score._name_similarity` and `Scorer.best_name` for all the candidates of one query, compiled
by numba: the same arithmetic in the same order, so the same scores bit for bit.

Imported on first use (numba is slow to import), as `align_kernel` is; `names.NameTable` builds
the arrays and reads the answers. Names are in compressed rows: name n's tokens are
`start[n]` to `start[n + 1]` of the token arrays, its fused form `fused_at[n]` to
`fused_at[n + 1]` of the code points. A token's unmatched cost has four columns: (person, cost),
person false or true, cost 1.0 or `EXTRA_TOKEN_COST`, in that order (see `score._token_costs`).

A query name's partners are found by the global id of a candidate token: block b (person * the
number of query names + the query name) holds ids `keys[key_at[b]:key_at[b + 1]]`, sorted, and
key k's partners are `similarity[partner_at[k]:partner_at[k + 1]]` with their query positions.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from dignity.screening import kernel_cache
from dignity.screening.align_kernel import indel
from dignity.screening.align_kernel import similarity as reading_similarity
from dignity.screening.score import FUSED_FLOOR, GIVEN_NAME_CAP, SOUND_FLOOR
from dignity.screening.tokens import READING_SIEVE
from dignity.screening.tokens_kernel import partners

kernel_cache.use_own_directory()  # before any kernel is defined


@njit(cache=True, nogil=True)
def _find(keys: np.ndarray, low: int, high: int, key: int) -> int:
    """Where `key` is in the sorted `keys[low:high]`, or -1."""
    end = high
    while low < high:
        middle = (low + high) // 2
        if keys[middle] < key:
            low = middle + 1
        else:
            high = middle
    if low < end and keys[low] == key:
        return low
    return -1


@njit(cache=True, nogil=True)
def _fused(a: np.ndarray, b: np.ndarray, row: np.ndarray) -> float:
    """`score._fused`: rapidfuzz's Indel similarity of the fused forms, x 0.97 from 0.9 up
    (`row`: room for the longest common subsequence's row, as long as `b` and one more)."""
    la = a.shape[0]
    lb = b.shape[0]
    if la < 4 or lb < 4:
        return 0.0
    total = la + lb
    if 2.0 * min(la, lb) / total < FUSED_FLOOR:  # not even the longest common part could do it
        return 0.0
    similarity = indel(a, b, row)
    return similarity * 0.97 if similarity >= FUSED_FLOOR else 0.0


@njit(cache=True, nogil=True)
def _sound(
    written_side: tuple[np.ndarray, ...],
    w: int,
    latin_side: tuple[np.ndarray, ...],
    n: int,
    costs: tuple[np.ndarray, ...],
) -> float:
    """`score._sound` of name `w` of `written_side`, in another script, and name `n` of
    `latin_side`, in Latin letters (a side: fused_at, fused, sound_at, sound, parts, one_word,
    the row of each name's graph (-1: none), then the graphs as `align_kernel.similarity` reads
    them; see `name_table._Names.sounds`)."""
    w_sound_at, w_sound, w_parts, w_one_word, reading = written_side[2:7]
    l_fused_at, l_fused, l_sound_at, l_sound, l_parts = latin_side[:5]
    w_key = w_sound[w_sound_at[w] : w_sound_at[w + 1]]
    l_key = l_sound[l_sound_at[n] : l_sound_at[n + 1]]
    row = np.zeros(l_key.shape[0] + 1, np.int64)
    fused = l_fused[l_fused_at[n] : l_fused_at[n + 1]]
    if reading[w] >= 0 and fused.shape[0] >= 2:
        if w_parts[w] == l_parts[n] and not w_one_word[w]:
            return 0.0
        if indel(w_key, l_key, row) < READING_SIEVE:
            return 0.0
        similarity = reading_similarity(
            fused,
            reading[w],
            written_side[7],
            written_side[8],
            written_side[9],
            written_side[10],
            written_side[11],
            written_side[12],
            written_side[13],
            written_side[14],
            costs,
        )
        if w_one_word[w] or l_parts[n] == 1:
            return similarity
        return min(similarity, SOUND_FLOOR + 0.1)
    if min(w_key.shape[0], l_key.shape[0]) < 2:
        return 0.0
    similarity = indel(w_key, l_key, row)
    return SOUND_FLOOR + 0.1 * (similarity - 0.8) / 0.2 if similarity >= 0.8 else 0.0


@njit(cache=True, nogil=True)
def best_names(
    query: tuple[np.ndarray, ...],
    table: tuple[np.ndarray, ...],
    # the query's candidates: names first to last - 1, person or not
    first: np.ndarray,
    last: np.ndarray,
    person: np.ndarray,
    # the query names' partners
    key_at: np.ndarray,
    keys: np.ndarray,
    partner_at: np.ndarray,
    similarity: np.ndarray,
    position: np.ndarray,
    # what `_sound` reads of the query's names and of every indexed name, and the alignment's
    # costs (`align_kernel`: substitution, vowel, silent)
    q_sounds: tuple[np.ndarray, ...],
    c_sounds: tuple[np.ndarray, ...],
    costs: tuple[np.ndarray, ...],
    # the answers: per candidate, the best score and which query name and name gave it (-1:
    # none)
    best_score: np.ndarray,
    best_query: np.ndarray,
    best_name: np.ndarray,
) -> None:
    """The best names of the candidates: `query` holds the query's names (start, weight,
    strong, significant, costs, given, fused_at, fused, foreign; `name_table._Names.arrays`),
    `table` every indexed name (start, token, weight, long, significant, costs, given,
    kind_weight, fused_at, fused, foreign)."""
    q_start, q_weight, q_strong, q_significant, q_costs, q_given, q_fused_at, q_fused = query[:8]
    q_foreign = query[8]
    c_start, c_token, c_weight, c_long, c_significant, c_costs, c_given = table[:7]
    c_kind_weight, c_fused_at, c_fused, c_foreign = table[7:]
    names = q_start.shape[0] - 1
    most = 1
    for n in range(names):
        most = max(most, q_start[n + 1] - q_start[n])
    used_q = np.zeros(most, np.bool_)
    longest = 1
    for k in range(first.shape[0]):
        for n in range(first[k], last[k]):
            longest = max(longest, c_start[n + 1] - c_start[n])
    used_c = np.zeros(longest, np.bool_)
    widest = 1
    for k in range(first.shape[0]):
        for n in range(first[k], last[k]):
            widest = max(widest, c_fused_at[n + 1] - c_fused_at[n] + 1)
    row = np.zeros(widest, np.int64)
    capacity = 64
    pair_similarity = np.empty(capacity)
    pair_i = np.empty(capacity, np.int64)
    pair_j = np.empty(capacity, np.int64)
    for k in range(first.shape[0]):
        best_query[k] = -1
        best_name[k] = -1
        best_score[k] = 0.0
        is_person = person[k]
        for a in range(names):
            qs = q_start[a]
            qn = q_start[a + 1] - qs
            block = (1 if is_person else 0) * names + a
            for n in range(first[k], last[k]):
                kind_weight = c_kind_weight[n]
                if best_query[k] >= 0 and best_score[k] >= kind_weight:
                    continue
                sound_value = 0.0  # names in one script: `score._sound` says nothing
                if q_foreign[a] and not c_foreign[n]:
                    sound_value = _sound(q_sounds, a, c_sounds, n, costs)
                elif c_foreign[n] and not q_foreign[a]:
                    sound_value = _sound(c_sounds, n, q_sounds, a, costs)
                cs = c_start[n]
                cn = c_start[n + 1] - cs
                # every (similarity, query position, candidate position) the tokens share
                count = 0
                for j in range(cn):
                    key = _find(keys, key_at[block], key_at[block + 1], c_token[cs + j])
                    if key < 0:
                        continue
                    for p in range(partner_at[key], partner_at[key + 1]):
                        if count == capacity:
                            capacity *= 2
                            pair_similarity = np.resize(pair_similarity, capacity)
                            pair_i = np.resize(pair_i, capacity)
                            pair_j = np.resize(pair_j, capacity)
                        pair_similarity[count] = similarity[p]
                        pair_i[count] = position[p]
                        pair_j[count] = j
                        count += 1
                score = -1.0  # not yet: no strong match
                if count:
                    # sorted as Python sorts the tuples, greatest first
                    for x in range(1, count):
                        s, i, j = pair_similarity[x], pair_i[x], pair_j[x]
                        y = x - 1
                        while y >= 0 and (
                            pair_similarity[y] < s
                            or (
                                pair_similarity[y] == s
                                and (pair_i[y] < i or (pair_i[y] == i and pair_j[y] < j))
                            )
                        ):
                            pair_similarity[y + 1] = pair_similarity[y]
                            pair_i[y + 1] = pair_i[y]
                            pair_j[y + 1] = pair_j[y]
                            y -= 1
                        pair_similarity[y + 1] = s
                        pair_i[y + 1] = i
                        pair_j[y + 1] = j
                    used_q[:qn] = False
                    used_c[:cn] = False
                    matched = 0.0
                    matched_weight = 0.0
                    strong = 0
                    for x in range(count):
                        i = pair_i[x]
                        j = pair_j[x]
                        if used_q[i] or used_c[j]:
                            continue
                        used_q[i] = True
                        used_c[j] = True
                        weight = q_weight[qs + i] + c_weight[cs + j]
                        matched += pair_similarity[x] * weight
                        matched_weight += weight
                        if q_strong[qs + i] and c_long[cs + j]:
                            strong += 1
                    if strong:
                        one_sided = True
                        for i in range(qn):
                            if q_significant[qs + i] and not used_q[i]:
                                one_sided = False
                                break
                        if not one_sided:
                            one_sided = True
                            for j in range(cn):
                                if c_significant[cs + j] and not used_c[j]:
                                    one_sided = False
                                    break
                        column = (2 if is_person else 0) + (1 if strong >= 2 and one_sided else 0)
                        unmatched_q = 0.0
                        for i in range(qn):
                            if not used_q[i]:
                                unmatched_q += q_costs[qs + i, column]
                        unmatched_c = 0.0
                        for j in range(cn):
                            if not used_c[j]:
                                unmatched_c += c_costs[cs + j, column]
                        unmatched = unmatched_q + unmatched_c
                        score = matched / (matched_weight + unmatched)
                        if is_person and (
                            (q_given[a] and not used_q[0]) or (c_given[n] and not used_c[0])
                        ):
                            score = min(score, GIVEN_NAME_CAP)
                        if qn != cn:
                            fused = _fused(
                                q_fused[q_fused_at[a] : q_fused_at[a + 1]],
                                c_fused[c_fused_at[n] : c_fused_at[n + 1]],
                                row,
                            )
                            score = max(score, fused)
                        score = max(score, sound_value)
                if score < 0.0:
                    fused = _fused(
                        q_fused[q_fused_at[a] : q_fused_at[a + 1]],
                        c_fused[c_fused_at[n] : c_fused_at[n + 1]],
                        row,
                    )
                    score = fused if fused >= sound_value else sound_value
                score = score * kind_weight
                if best_query[k] < 0 or score > best_score[k]:
                    best_score[k] = score
                    best_query[k] = a
                    best_name[k] = n


@njit(cache=True, nogil=True)
def best_of(
    query: tuple[np.ndarray, ...],
    query_sounds: tuple[np.ndarray, ...],
    query_tokens: tuple[np.ndarray, ...],
    name_tokens: np.ndarray,
    nick_at: np.ndarray,
    nicks: np.ndarray,
    table: tuple[np.ndarray, ...],
    table_sounds: tuple[np.ndarray, ...],
    table_tokens: tuple[np.ndarray, ...],
    records: tuple[np.ndarray, np.ndarray, np.ndarray],
    chosen: np.ndarray,
    person: np.ndarray,
    costs: tuple[np.ndarray, ...],
    best_score: np.ndarray,
    best_query: np.ndarray,
    best_name: np.ndarray,
) -> None:
    """`best_names` of the records at positions `chosen`, their tokens compared with the query's
    first (`tokens_kernel.partners`): one call per query.

    The query's names (`name_table._Names.arrays`), what `_sound` reads of them, and its tokens
    as `tokens_kernel` reads them, name n's being rows `name_tokens[n]` to `name_tokens[n + 1]`,
    each token's nicknames' ids in compressed rows (`nick_at`, `nicks`); then the same of every
    indexed name and token, and of each indexed record the run of its names and the ids of its
    names' tokens (`records`: name rows, token rows, token ids; each in compressed rows).
    """
    record_names, tokens_at, tokens = records
    count = chosen.shape[0]
    sizes = np.zeros(2, np.int64)
    for k in range(count):
        sizes[1 if person[k] else 0] += tokens_at[chosen[k] + 1] - tokens_at[chosen[k]]
    pools = (np.empty(sizes[0], np.int64), np.empty(sizes[1], np.int64))
    filled = np.zeros(2, np.int64)
    for k in range(count):
        pool = 1 if person[k] else 0
        low = tokens_at[chosen[k]]
        size = tokens_at[chosen[k] + 1] - low
        pools[pool][filled[pool] : filled[pool] + size] = tokens[low : low + size]
        filled[pool] += size
    key_at, keys, partner_at, similarity, position = partners(
        query_tokens, name_tokens, table_tokens, pools, nick_at, nicks, costs
    )
    best_names(
        query,
        table,
        record_names[chosen],
        record_names[chosen + 1],
        person,
        key_at,
        keys,
        partner_at,
        similarity,
        position,
        query_sounds,
        table_sounds,
        costs,
        best_score,
        best_query,
        best_name,
    )
