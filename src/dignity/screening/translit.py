"""The Latin spellings a name written in another script can stand for, and how near a Latin name is.

ICU transliteration (`text.prepare_name`) gives one romanisation of a name: 克魯森 is `ke lu sen`,
ブラムレット `buramuretto`, סיבאי `syb'y`. The same names come to the lists as Crewson, Bramlett
and Sebai, spelled as in the language they came from. Here a word in Han characters, kana,
Hangul, Hebrew, Arabic or Cyrillic becomes a *lattice*: a row of segments, each a set of Latin
strings that the segment is written as (`ル` is ru, lu, r or l; `ו` is v, w, o or u), and a Latin
token is scored by the cheapest edit that turns it into one path through the lattice.

The tables are written from the writing systems themselves, not learnt from any data:

- Han characters by their pinyin (ICU), split into initial and final, each with the Latin
  spellings the Xinhua rules for foreign names give it (英语姓名译名手册: 克 ke for k, c and ck,
  a final -e or -u dropped where the character stands for a bare consonant: 布 b, 德 d, 斯 s);
- kana by their Hepburn romanisation (ICU), the consonant and the vowel each with the spellings
  that loanword katakana merges (l and r, v and b, an inserted u or o, the long-vowel mark);
- Hangul by its jamo (initial, vowel, final), each with its Revised and McCune-Reischauer values
  and the loanword values (ㄹ r and l, ㅍ p and f, the inserted ㅡ);
- Hebrew and Arabic letter by letter, each with its Latin values (ו v, w, o, u; י y, i, e), and
  an optional vowel between letters, since short vowels go unwritten;
- Cyrillic letter by letter, with the values of the usual romanisations (BGN/PCGN, ISO 9,
  German, Polish and French practice: ш sh, sch, sz, ch), and the pairs that write one sound
  (дж j, Polivanov's дз for Japanese z).

Two rules join syllables: a consonant that ends one syllable and begins the next is written once
(埃琳娜 Elena), and Chinese may leave out an l or r (戈登 Goldin). The cost of an edit: a letter of
the lattice left out 1, a Latin letter no segment writes 1 (a doubled letter 0.2, h, w or a final
e 0.4, the second of two vowels 0.5), a vowel for another vowel 0.5 (see `align`), and
`align.similarity` turns the cost into a score; `tokens._token_similarity` and `score._sound`
decide when to ask.
"""

# ruff: noqa: RUF001, RUF002, RUF003 - tables of Hebrew, Arabic and Cyrillic letters, which ruff
# takes for Latin look-alikes.
from __future__ import annotations

import itertools
import re
import unicodedata

from rigour.text.translit import ascii_text

from dignity.screening.align import Lattice
from dignity.screening.caches import bounded

_VOWELS = frozenset("aeiouy")

# --- Han: pinyin initials and finals, as the Xinhua tables write foreign names -------------------

