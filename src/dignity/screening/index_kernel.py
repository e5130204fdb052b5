"""`index._heaviest` compiled by numba: the records with the heaviest sums of a query's postings.

Imported on first use, as `align_kernel` is. The sums are added up in the order of the postings,
as np.bincount adds them, so that equal inputs give equal sums, bit for bit (a screening must be
reproducible from its record).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from dignity.screening import kernel_cache

kernel_cache.use_own_directory()  # before any kernel is defined


@njit(cache=True, nogil=True)
def heaviest(positions: np.ndarray, weights: np.ndarray, size: int, count: int) -> np.ndarray:
    """The `count` positions (of `size`) whose weights add up the most, heaviest first; among
    equals, the lowest position. Every weight is above zero."""
    sums = np.zeros(size)
    touched = np.empty(positions.shape[0], np.int64)
    found = 0
    for x in range(positions.shape[0]):
        position = positions[x]
        if sums[position] == 0.0:
            touched[found] = position
            found += 1
        sums[position] += weights[x]
    reached = np.sort(touched[:found])
    order = np.argsort(-sums[reached], kind="mergesort")[:count]
    return reached[order]
