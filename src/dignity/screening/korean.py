"""Korean names in Latin letters: one key for a syllable however it was romanised, and whether a
name reads as a Korean name at all.

The lists write Korean names in McCune-Reischauer as the North uses it (PAK Jong Chol, RI Yong
Ho, CHO'NG Kyo'ng-t'aek), users and passports in the Revised Romanization or in the spellings
people choose (Park Jeong Cheol, Lee Yong Ho, Jung Kyung Taek). The same syllable comes out as
jo, cho, ch'o; jong, chong, jeong, jung, chung; ri, li, lee, yi, rhee. `korean_key` takes those
differences out of one syllable (or of a part made of syllables); `korean_syllables` reads a
part as Korean syllables, when it can be read so; `reads_korean` says whether a person's name
reads as a Korean name: every part one or two syllables, and one of them a Korean surname (so
that names that merely could be syllables, Ana Maria, are left alone).
"""

from __future__ import annotations

import re

from dignity.screening.caches import bounded

# A syllable: an initial consonant (or none), a vowel, a final consonant (or none), as the
# romanisations and the spellings people use write them. The alternatives are tried in order
# (longest first), and `korean_syllables` tries the endings in its own order.
_INITIALS = (  # noqa: SIM905
    "tch ch kk gg tt dd pp bb ss jj sh kh th ph rh k g n d t r l m b p s j h"
).split()
_VOWELS = (  # noqa: SIM905
    "yeo yae wae weo eui yoo you woo eo eu ae ai ya yo yu ye yi wa wo we wi wu oe oi oo ee"
    " ui a e i o u"
).split()
_FINALS = "ng hn rk k g n t d l m p b h".split()  # noqa: SIM905
_SYLLABLE = "(?P<initial>{})?(?P<vowel>{})".format("|".join(_INITIALS), "|".join(_VOWELS))
# Endings tried in turn: -ng (never an initial), none (the next syllable takes the consonant),
# then one consonant.
_ENDINGS = (
    re.compile(_SYLLABLE + "(?P<final>ng)"),
    re.compile(_SYLLABLE),
    re.compile(_SYLLABLE + "(?P<final>{})".format("|".join(_FINALS[1:]))),
)
# What each part of a syllable is keyed as: voiced and voiceless, aspirated and tense, j and ch
# are one (the romanisations disagree on them); r and l are one.
_INITIAL_KEYS = {
    "g": "k", "k": "k", "kk": "k", "gg": "k", "kh": "k",
    "d": "t", "t": "t", "tt": "t", "dd": "t", "th": "t",
    "b": "p", "p": "p", "pp": "p", "bb": "p", "ph": "p",
    "j": "ch", "jj": "ch", "ch": "ch", "tch": "ch",
    "s": "s", "ss": "s", "sh": "s",
    "r": "l", "rh": "l", "l": "l", "n": "n", "m": "m", "h": "h",
}  # fmt: skip
# eo and o (MR writes both o), eu and u (MR: u), ae and e, ai (Paik) and ae, oi (Choi) and oe;
# wo stays apart (Won is not Un).
_VOWEL_KEYS = {
    "a": "a", "ae": "e", "ai": "e", "e": "e", "ya": "ya", "yae": "ye", "ye": "ye",
    "eo": "o", "o": "o", "yeo": "yo", "yo": "yo", "you": "yo",
    "u": "u", "oo": "u", "eu": "u", "woo": "u", "wu": "u", "yu": "yu", "yoo": "yu",
    "i": "i", "ee": "i", "yi": "i", "ui": "ui", "eui": "ui",
    "wa": "wa", "wo": "wo", "weo": "wo", "wi": "wi",
    "wae": "oe", "we": "oe", "oe": "oe", "oi": "oe",
}  # fmt: skip
# A final h is silent (Oh, Noh, Suh, Ahn); Park's r is not Korean at all.
_FINAL_KEYS = {
    "ng": "ng", "k": "k", "g": "k", "rk": "k", "n": "n", "hn": "n", "t": "t", "d": "t",
    "l": "l", "m": "m", "p": "p", "b": "p", "h": "",
}  # fmt: skip
# The most syllables a part of a Korean name has (a given name written as one word).
MOST_SYLLABLES = 2
# Korean surnames, the commonest (Statistics Korea, 2015 census) in the Revised Romanization, and
# the North's Ri, Ryu, Ryom (Lee, Yu, Yeom in the South). Keyed as any spelling of them is.
SURNAMES = (  # noqa: SIM905
    "gim i ri bak choe jeong gang jo yun jang im rim han o seo sin gwon hwang an song jeon"
    " hong yu ryu go mun yang son bae baek heo nam sim no ro ha gwak seong cha ju u gu min"
    " na ra jin ji eom ryom chae won cheon bang gong hyeon ham byeon yeom yeo chu do seok"
    " seon seol gil yeon wi pyo myeong gi ban wang geum ok yuk maeng je mo tak guk eun pyeon"
    " ye gyeong bong gye tae"
).split()