_HAN_INITIALS = {
    "": ("", "h"),
    "b": ("b", "bb", "p"),
    "p": ("p", "pp", "b", "ph"),
    "m": ("m", "mm"),
    "f": ("f", "ff", "ph", "v", "w"),
    "d": ("d", "dd", "t", "th"),
    "t": ("t", "tt", "th", "d"),
    "n": ("n", "nn", "gn", "kn"),
    "l": ("l", "ll", "r", "rr"),
    "g": ("g", "gg", "gh", "gu", "k", "c"),
    "k": ("k", "c", "ck", "ch", "q", "kh", "x", "g"),
    "h": ("h", "ch", "kh", "j", "g", "wh", ""),
    "j": ("j", "g", "dj", "dg", "ch", "z", "zh", "k", "c", "y"),
    "q": ("q", "ch", "tch", "k", "c", "ts", "cz", "tz", "qu"),
    "x": ("s", "sh", "sch", "x", "c", "h", "ss", "z"),
    "zh": ("j", "g", "zh", "ch", "dj", "dg", "z", "tch"),
    "ch": ("ch", "tch", "c", "ts", "cz", "k", "q"),
    "sh": ("sh", "sch", "s", "ch", "sz", "sj", "x"),
    "r": ("r", "rr", "l", "j", "zh", "rh", "g"),
    "z": ("z", "zz", "ts", "tz", "dz", "s", "th", "c"),
    "c": ("ts", "tz", "c", "z", "tch", "ch", "ss", "s"),
    "s": ("s", "ss", "c", "z", "sc", "th", "x"),
    "y": ("y", "i", "j", "", "e", "ie"),
    "w": ("w", "v", "wh", "u", "o", "", "gu"),
}
_HAN_FINALS = {
    "a": ("a", "ah", "ar", "e", "u", "o", "aa"),
    "o": ("o", "oh", "or", "au", "aw", "ou", "oa", "ow", "a", "u", "eau"),
    "e": ("", "e", "a", "o", "u", "i", "er", "ar", "or", "ur", "ir", "eh", "ey"),
    "ai": ("ai", "ay", "a", "ei", "ey", "ie", "i", "e", "y", "ae", "aye"),
    "ei": ("ei", "ay", "a", "e", "ey", "ai", "ee", "i", "ae", "y"),
    "ao": ("ao", "au", "o", "ow", "aw", "ou", "al", "oh", "eau"),
    "ou": ("ou", "o", "ow", "oe", "au", "oh", "oa", "oo", "u"),
    "an": ("an", "en", "on", "un", "in", "am", "ane", "ann", "ahn", "ant", "and"),
    "en": ("en", "an", "in", "on", "un", "yn", "em", "n", "ne", "ein", "ain", "enn", "ing"),
    "ang": ("ang", "an", "on", "am", "and", "ong", "un", "en"),
    "eng": ("eng", "en", "an", "on", "un", "em", "ing", "in", "ein"),
    "ong": ("ong", "on", "un", "om", "ung", "ang", "an", "oun"),
    "er": ("er", "r", "l", "ar", "or", "ur", "ir", "re", "ere", "el", "ll", "le", "rr"),
    "i": ("i", "y", "e", "ie", "ee", "ea", "ey", "", "a", "is"),
    "ia": ("ia", "ya", "ea", "a", "ie", "e"),
    "ian": ("ian", "ien", "ean", "yan", "en", "an", "in", "ion", "eon"),
    "iang": ("iang", "ian", "yan", "ang", "an", "ean"),
    "iao": ("iao", "yo", "io", "eo", "ao", "ow", "iau", "o"),
    "ie": ("ie", "e", "ye", "ei", "ey", "er", "ier", "a", "ee"),
    "in": ("in", "en", "yn", "im", "ine", "inn", "een", "an", "ing"),
    "ing": ("ing", "in", "en", "ine", "yn", "eng", "een", "im"),
    "iong": ("iong", "yong", "ion", "on", "ong"),
    "iu": ("iu", "u", "eu", "ew", "you", "ieu", "ue", "oo", "io", "ou"),
    "u": ("", "u", "oo", "ou", "o", "w", "ue", "ew", "eu", "e"),
    "ua": ("ua", "wa", "oa", "a", "va"),
    "uai": ("uai", "wai", "wy", "wi"),
    "uan": ("uan", "wan", "on", "an", "oan", "wen", "uen", "yan"),
    "uang": ("uang", "wang", "wan", "on", "an"),
    "ui": ("ui", "ue", "uey", "wi", "we", "uy", "ee", "i", "ey", "oi", "y"),
    "un": ("un", "on", "en", "an", "oon", "oun", "uen", "wen", "in", "unn", "yn"),
    "uo": ("o", "uo", "wo", "oh", "or", "au", "aw", "oa", "ou", "a", "ow"),
    "ue": ("ue", "we", "e", "ye", "ua", "ew", "u"),
}
_PINYIN = re.compile(r"^(zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw]?)([a-z]*)$")


