"""Bounded caches of name preparation: hits only read, and `trim` keeps them bounded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dignity.screening import caches
from dignity.screening.records import query_record
from dignity.screening.text import make_token, prepare_name


@pytest.fixture
def registered() -> Iterator[list[tuple[object, int]]]:
    """The registry of bounded caches, restored after the test."""
    saved = list(caches._BOUNDED)
    yield caches._BOUNDED
    caches._BOUNDED[:] = saved


def test_trim_empties_only_the_caches_past_their_bound(
    registered: list[tuple[object, int]],
) -> None:
    calls: list[int] = []

    @caches.bounded(3)
    def small(n: int) -> int:
        calls.append(n)
        return n * 2

    @caches.bounded(100)
    def large(n: int) -> int:
        return n

    for n in range(5):
        assert small(n) == n * 2
        large(n)
    assert small(1) == 2
    assert calls == [0, 1, 2, 3, 4]
    caches.trim()
    assert small.cache_info().currsize == 0  # type: ignore[attr-defined]
    assert large.cache_info().currsize == 5  # type: ignore[attr-defined]
    assert small(1) == 2
    assert calls == [0, 1, 2, 3, 4, 1]


def test_queries_trim_the_caches_every_so_often(
    registered: list[tuple[object, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    @caches.bounded(2)
    def tiny(n: int) -> int:
        return n

    for n in range(3):
        tiny(n)
    monkeypatch.setattr(caches, "TRIM_EVERY", 3)
    monkeypatch.setattr(caches, "_ticks", 0)
    query_record("Person", {"name": ["Ana Lopez"]})
    query_record("Person", {"name": ["Ana Lopes"]})
    assert tiny.cache_info().currsize == 3  # type: ignore[attr-defined]
    query_record("Person", {"name": ["Anna Lopez"]})  # the third query trims
    assert tiny.cache_info().currsize == 0  # type: ignore[attr-defined]


def test_name_preparation_is_cached_and_bounded() -> None:
    # the functions every query calls are among the bounded caches
    bounded = [function for function, _ in caches._BOUNDED]
    assert prepare_name in bounded
    assert make_token in bounded
    first = prepare_name("Ana LOPEZ", "name", "person")
    assert prepare_name("Ana LOPEZ", "name", "person") is first