@bounded(100_000)
def korean_syllables(text: str) -> tuple[str, ...] | None:
    """The Korean syllables `text` reads as (lower-case ASCII), or None when it does not read as
    Korean. Where a part reads two ways (Yongwon: yong won or yon gwon) a final -ng is taken
    first, then the syllable that leaves the next its initial consonant (Mina: mi na)."""
    return _syllables(text, 0)


def _syllables(text: str, start: int) -> tuple[str, ...] | None:
    if start == len(text):
        return ()
    for pattern in _ENDINGS:
        found = pattern.match(text, start)
        if found is None or _foreign(found):
            continue
        rest = _syllables(text, found.end())
        if rest is not None:
            return (found.group(), *rest)
    return None


def syllables_of(part: str) -> tuple[str, ...]:
    """The syllables of a part of a name that `reads_korean`: Yongwon as yong and won, as
    Yong-Won is written. A part whose second syllable would begin with a vowel stays whole
    (Kwai is not kwa and i: the name is more likely Chinese than Korean there)."""
    syllables = korean_syllables(part)
    if syllables is None or len(syllables) == 1 or syllables[1][0] in "aeiou":
        return (part,)
    return syllables


def _foreign(syllable: re.Match[str]) -> bool:
    """The two popular spellings that end a syllable otherwise than Korean does end only
    themselves: -hn only Ahn (not John), -rk only Park (not Tark)."""
    final = syllable.groupdict().get("final")
    if final == "hn":
        return bool(syllable.group("initial"))
    return final == "rk" and syllable.group() != "park"


@bounded(100_000)
def korean_key(text: str) -> str:
    """`text` read as Korean syllables, with the differences between romanisations taken out:
    jo, cho and ch'o; jong, chong, jeong, jung and chung; ri, li, lee, yi and rhee; pak, bak and
    park each have one key. A text that does not read as Korean is its own key."""
    syllables = korean_syllables(text)
    if syllables is None:
        return text
    return "".join(_syllable_key(syllable) for syllable in syllables)


def _syllable_key(syllable: str) -> str:
    for pattern in _ENDINGS:
        found = pattern.fullmatch(syllable)
        if found is not None:
            break
    else:  # pragma: no cover - a syllable of `korean_syllables` always matches
        return syllable
    parts = found.groupdict()
    initial = _INITIAL_KEYS.get(parts["initial"] or "", "")
    vowel = _VOWEL_KEYS[parts["vowel"]]
    final = _FINAL_KEYS.get(parts.get("final") or "", "")
    if initial in ("l", "n"):
        # A first r or l is n, or silent before i and y, as the South writes it (the North's
        # Ri, Ryu, Ro are the South's Lee, Yu, No)
        initial = "" if vowel[0] in "iy" else "n"
    if initial or final:
        # eo and u: Jeong, Jong, Jung, Chung; Hyeon, Hyon, Hyun; Seong, Song, Sung
        vowel = vowel.replace("u", "o")
    return initial + vowel + final


_SURNAME_KEYS = frozenset(korean_key(name) for name in SURNAMES)


def reads_korean(parts: list[str], particles: frozenset[str]) -> bool:
    """Whether a person's name, in parts of lower-case ASCII, reads as a Korean name: two parts
    or more, each one or two Korean syllables and none a particle of other languages' names
    (bin, de, van), one of them a Korean surname."""
    if len(parts) < 2 or any(part in particles for part in parts):
        return False
    for part in parts:
        syllables = korean_syllables(part)
        if syllables is None or len(syllables) > MOST_SYLLABLES:
            return False
    return any(korean_key(part) in _SURNAME_KEYS for part in parts)