def _han(char: str) -> Lattice:
    syllable = ascii_text(char).lower()
    match = _PINYIN.match(syllable)
    if match is None or not syllable:
        return ((syllable,),)
    initial, final = match.groups()
    finals = _HAN_FINALS.get(final, (final,))
    if final == "i" and initial not in ("z", "c", "s", "zh", "ch", "sh", "r", "j", "q", "x"):
        finals = tuple(f for f in finals if f)  # only zi, ci, si ... stand for a bare consonant
    return (_HAN_INITIALS.get(initial, (initial,)), finals)


# --- Kana: Hepburn syllables, the consonant and the vowel each with the loanword spellings -------

_KANA_ONSETS = {
    "": ("", "h"),
    "k": ("k", "c", "ck", "q", "ch", "kh", "cc", "g", "x"),
    "g": ("g", "gh", "gu", "gg", "k"),
    "s": ("s", "ss", "c", "z", "sc", "th", "x"),
    "sh": ("sh", "sch", "s", "ch", "sz", "sj", "x", "ss"),
    "z": ("z", "s", "zz", "th", "ds", "x"),
    "j": ("j", "g", "dg", "dj", "zh", "z", "gi", "y", "ch"),
    "dj": ("j", "g", "dg", "dj", "zh", "z"),
    "t": ("t", "tt", "th", "d"),
    "ch": ("ch", "tch", "c", "ts", "cz", "tsch", "cc", "k", "t"),
    "ts": ("ts", "tz", "z", "zz", "tts", "c", "s", "ds"),
    "dz": ("z", "dz", "ds", "ts"),
    "d": ("d", "dd", "t", "th"),
    "n": ("n", "nn", "gn", "kn"),
    "h": ("h", "wh", "ch", "kh", "j", "g", ""),
    "f": ("f", "ph", "ff", "v", "w", "h"),
    "b": ("b", "bb", "v", "w", "p"),
    "p": ("p", "pp", "b", "ph"),
    "m": ("m", "mm"),
    "y": ("y", "i", "j", ""),
    "r": ("r", "l", "rr", "ll", "rh"),
    "w": ("w", "v", "wh", "u", "o", ""),
    "v": ("v", "w", "b", "f"),
}
_KANA_VOWELS = {
    "a": ("a", "u", "e", "ah", "ar", "er"),
    "i": ("i", "e", "y", "ee", "ie", "ea", "ey"),
    "u": ("u", "oo", "ou", "o", "ew", "w", ""),
    "e": ("e", "a", "ai", "ay", "ea", "i", "ey", "ei", "ae"),
    "o": ("o", "oh", "au", "aw", "ou", "oa", "ow", "a", "eau", "u", "or"),
}
_SMALL_KANA = frozenset("ァィゥェォャュョヮぁぃぅぇぉゃゅょゎ")
_LONG = ("", "r", "h", "a", "e", "i", "o", "u", "y", "w")
_KANA_SYLLABLE = re.compile(r"^([^aeiou]*)([aeiou]*)$")


def _kana_unit(unit: str) -> Lattice:
    romaji = ascii_text(unit).lower()
    match = _KANA_SYLLABLE.match(romaji)
    if match is None or not romaji:
        return ((romaji,),)
    onset, vowels = match.groups()
    segments: list[tuple[str, ...]] = []
    if onset.endswith("y") and len(onset) > 1:  # kya, nyu: the glide may be left out
        segments.append(_KANA_ONSETS.get(onset[:-1], (onset[:-1],)))
        segments.append(("y", "i", "e", ""))
    else:
        segments.append(_KANA_ONSETS.get(onset, (onset,)))
    for position, vowel in enumerate(vowels):
        options = _KANA_VOWELS[vowel]
        last = position == len(vowels) - 1
        if last and vowel == "i" and onset in ("sh", "ch", "j", "dj"):
            options = (*options, "")  # ッチ tch, ジ dge
        if last and vowel == "o" and onset in ("t", "d"):
            options = (*options, "")  # ト t, ド d
        if len(vowels) > 1 and position == 0 and vowel in ("u", "o"):
            options = (*options, "w", "")  # the u of トゥ, ウィ
        if len(vowels) > 1 and position == 0 and vowel == "e":
            options = (*options, "y", "")  # the e of テュ (teyu)
        segments.append(options)
    return tuple(segments)


