"""Names as matchable tokens: transliteration, phonetic and consonant keys, particles, nicknames.

Every name, on the query side and the list side alike, goes through `prepare_name`: honorifics and
legal forms come off (rigour's tables, the successor of `fingerprints`), the rest is transliterated
to ASCII (rigour's ICU-based transliteration covers Cyrillic, Arabic, Persian, Hebrew, Chinese,
Japanese, Korean, Greek and more) and split into tokens. Each token carries three forms to compare
on: its ASCII text, a metaphone key, and a consonant skeleton, which is what survives of a name
written in an abjad (Arabic, Persian, Hebrew), where short vowels are not written. A token written
in Han characters, kana, Hangul, Hebrew, Arabic or Cyrillic also carries the Latin spellings its
original stands for (`translit`), since the one ICU romanisation is seldom the one a list uses.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from rigour.names import (
    extract_org_types,
    remove_obj_prefixes,
    remove_org_types,
    remove_person_prefixes,
)
from rigour.text import metaphone
from rigour.text.scripts import text_scripts
from rigour.text.translit import ascii_text

from dignity.screening.align import Aligner, compile_lattice
from dignity.screening.caches import bounded
from dignity.screening.korean import korean_key, reads_korean, syllables_of
from dignity.screening.translit import readings

# Name kinds as FollowTheMoney properties carry them; the weight a match through each one keeps.
NAME_KINDS = {
    "name": 1.0,
    "alias": 1.0,
    "abbreviation": 0.9,
    "previousName": 0.95,
    "weakAlias": 0.9,
}
# Words that join or introduce name parts rather than identify anyone (Arabic nasab and kunya
# markers, articles, Dutch, German, Romance and Portuguese particles).
PARTICLES = frozenset(
    [
        "al",
        "el",
        "ul",
        "bin",
        "ibn",
        "bint",
        "ben",
        "binti",
        "abu",
        "abou",
        "bou",
        "ould",
        "ait",
        "van",
        "von",
        "der",
        "den",
        "de",
        "da",
        "di",
        "du",
        "la",
        "le",
        "del",
        "della",
        "dos",
        "das",
        "y",
        "e",
        "bn",
        "bnt",
        "abw",
    ]
)
# Words of organisation names that lists write short or in full (COAL TAR REFINING CO. and
# COAL TAR REFINING COMPANY): the short form is read as the full one; and the words an airline's
# name takes in turn, read as one. Legal forms proper (LLC, GmbH, OAO) come off before (rigour's
# table); these are the generic words it leaves.
ORG_WORDS = {
    "co": "company",
    "cie": "compagnie",
    "cia": "compania",
    "corp": "corporation",
    "inc": "incorporated",
    "ltd": "limited",
    "intl": "international",
    "natl": "national",
    "shpg": "shipping",
    "trdg": "trading",
    "mfg": "manufacturing",
    "inds": "industries",
    "bros": "brothers",
    "assn": "association",
    "assoc": "association",
    "grp": "group",
    "hldg": "holding",
    "hldgs": "holdings",
    "mgmt": "management",
    "svcs": "services",
    "dept": "department",
    "govt": "government",
    # an airline's name is written with any of these (MAHAN AIR, Mahan Airlines; DENA AIRWAYS)
    "airlines": "air",
    "airline": "air",
    "airways": "air",
}
# Particles after which a name part is the father's (or grandfather's) name: Usama bin Ladin.
NASAB = frozenset(["bin", "ibn", "bn", "bint", "binti", "bnt", "ben", "ould"])
# Endings of patronymics (Vladimirovich, Akhmatovna, Aliyev oglu ...).
PATRONYMIC_ENDINGS = ("ovich", "evich", "ovitch", "evitch", "ovna", "evna", "ichna", "ogly", "oglu")
ABJADS = frozenset({"Arabic", "Hebrew", "Syriac", "Thaana"})
_SPLIT = re.compile(r"[^a-z0-9]+")
# Word breaks in a name not written in Latin letters (the apostrophe of a Hebrew geresh stays).
_WORDS = re.compile(r"[\s\-\u2010-\u2015,.;:()/\\&\"\u00b7\u30fb\u2022=_+|]+")
_ARTICLE = re.compile(r"^\u0627\u0644[\u0620-\u064a]{3,}$")  # al- on an Arabic word
_HAN_ONLY = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_VOWELS_AND_GLIDES = re.compile(r"[aeiouwyh]")
_REPEATS = re.compile(r"(.)\1+")
# Apostrophes and the transliterations of ayn and hamza sit inside a word, not between two.
_INNER_MARKS = re.compile(r"['`\u2018\u2019\u02bb\u02bc\u02be\u02bf]")


@dataclass(frozen=True, slots=True, eq=False)
class Token:
    """One part of a name in the forms it is compared in.

    Tokens are made once per distinct text (`make_token` remembers them) and compare by identity,
    so that the matcher's memory of token pairs hashes them cheaply.
    """

    text: str  # lower-case ASCII
    phonetic: str  # metaphone of the ASCII form ("" for numbers and one-letter parts)
    spelling: str  # `spelling_key` of the ASCII form ("" when it has none)
    skeleton: str  # consonants without repeats: what an abjad spelling keeps
    abjad: bool  # written in an abjad in the source: compare on the skeleton too
    particle: bool  # al, bin, van, de ...: counts little
    patronymic: bool = False  # a father's name (after bin, or -ovich): often left out
    # a Hangul syllable, or a part of a Korean name in Latin letters: compare on `korean_key` too
    korean: bool = False
    # How much the token identifies: particles and initials little, longer tokens more.
    weight: float = 1.0
    # The Latin spellings the token's original script stands for (see `translit`), or None for
    # a token written in Latin letters or in a script without a table there.
    readings: Aligner | None = None
    # `sound_key` and `korean_key` of the text, worked out once: the matcher looks tokens up by them
    sound: str = ""
    korean_key: str = ""


@dataclass(frozen=True, slots=True)
class PreparedName:
    """A name ready to compare: the original string, its kind and its tokens."""

    original: str
    kind: str  # name, alias, weakAlias, previousName, abbreviation
    tokens: tuple[Token, ...]
    legal_forms: frozenset[str]  # canonical legal forms of an organisation's name (llc, jsc ...)
    foreign: bool = False  # written in a script other than Latin: compare on sound keys too
    # The tokens run together (`Abdul Rahman` and `Abdulrahman` agree on it), and its sound key.
    fused: str = ""
    sound: str = ""
    # The Latin spellings of the fused form, when every part of it has them (see `translit`),
    # and whether the name is written as one word (克魯森, 김정은: its parts are syllables).
    readings: Aligner | None = None
    one_word: bool = False

    @property
    def kind_weight(self) -> float:
        return NAME_KINDS.get(self.kind, 1.0)


# Spellings that transliteration from another script turns into each other: Chinese, Japanese and
# Korean merge l and r, Korean g and k, b and p; pinyin x is an s; Arabic th is an s.
_SOUND_PAIRS = (
    ("th", "s"),
    ("ph", "f"),
    ("sh", "s"),
    ("ch", "j"),
    ("zh", "j"),
    ("ts", "s"),
    ("tz", "s"),
    ("kh", "k"),
    ("gh", "k"),
    ("ck", "k"),
)
# Then single letters, in one pass (none of them makes a letter another one replaces), with the
# vowels, y and h left out (none of the replacements makes one).
_SOUND_LETTERS = str.maketrans("xzcqgdbfvwr", "sskkktppppl", "aeiouyh")


@bounded(100_000)
def sound_key(text: str) -> str:
    """A coarse key of how a romanised name sounds, for names that crossed a script."""
    for written, key in _SOUND_PAIRS:
        text = text.replace(written, key)
    return _REPEATS.sub(r"\1", text.translate(_SOUND_LETTERS))


# Letters that romanisations of one name write differently (Persian, Arabic, Russian, Turkish,
# French and English habits), in the order they are replaced: each group becomes one symbol (the
# digits stand for sounds no single letter writes). A c before e, i or y reads s (first), and a y
# between vowels or first before one is a consonant (Y).
_SPELLING_GROUPS = (
    ("ce", "se"),
    ("ci", "si"),
    ("cy", "sy"),
    ("dj", "j"),
    ("ck", "k"),
    ("dzh", "j"),
    ("dh", "d"),
    ("th", "t"),
    ("ph", "f"),
    ("kh", "1"),
    ("gh", "g"),
    ("sh", "2"),
    ("ch", "3"),
    ("zh", "4"),
)
_SPELLING_GROUPS_NO_H = tuple(group for group in _SPELLING_GROUPS if "h" not in group[0])
# then single letters, and vowels by kind: rounded (U) or not (V)
_SPELLING_LETTERS = str.maketrans(
    {"c": "k", "q": "k", "w": "v", "x": "ks", "o": "U", "u": "U"} | dict.fromkeys("aeiy", "V")
)
_CONSONANT_Y = re.compile(r"(?<![^aeiouy])y(?=[aeiou])")
_ROUNDED_RUN = re.compile(r"V*U[UV]*")


@bounded(200_000)
def spelling_key(text: str) -> str:
    """A key that romanisations of one name share: Seyed and Sayyed, Moussa and Musa, Ghaith and
    Ghiath, Saeed and Said, Alyaksandr and Alexandr.

    Letters written differently for one sound agree (above); a final h after a vowel is silent
    (Abdullah, Abdulla); a run of vowels only says whether it is rounded (has an o or a u) or
    not, so the short vowels a romanisation guesses (Mohammed, Muhammad) agree while Hasan and
    Husain, Omar and Amir stay apart; doubled letters count once. A text of fewer than four
    letters, or with fewer than two consonants, has no key ("").
    """
    if len(text) < 4 or not text.isalpha():
        return ""
    key = _CONSONANT_Y.sub("Y", text) if "y" in text else text
    for written, symbol in _SPELLING_GROUPS if "h" in key else _SPELLING_GROUPS_NO_H:
        if written in key:
            key = key.replace(written, symbol)
    if key[-1] == "h" and key[-2] in "aeiouy":
        key = key[:-1]
    key = key.translate(_SPELLING_LETTERS)
    if "U" in key:
        key = _ROUNDED_RUN.sub("U", key)
    if _REPEATS.search(key):
        key = _REPEATS.sub(r"\1", key)
    return key if len(key) - key.count("U") - key.count("V") >= 2 else ""


def skeleton(text: str) -> str:
    return _REPEATS.sub(r"\1", _VOWELS_AND_GLIDES.sub("", text))


@bounded(200_000)
def make_token(
    text: str, abjad: bool, patronymic: bool = False, korean: bool = False, written: str = ""
) -> Token:
    """The token of `text`; `written` is the word as its own script writes it, if not Latin."""
    # one syllable of a name in Han characters or Hangul is never an article (德 de, 다 da)
    particle = text in PARTICLES and not korean and not _HAN_ONLY.fullmatch(written)
    phonetic = metaphone(text) if len(text) > 1 and not text.isdigit() else ""
    weight = 0.2 if particle else 0.3 if len(text) == 1 else min(0.4 + 0.1 * len(text), 1.2)
    lattice = readings(written) if written else None
    return Token(
        text,
        phonetic,
        spelling_key(text),
        skeleton(text),
        abjad,
        particle,
        patronymic and not particle,
        korean,
        weight,
        compile_lattice(lattice) if lattice else None,
        sound_key(text),
        korean_key(text),
    )


def _parts(ascii_form: str) -> list[str]:
    return [part for part in _SPLIT.split(_INNER_MARKS.sub("", ascii_form)) if part]


def _written_parts(name: str) -> list[tuple[str, str]]:
    """The ASCII parts of a name not in Latin letters, each with the word it was written as.

    Words are transliterated one by one, so that each part keeps its own script form; a Han
    character is a part of its own (one syllable of pinyin), and an Arabic article a word apart.
    A part that is not a whole word (ICU split it) keeps no script form.
    """
    parts: list[tuple[str, str]] = []
    for word in _WORDS.split(name):
        if not word:
            continue
        if _ARTICLE.match(word):
            parts.append(("al", ""))
            word = word[2:]
        if _HAN_ONLY.fullmatch(word):
            parts.extend((ascii_text(char).lower(), char) for char in word)
            continue
        found = _parts(ascii_text(word).lower())
        if len(found) == 1:
            parts.append((found[0], word))
        else:
            parts.extend((part, "") for part in found)
    return parts


def _tokens(
    parts: list[tuple[str, str]], abjad: bool, person: bool, korean: bool
) -> tuple[Token, ...]:
    texts = [text for text, _ in parts]
    tokens = []
    for position, (part, written) in enumerate(parts):
        after_nasab = position > 0 and texts[position - 1] in NASAB
        patronymic = person and (after_nasab or part.endswith(PATRONYMIC_ENDINGS))
        tokens.append(make_token(part, abjad, patronymic, korean, written))
    return tuple(tokens)


def _strip(name: str, kind_of_thing: str) -> tuple[str, frozenset[str]]:
    """Remove honorifics (people), legal forms (organisations) or vessel prefixes (objects)."""
    if kind_of_thing == "person":
        return remove_person_prefixes(name), frozenset()
    if kind_of_thing == "organization":
        folded = name.casefold()  # rigour's legal-form table is case-folded
        forms = frozenset(target for _found, target in extract_org_types(folded, generic=True))
        stripped = remove_org_types(folded, replacement=" ")
        return (stripped if stripped.strip() else folded), forms
    return remove_obj_prefixes(name), frozenset()


@bounded(100_000)
def prepare_name(name: str, kind: str, kind_of_thing: str) -> PreparedName | None:
    """Tokens of one name; None when nothing matchable is left (punctuation, a lone particle)."""
    stripped, legal_forms = _strip(name, kind_of_thing)
    scripts = text_scripts(stripped)
    abjad = bool(scripts & ABJADS)
    korean = "Hangul" in scripts
    # A name written as one word (克魯森, 김정은) is also compared whole (see `score._sound`).
    one_word = sum(1 for word in _WORDS.split(stripped) if word) == 1
    if korean:  # one token per syllable: a Korean name is written without spaces
        stripped = " ".join(stripped)
    if abjad:  # a word-final ta marbuta is said (and romanised) as -a or -ah, not -t
        stripped = stripped.replace("\u0629", "\u0647")
    foreign = not _latin(scripts)
    if foreign:
        parts = _written_parts(stripped)
    elif kind_of_thing == "organization":
        parts = [(ORG_WORDS.get(part, part), "") for part in _parts(_latin_ascii(stripped).lower())]
    else:
        parts = [(part, "") for part in _parts(_latin_ascii(stripped).lower())]
        # a Korean name in Latin letters (PAK Jong Chol, Park Jeong-cheol): see `korean`; one
        # token per syllable, as in Hangul (Yongwon and Yong-Won)
        korean = kind_of_thing == "person" and reads_korean([p for p, _ in parts], PARTICLES)
        if korean:
            parts = [(syllable, "") for part, _ in parts for syllable in syllables_of(part)]
    tokens = _tokens(parts, abjad, kind_of_thing == "person", korean)
    if not any(not t.particle for t in tokens):
        return None
    fused = "".join(t.text for t in tokens if not t.particle)
    return PreparedName(
        name,
        kind,
        tokens,
        legal_forms,
        foreign,
        fused,
        sound_key(fused),
        _fused_readings(tokens, "".join(stripped.split()) if one_word else "") if foreign else None,
        one_word,
    )


def _fused_readings(tokens: tuple[Token, ...], word: str) -> Aligner | None:
    """The lattice of the name's parts run together (particles left out, as in `fused`).

    A name written as one `word` is read whole, so that what one syllable does to the next
    (마이클: 이 after 마 lengthens it, Michael) is kept.
    """
    if word and not any(t.particle for t in tokens) and all(t.readings for t in tokens):
        whole = readings(word.strip())
        if whole:
            return compile_lattice(whole)
    lattices = []
    for token in tokens:
        if token.particle:
            continue
        if token.readings is None:
            return None
        lattices.append(token.readings.lattice)
    return compile_lattice(tuple(segment for lattice in lattices for segment in lattice))


def _latin_ascii(text: str) -> str:
    """`ascii_text` of a name in Latin letters, word by word: its words recur from name to name,
    and each costs rigour a lookup only once (the same result as the whole name at once: checked
    over the 60,000 Latin names of the bundled registry)."""
    if text.isascii():
        return text
    return " ".join(_ascii_word(word) for word in text.split(" "))


@bounded(100_000)
def _ascii_word(word: str) -> str:
    return ascii_text(word)


def _latin(scripts: set[str]) -> bool:
    return not (scripts - {"Latin", "Common", "Inherited"})


@cache
def nicknames() -> frozenset[tuple[str, str]]:
    """English given names and their nicknames (Robert ~ Bob), both ways round.

    From the `nicknames` package by Carlton Northern and Nick Crews (Apache-2.0), shipped in
    dignity/screening/data with its licence.
    """
    data = resources.files("dignity.screening").joinpath("data/nicknames.csv")
    pairs: set[tuple[str, str]] = set()
    with data.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name, nick = row["name1"].strip().lower(), row["name2"].strip().lower()
            pairs.add((name, nick))
            pairs.add((nick, name))
    return frozenset(pairs)


def kind_of_thing(schema: str) -> str:
    """How a schema's names are cleaned: as a person's, an organisation's or an object's."""
    if schema == "Person":
        return "person"
    if schema in ("Vessel", "Airplane"):
        return "object"
    return "organization"
