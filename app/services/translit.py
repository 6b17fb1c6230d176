"""Names as search keys: one spelling-insensitive form per script.

Two forms of every name word are indexed:

* `norm_word`: the word as written, case-folded, with ё read as е
  (`Фёдорова` -> `федорова`).
* `latin_key`: the word transliterated to Latin by `anyascii` (a maintained
  transliteration library covering Cyrillic and every other script), then folded so
  that the usual ways of spelling a Russian name in Latin letters meet:
  `Иванова`, `Ivanova` and `Iwanowa` -> `ivanova`; `Щукина`, `Shchukina` and
  `Schukina` -> `shukina`; `Юлия`, `Yulia`, `Iuliia`, `Julia` -> `iulia`.

A query typed in Latin is folded the same way and compared with the stored keys, so
Latin input finds Cyrillic names, and Cyrillic input finds names stored in Latin.
The fold maps spelling variants, not letters: transliteration itself is the
library's.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii

# Letters only; digits and punctuation split words. Apostrophes are dropped first
# so O'Brien and Дар'я stay one word.
_WORD = re.compile(r"[^\W\d_]+")
_APOSTROPHES = str.maketrans("", "", "'\u2019\u02bc`\u00b4")
_DOUBLES = re.compile(r"([a-z])\1+")
_LONE_C = re.compile(r"c(?!h)")
_NOT_LATIN = re.compile(r"[^a-z]")

# Spelling variants of one sound, applied in order ("sch" before "shch", so that the
# odd "Schchukina" folds like "Shchukina" and "Schukina").
_FOLDS = (
    ("sch", "sh"),
    ("shch", "sh"),
    ("tch", "ch"),
    ("kh", "h"),
    ("ck", "k"),
    ("ph", "f"),
    ("x", "ks"),
    ("w", "v"),
    ("q", "k"),
    ("tz", "ts"),
    # е and ё after a vowel or at the start: Yevgenia/Evgenia, Fyodorova/Fedorova.
    ("ye", "e"),
    ("je", "e"),
    ("yo", "e"),
    ("jo", "e"),
)
# A word cut short while typing can end in half of a digraph ("K" of "Kh", "C" of
# "Ch", "Y" of "Ye"): a prefix search drops that letter rather than fold it wrongly.
_HALF_DIGRAPH = frozenset("kcyj")


def norm_text(text: str) -> str:
    """Case-folded, NFC, ё->е, apostrophes dropped: the form every comparison uses."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return text.casefold().replace("ё", "е").translate(_APOSTROPHES)


def words(text: str | None) -> list[str]:
    """The normalised letter-words of a name or a query (`"Анна И."` -> `["анна", "и"]`)."""
    if not text:
        return []
    return _WORD.findall(norm_text(text))


def is_latin(word: str) -> bool:
    return word.isascii()


def fold_latin(latin: str) -> str:
    """Fold a Latin spelling of a name to its key (see the module docstring)."""
    s = _NOT_LATIN.sub("", latin.lower())
    for a, b in _FOLDS:
        if a in s:
            s = s.replace(a, b)
    s = _LONE_C.sub("ts", s)
    s = s.replace("y", "i").replace("j", "i").replace("ie", "e")
    return _DOUBLES.sub(r"\1", s)


@lru_cache(maxsize=65536)  # names repeat: indexing a million clients folds a few thousand words
def latin_key(word: str) -> str:
    """The Latin key of one normalised word, in any script."""
    return fold_latin(word if word.isascii() else anyascii(word))


def latin_prefix_key(word: str) -> str:
    """The Latin key to use as a prefix for a word that may still be being typed."""
    latin = word if word.isascii() else anyascii(word)
    latin = _NOT_LATIN.sub("", latin.lower())
    if len(latin) > 1 and latin[-1] in _HALF_DIGRAPH:
        latin = latin[:-1]
    return fold_latin(latin)