def _kana(word: str) -> Lattice:
    units: list[str] = []
    for char in unicodedata.normalize("NFKC", word):
        if char in _SMALL_KANA and units:
            units[-1] += char
        else:
            units.append(char)
    segments: list[tuple[str, ...]] = []
    for position, unit in enumerate(units):
        after = units[position + 1] if position + 1 < len(units) else ""
        before = units[position - 1] if position else ""
        if unit in ("イ", "い", "ウ", "う") and before and ascii_text(before)[-1:] in "aeo":
            # ライ, ヘイ, ロウ: a long vowel or diphthong in two kana (Ryan, Hagan, Lowe)
            segments.append(("", *_kana_unit(unit)[-1]))
            continue
        if unit in ("ー", "〜"):
            segments.append(_LONG)
        elif unit in ("ッ", "っ"):
            segments.append(("", "c", "t", "k"))  # a doubled consonant
        elif unit in ("ン", "ん"):
            segments.append(("n", "m", "ng", "nn", "mm", "ne"))
        elif unit in ("・", "="):
            continue
        elif after in ("イ", "い") and ascii_text(unit)[-1:] == "a":
            *onset, vowel = _kana_unit(unit)
            segments.extend((*onset, (*vowel, "i", "y", "ai", "ay", "ei", "ey", "igh")))
        else:
            segments.extend(_kana_unit(unit))
    return tuple(segments)


# --- Hangul: jamo, as Revised Romanization, McCune-Reischauer and loanword Hangul write them ------

