"""Comparing a query's tokens with many candidate tokens at once (`tokens.Pool`) must find exactly
what comparing every pair one by one finds: the pool only skips pairs that cannot be alike."""

from __future__ import annotations

import pytest
from rigour.text.translit import ascii_text

from dignity.screening.text import Token, _latin_ascii, kind_of_thing, prepare_name, spelling_key
from dignity.screening.tokens import Pool, token_similarity

QUERIES = [
    ("Person", "Vladimir V. Putin"),
    ("Person", "Bob Menendez"),
    ("Person", "Mohammed Abd al-Rahman"),
    ("Person", "克林頓"),
    ("Person", "김정은"),
    ("Person", "أسامة بن لادن"),
    ("Person", "Джонсон"),
    ("Organization", "MSC Shipping"),
    ("Person", "Kim Yo Jong"),
    ("Person", "Alyaksandr Lukashenka"),  # Alexandr: four edits, the same spelling key only
    ("Person", "Akbar Alhosseini"),  # Hoseyni: the article run in, four edits in all
    ("Person", "Hannibal Gadafi"),  # ELKADDAFI: the article on the listed side
]
LISTED = [
    ("Person", "PUTIN, Vladimir Vladimirovich"),
    ("Person", "Robert MENENDEZ"),
    ("Person", "Muhammad ABDULRAHMAN"),
    ("Person", "Abd al-Rahman AL-QADULI"),
    ("Person", "Clinton"),
    ("Person", "KIM, Jong Un"),
    ("Person", "Usama BIN LADIN"),
    ("Person", "أسامة محمد عوض بن لادن"),
    ("Person", "Johnson"),
    ("Person", "Jackson"),
    ("Person", "Владимир Путин"),
    ("Person", "V. KONONOV"),
    ("Organization", "MZIK OAO"),
    ("Organization", "MSK Shipping LLC"),
    ("Person", "KIM, Yo Jong"),
    ("Person", "习近平"),
    ("Person", "Alexandr LUKASHENKO"),
    ("Person", "HOSEYNI, Akbar"),
    ("Person", "ELKADDAFI, Hannibal"),
]


def _tokens(schema: str, name: str) -> tuple[Token, ...]:
    prepared = prepare_name(name, "name", kind_of_thing(schema))
    assert prepared is not None
    return prepared.tokens


@pytest.mark.parametrize("person", [True, False])
@pytest.mark.parametrize(("schema", "query"), QUERIES)
def test_the_pool_finds_what_every_pair_finds(schema: str, query: str, person: bool) -> None:
    query_tokens = _tokens(schema, query)
    listed = [t for listed_schema, name in LISTED for t in _tokens(listed_schema, name)]

    found = Pool(listed).partners(query_tokens, person)

    expected = {
        token: tuple(
            (similarity, position)
            for position, query_token in enumerate(query_tokens)
            if (similarity := token_similarity(query_token, token, person)) > 0.0
        )
        for token in listed
    }
    assert found == expected
    assert any(found.values()), "nothing alike at all: the case tests nothing"


@pytest.mark.parametrize(
    "name",
    [
        "BAFUNKWA WA KANONGA KYUNGU MUTANGA GÉDÉON",
        "Téchiné  Pozharskaya Gams\u0131zo\u011flu",  # two spaces
        "Łazaj Ragnvaldsdotter Straße",
        "Open Joint Stock Company “Balakirev Mechanical Plant”",
        "plain ascii name",
    ],
)
def test_latin_names_read_word_by_word_as_whole(name: str) -> None:
    # names in Latin letters are made ASCII word by word (each word remembered): the same as
    # the whole name at once
    assert _latin_ascii(name) == ascii_text(name)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("seyed", "sayyed"),
        ("mohammed", "muhammad"),
        ("abdullah", "abdulla"),
        ("qasem", "kasim"),
        ("soleiman", "sulayman"),
        ("djamel", "jamal"),
        ("cecilia", "sesilia"),
    ],
)
def test_romanisations_of_one_name_share_a_spelling_key(a: str, b: str) -> None:
    assert spelling_key(a) != ""
    assert spelling_key(a) == spelling_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("hasan", "husain"),  # a rounded vowel is not an open one
        ("omar", "amir"),
        ("said", "sayed"),  # a consonant y is not a vowel
        ("khan", "hann"),  # kh is not h
        ("chen", "shen"),
    ],
)
def test_different_names_have_different_spelling_keys(a: str, b: str) -> None:
    assert spelling_key(a) != spelling_key(b)


@pytest.mark.parametrize("text", ["ali", "msc", "aaaa", "apt38"])
def test_short_or_vowel_only_texts_have_no_spelling_key(text: str) -> None:
    assert spelling_key(text) == ""
