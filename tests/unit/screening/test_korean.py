"""Korean names in Latin letters: the key of a syllable however it was romanised, and which
names read as Korean at all."""

from __future__ import annotations

import pytest

from dignity.screening.korean import korean_key, korean_syllables, reads_korean, syllables_of
from dignity.screening.text import PARTICLES, prepare_name

# Spellings of one syllable: McCune-Reischauer (as OFAC and the UN write it, apostrophes gone),
# the Revised Romanization, and the spellings passports and people use.
ONE_SYLLABLE = [
    ("jo", "cho", "jjo"),
    ("jong", "chong", "jeong", "jung", "chung"),
    ("ri", "li", "lee", "yi", "rhee", "i"),
    ("pak", "bak", "park"),
    ("choi", "choe"),
    ("kim", "gim"),
    ("hyok", "hyeok"),
    ("thaek", "taek"),
    ("sung", "song", "seong"),
    ("un", "eun"),
    ("u", "woo"),
    ("o", "oh"),
    ("an", "ahn"),
    ("ro", "no", "noh", "roh"),
]
DIFFERENT = [("pak", "paek"), ("o", "u"), ("kim", "kin"), ("jong", "jang"), ("chol", "chil")]


@pytest.mark.parametrize("spellings", ONE_SYLLABLE)
def test_romanisations_of_one_syllable_share_a_key(spellings: tuple[str, ...]) -> None:
    assert len({korean_key(spelling) for spelling in spellings}) == 1


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_syllables_keep_different_keys(a: str, b: str) -> None:
    assert korean_key(a) != korean_key(b)


def test_a_given_name_in_one_word_reads_as_its_syllables() -> None:
    assert korean_syllables("yongwon") == ("yong", "won")  # -ng is never an initial
    assert korean_syllables("kimjong") == ("kim", "jong")
    assert korean_syllables("mina") == ("mi", "na")  # the next syllable takes the consonant
    assert korean_syllables("smith") is None
    assert korean_syllables("ahn") == ("ahn",)
    assert korean_syllables("john") is None  # -hn ends Ahn, which has no initial
    assert korean_syllables("tark") is None  # -rk ends Park alone
    assert syllables_of("yongwon") == ("yong", "won")
    assert syllables_of("kwai") == ("kwai",)  # not kwa and i: a syllable from a vowel stays
    assert korean_key("yongwon") == korean_key("yongweon")


@pytest.mark.parametrize(
    ("parts", "korean"),
    [
        (["kim", "jong", "un"], True),
        (["pak", "jin", "hyok"], True),
        (["jang", "myong", "jin"], True),
        (["park", "jeongcheol"], True),
        # syllables, but no Korean surname among them
        (["ana", "maria"], False),
        (["ali", "hassan"], False),
        # a particle of other names (bin), or a part of three syllables
        (["ali", "bin", "han"], False),
        (["kim", "mohammed"], False),
        # one part alone says too little
        (["kim"], False),
        (["vladimir", "putin"], False),
        (["lee", "john"], False),
    ],
)
def test_which_names_read_as_korean(parts: list[str], korean: bool) -> None:
    assert reads_korean(parts, PARTICLES) is korean


def test_only_a_korean_persons_name_in_latin_letters_is_keyed_as_korean() -> None:
    person = prepare_name("PAK, Jong Chol", "name", "person")
    assert person is not None
    assert all(token.korean for token in person.tokens)
    organisation = prepare_name("Pak Jong Chol", "name", "organization")
    assert organisation is not None
    assert not any(token.korean for token in organisation.tokens)
    other = prepare_name("Mario Rossi", "name", "person")
    assert other is not None
    assert not any(token.korean for token in other.tokens)