_HANGUL_INITIALS = (
    ("g", "k", "c", "gh", "gu"),  # ㄱ
    ("k", "g", "kk", "c"),  # ㄲ
    ("n", "nn", "r", "l"),  # ㄴ (노 is Roh)
    ("d", "t", "th"),  # ㄷ
    ("t", "d", "tt"),  # ㄸ
    ("r", "l", "rr", "ll", "rh"),  # ㄹ
    ("m", "mm"),  # ㅁ
    ("b", "p", "v", "bb", "w"),  # ㅂ
    ("p", "b", "pp"),  # ㅃ
    ("s", "sh", "c", "z", "ss", "th", "sch", "x"),  # ㅅ
    ("s", "ss", "c"),  # ㅆ
    ("", "h"),  # ㅇ
    ("j", "ch", "g", "z", "dj", "dg", "ts", "zh"),  # ㅈ
    ("j", "ch", "jj", "tch"),  # ㅉ
    ("ch", "tch", "c", "ts", "j", "cz", "tz", "k"),  # ㅊ
    ("k", "c", "ck", "q", "kh", "ch", "x"),  # ㅋ
    ("t", "th", "tt", "d"),  # ㅌ
    ("p", "f", "ph", "v", "pp", "ff"),  # ㅍ
    ("h", "wh", "ch", "kh", "j", ""),  # ㅎ
)
_HANGUL_VOWELS = (
    ("a", "u", "e", "o", "ah", "ar", "er"),  # ㅏ
    ("ae", "a", "e", "ai", "ay", "ea"),  # ㅐ
    ("ya", "ia", "ja", "ea", "a"),  # ㅑ
    ("yae", "ye", "ya", "ie"),  # ㅒ
    ("eo", "o", "u", "e", "a", "er", "ur", "or", "ir", "ea"),  # ㅓ
    ("e", "a", "ai", "ay", "ey", "ea", "ae", "ei"),  # ㅔ
    ("yeo", "yo", "yu", "ye", "ya", "io", "eo", "ie", "ia"),  # ㅕ
    ("ye", "ie", "e", "ie", "je"),  # ㅖ
    ("o", "oh", "au", "aw", "ou", "ow", "oa", "or", "a", "u", "eau"),  # ㅗ
    ("wa", "va", "oa", "ua", "wo", "oi"),  # ㅘ
    ("wae", "we", "wa", "wai"),  # ㅙ
    ("oe", "we", "oi", "ue", "e", "oy", "wei"),  # ㅚ
    ("yo", "io", "eo", "yu", "jo"),  # ㅛ
    ("u", "oo", "ou", "o", "w", "ew", "ue", "eu"),  # ㅜ
    ("wo", "uo", "wa", "vo", "wu", "uo"),  # ㅝ
    ("we", "ue", "ve", "wei", "ui"),  # ㅞ
    ("wi", "ui", "we", "vi", "wee", "uy", "uee", "oui", "wy"),  # ㅟ
    ("yu", "u", "iu", "ew", "eu", "ue", "ju", "ieu", "you"),  # ㅠ
    ("eu", "u", "e", "", "i", "o", "a"),  # ㅡ, also the vowel loanwords insert
    ("ui", "ei", "i", "e", "ee", "y", "eui"),  # ㅢ
    ("i", "y", "ee", "ea", "ie", "e", "ey"),  # ㅣ
)
_HANGUL_FINALS = (
    ("",),
    ("k", "g", "c", "ck", "q"),  # ㄱ
    ("k", "kk", "g"),  # ㄲ
    ("ks", "k", "x"),  # ㄳ
    ("n", "nn", "ne"),  # ㄴ
    ("nj", "n"),  # ㄵ
    ("nh", "n"),  # ㄶ
    ("t", "d"),  # ㄷ
    ("l", "r", "ll", "rl", "le"),  # ㄹ
    ("lg", "lk", "k", "l"),  # ㄺ
    ("lm", "m", "l"),  # ㄻ
    ("lb", "lp", "l"),  # ㄼ
    ("ls", "l"),  # ㄽ
    ("lt", "l"),  # ㄾ
    ("lp", "p", "l"),  # ㄿ
    ("lh", "l"),  # ㅀ
    ("m", "mm", "me"),  # ㅁ
    ("p", "b", "pe", "pp"),  # ㅂ
    ("ps", "p"),  # ㅄ
    ("t", "s", "d", "th", "tt", "ss"),  # ㅅ
    ("t", "s", "ss"),  # ㅆ
    ("ng", "n", "m", "nk"),  # ㅇ
    ("t", "j", "ch"),  # ㅈ
    ("t", "ch", "tch"),  # ㅊ
    ("k", "ck"),  # ㅋ
    ("t", "th"),  # ㅌ
    ("p", "f", "ph"),  # ㅍ
    ("t", "h"),  # ㅎ
)
# Before i and y, an initial l or n is written as ㅇ in the South (이 Lee, Rhee; 유 Ryu).
_DUEUM_VOWELS = frozenset({2, 3, 6, 7, 12, 17, 20})
_SIBILANT_INITIALS = frozenset({9, 12, 13, 14})  # ㅅ ㅈ ㅉ ㅊ: 시 and 지 stand for sh and dge
_GLIDES_TO = frozenset({0, 1, 4, 5, 8})  # ㅏ ㅐ ㅓ ㅔ ㅗ, which 이 or 우 after them lengthen


def _hangul(word: str) -> Lattice:
    segments: list[tuple[str, ...]] = []
    before = (-1, -1, -1)  # the syllable before: initial, vowel, final
    for position, char in enumerate(word):
        following = word[position + 1 : position + 2]
        code = ord(char) - 0xAC00
        if not 0 <= code < 11172:
            segments.append((ascii_text(char).lower(),))
            before = (-1, -1, -1)
            continue
        initial, vowel, final = code // 588, (code % 588) // 28, code % 28
        initials = _HANGUL_INITIALS[initial]
        if initial == 11 and vowel in _DUEUM_VOWELS:
            initials = (*initials, "l", "r", "rh")
        if initial == 5 and before[2] == 8:  # 멜로디: ㄹㄹ between vowels writes one l
            initials = (*initials, "")
        vowels = _HANGUL_VOWELS[vowel]
        if vowel == 0 and not final and following == "이":
            vowels = (*vowels, "i", "y", "ai", "ay", "igh")  # 마이클 Michael, 라이언 Ryan
        if vowel == 20 and initial in _SIBILANT_INITIALS and not final:
            vowels = (*vowels, "")
        if vowel in (17, 16) and initial == 9:  # 슈, 쉬: sh, or the s of German st and sp
            vowels = (*vowels, "")
        if initial == 11 and vowel in (20, 13) and before[2] == 0 and before[1] in _GLIDES_TO:
            vowels = (*vowels, "")  # 베이커 Baker, 로우 Lowe: a diphthong in two syllables
        before = (initial, vowel, final)
        segments.append(initials)
        segments.append(vowels)
        if final:
            segments.append(_HANGUL_FINALS[final])
    return tuple(segments)


# --- Hebrew, Arabic and Cyrillic, letter by letter ------------------------------------------------

# An unwritten short vowel, between two letters of an abjad (a Latin vowel pair costs little more).
_GAP = ("", "a", "e", "i", "o", "u", "y")
_HEBREW = {
    "א": ("", "a", "e", "i", "o", "u"),
    "ב": ("b", "v", "bb", "w"),
    "ג": ("g", "gh", "gg", "j"),
    "ד": ("d", "dd", "th"),
    "ה": ("h", "", "a", "e", "ah", "eh"),
    "ו": ("v", "w", "o", "u", "ou", "oo", "ow"),
    "ז": ("z", "s", "zz"),
    "ח": ("h", "ch", "kh", "j", "x", "k"),
    "ט": ("t", "tt", "th"),
    "י": ("y", "i", "e", "j", "ee", "ie", "ei", "ai", "ey", "ay"),
    "כ": ("k", "kh", "ch", "c", "ck", "q"),
    "ך": ("k", "kh", "ch", "c", "ck"),
    "ל": ("l", "ll"),
    "מ": ("m", "mm"),
    "ם": ("m", "mm"),
    "נ": ("n", "nn"),
    "ן": ("n", "nn", "ne"),
    "ס": ("s", "ss", "c", "z", "ce", "x"),
    "ע": ("", "a", "e", "i", "o", "u"),
    "פ": ("p", "f", "ph", "pp", "ff", "v"),
    "ף": ("f", "ph", "ff", "p"),
    "צ": ("ts", "tz", "z", "s", "c", "tch", "ch", "cz"),
    "ץ": ("ts", "tz", "z", "s", "c", "tch", "ch"),
    "ק": ("k", "q", "c", "ck", "ch", "x"),
    "ר": ("r", "rr", "rh"),
    "ש": ("sh", "s", "sch", "ss", "c", "sz", "ch"),
    "ת": ("t", "tt", "th", "s"),
}
_HEBREW_GERESH = {
    "ג": ("j", "g", "dj", "dg", "ge", "gi"),
    "ז": ("zh", "j", "g", "s", "z", "ge"),
    "צ": ("ch", "tch", "c", "cz", "tsch", "ci", "cc"),
    "ת": ("th", "t"),
    "ד": ("th", "dh", "d"),
    "ח": ("kh", "ch", "h"),
}
_ARABIC = {
    "ا": ("a", "", "e", "i", "o", "aa", "ah"),
    "أ": ("a", "", "e", "i", "o", "u"),
    "إ": ("i", "e", "", "a"),
    "آ": ("a", "aa", ""),
    "ٱ": ("a", "", "e"),
    "ء": ("", "a", "e", "i"),
    "ئ": ("", "i", "e", "y", "a"),
    "ؤ": ("", "u", "o", "w"),
    "ب": ("b", "p", "v", "bb"),
    "ت": ("t", "tt", "th", "d"),
    "ث": ("th", "s", "t"),
    "ج": ("j", "g", "dj", "dg", "zh", "ge", "gi", "gu"),
    "ح": ("h", "kh", "", "ch"),
    "خ": ("kh", "ch", "h", "x", "k"),
    "د": ("d", "dd", "th", "t"),
    "ذ": ("dh", "th", "z", "d"),
    "ر": ("r", "rr", "rh"),
    "ز": ("z", "s", "zz"),
    "س": ("s", "ss", "c", "z", "x", "ce"),
    "ش": ("sh", "ch", "sch", "s", "sz", "sj"),
    "ص": ("s", "ss", "c", "z"),
    "ض": ("d", "dh", "z"),
    "ط": ("t", "tt", "th"),
    "ظ": ("z", "dh", "th"),
    "ع": ("", "a", "e", "i", "o", "u"),
    "غ": ("gh", "g", "r", "gu", "gg"),
    "ف": ("f", "v", "ph", "ff", "p"),
    "ق": ("q", "k", "g", "c", "ck", "kk"),
    "ك": ("k", "c", "ck", "q", "ch", "g", "x"),
    "ک": ("k", "c", "ck", "q", "ch", "g"),
    "ل": ("l", "ll"),
    "م": ("m", "mm"),
    "ن": ("n", "nn"),
    "ه": ("h", "a", "ah", "e", "eh", ""),
    "ة": ("a", "ah", "at", "e", "", "eh"),
    "و": ("w", "v", "o", "u", "ou", "oo", "ow", "au"),
    "ي": ("y", "i", "e", "ee", "ie", "j", "ai", "ei", "ay", "ey"),
    "ى": ("a", "i", "y", "e"),
    "ی": ("y", "i", "e", "ee", "ie", "j", "ai", "ei", "ay"),
    "پ": ("p", "b", "pp"),
    "چ": ("ch", "tch", "j", "c", "cz"),
    "ژ": ("zh", "j", "g", "s", "z"),
    "گ": ("g", "gh", "gu", "k"),
    "ڤ": ("v", "w", "f"),
}
_CYRILLIC = {
    "а": ("a",),
    "б": ("b", "bb", "p"),
    "в": ("v", "w", "ff", "f", "u", "vv"),
    "г": ("g", "h", "gh", "gg"),
    "д": ("d", "dd", "t"),
    "е": ("e", "ye", "je", "ie", "a", "ei"),
    "ё": ("yo", "jo", "io", "o", "e", "oe", "ye", "jë"),
    "ж": ("zh", "j", "g", "s", "z", "sz", "rz", "jh", "ge"),
    "з": ("z", "s", "zz"),
    "и": ("i", "y", "ee", "e", "ie", "ij"),
    "й": ("y", "i", "j", ""),
    "к": ("k", "c", "ck", "q", "ch", "kk"),
    "л": ("l", "ll"),
    "м": ("m", "mm"),
    "н": ("n", "nn"),
    "о": ("o", "a", "oh"),
    "п": ("p", "pp"),
    "р": ("r", "rr", "rh"),
    "с": ("s", "ss", "c", "z", "ce", "sz"),
    "т": ("t", "tt", "th", "d"),
    "у": ("u", "ou", "oo", "w", "ue"),
    "ф": ("f", "ff", "ph", "v"),
    "х": ("kh", "h", "ch", "x", "j", "g"),
    "ц": ("ts", "tz", "c", "z", "tc", "cz", "tsch"),
    "ч": ("ch", "tch", "tsch", "c", "cz", "tsh", "cs"),
    "ш": ("sh", "sch", "s", "sz", "ch", "ss"),
    "щ": ("shch", "sch", "sh", "szcz", "sc", "stch", "shtch"),
    "ъ": ("", "y", "i"),
    "ы": ("y", "i", "ui", "e"),
    "ь": ("", "y", "i", "j"),
    "э": ("e", "a", "ae", "eh"),
    "ю": ("yu", "ju", "iu", "u", "you", "jou", "ew", "ou", "ue", "eu"),
    "я": ("ya", "ja", "ia", "a", "ie", "ea"),
    "і": ("i", "y"),
    "ї": ("yi", "ji", "i"),
    "є": ("ye", "je", "ie", "e"),
    "ґ": ("g",),
    "ў": ("w", "u"),
    "ј": ("j", "y"),
    "љ": ("lj", "l", "ly"),
    "њ": ("nj", "n", "ny"),
    "ћ": ("c", "ch", "tj"),
    "ђ": ("dj", "d", "j"),
    "џ": ("dz", "j", "dj"),
}
# Pairs of letters that write one sound of another language (Polivanov's дз for Japanese z, the
# цз and чж of Chinese names, дж for j).
_CYRILLIC_PAIRS = {
    "дж": ("j", "dzh", "dj", "g", "dg", "ch"),
    "дз": ("z", "dz", "ds", "j"),
    "цз": ("z", "j", "ts", "tz", "dz"),
    "чж": ("zh", "j", "ch", "dj"),
    "кс": ("x", "ks", "cks", "cs", "kz"),
    "тс": ("ts", "tz", "z", "tts"),
}
_GERESH = frozenset("'\u05f3\u2019`")
# Letters that also write vowels (matres lectionis): alef, he, vav, yod, ayin; alif, waw, ya.
_MATRES = frozenset("אהויעاأإآىوية")


def _abjad(word: str, letters: dict[str, tuple[str, ...]]) -> Lattice:
    segments: list[tuple[str, ...]] = [_GAP]
    chars = [c for c in word if not unicodedata.combining(c) and c != "\u0640"]  # no harakat
    position = 0
    while position < len(chars):
        char = chars[position]
        options = letters.get(char)
        if options is None:
            if char not in _GERESH:
                segments.append((ascii_text(char).lower(),))
            position += 1
            continue
        following = chars[position + 1] if position + 1 < len(chars) else ""
        if letters is _HEBREW and following in _GERESH and char in _HEBREW_GERESH:
            options = _HEBREW_GERESH[char]
            position += 1
        elif following == char and char in "וי":  # וו is v or w, יי is y or ei
            options = ("v", "w", "vv", "ww") if char == "ו" else ("y", "yy", "i", "ei", "ai")
            position += 1
        if char in _MATRES and segments[-1] is _GAP:
            segments.pop()  # a letter that writes a vowel needs no unwritten one beside it
        segments.append(options)
        if char not in _MATRES:
            segments.append(_GAP)
        position += 1
    return tuple(segments)


def _cyrillic(word: str) -> Lattice:
    segments: list[tuple[str, ...]] = []
    word = word.lower()
    position = 0
    while position < len(word):
        pair = word[position : position + 2]
        if pair in _CYRILLIC_PAIRS:
            segments.append(_CYRILLIC_PAIRS[pair])
            position += 2
            continue
        segments.append(_CYRILLIC.get(word[position], (ascii_text(word[position]).lower(),)))
        position += 1
    return tuple(segments)


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_HEBREW_LETTERS = re.compile(r"[\u05d0-\u05ea]")
_ARABIC_LETTERS = re.compile(r"[\u0620-\u064a\u0671-\u06d3]")
_CYRILLIC_LETTERS = re.compile(r"[\u0400-\u04ff]")


def _once(lattice: Lattice) -> Lattice:
    """A consonant that ends one syllable and begins the next is written once in Latin letters
    (埃琳娜 Elena, not Elinna; アンナ Anna): the next syllable may leave it out."""
    merged = [lattice[0]] if lattice else []
    for before, options in itertools.pairwise(lattice):
        ends = {option[-1] for option in before if option and option[-1] not in _VOWELS}
        extra = tuple(o[1:] for o in options if len(o) > 1 and o[0] in ends and o[1] not in ends)
        merged.append(options + extra if extra else options)
    return tuple(merged)


# Chinese leaves out an l or r before a consonant or at the end (Goldin 戈登, Mort 莫爾).
_HAN_CODA = ("", "l", "r")


@bounded(100_000)
def readings(word: str) -> Lattice | None:
    """The lattice of one word written in a script with a table here; None for any other."""
    if not word:
        return None
    if all(_HAN.match(c) for c in word):
        return _once(tuple(segment for char in word for segment in (*_han(char), _HAN_CODA)))
    if _KANA.search(word) and all(_KANA.match(c) or c in "ー〜・" for c in word):
        return _once(_kana(word))
    if all(_HANGUL.match(c) for c in word):
        return _once(_hangul(word))
    if _HEBREW_LETTERS.search(word):
        return _abjad(word, _HEBREW)
    if _ARABIC_LETTERS.search(word):
        return _abjad(word, _ARABIC)
    if _CYRILLIC_LETTERS.search(word):
        return _cyrillic(word)
    return None
