"""Reading a screenshot back: OCR of an element's box, compared with the text the page says it shows.

The comparison forgives what OCR gets wrong (a Latin "C" for a Cyrillic "С", "0" for "О", a letter
misread here and there) but not what a broken renderer does: a word must come back with every letter
(same length) and every capital in place, so a dropped or overdrawn "С" ("инхронизировано",
"Єргеева") fails.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps
from rapidfuzz.distance import Levenshtein

# Latin and digit look-alikes OCR swaps for Cyrillic letters (and back): folded before comparing.
LOOKALIKES = str.maketrans(
    {
        "A": "А",
        "B": "В",
        "C": "С",
        "E": "Е",
        "H": "Н",
        "K": "К",
        "M": "М",
        "O": "О",
        "P": "Р",
        "T": "Т",
        "X": "Х",
        "Y": "У",
        "a": "а",
        "c": "с",
        "e": "е",
        "o": "о",
        "p": "р",
        "x": "х",
        "y": "у",
        "0": "О",
        "3": "З",
        "6": "б",
        "ё": "е",
        "Ё": "Е",
    }
)
WORD = re.compile(r"[^\W_]+")


def available() -> bool:
    return shutil.which("tesseract") is not None


def read(image: Path, box: dict[str, float], scale: int = 3) -> str:
    """OCR (Russian and English) of `box` ({x, y, width, height} in CSS pixels) cut out of `image`."""
    import pytesseract

    with Image.open(image) as im:
        left, top = int(box["x"]) - 4, int(box["y"]) - 4
        crop = im.crop((max(left, 0), max(top, 0), int(box["x"] + box["width"]) + 4, int(box["y"] + box["height"]) + 4))
        # Tesseract reads dark text on white best, at roughly 30 px per line.
        crop = ImageOps.grayscale(crop).resize((crop.width * scale, crop.height * scale), Image.Resampling.LANCZOS)
    return str(pytesseract.image_to_string(crop, lang="rus+eng", config="--psm 6")).strip()


def words(text: str) -> list[str]:
    return [w.translate(LOOKALIKES) for w in WORD.findall(text)]


@dataclass(frozen=True)
class Mismatch:
    word: str
    closest: str | None

    def __str__(self) -> str:
        return f"{self.word!r} (closest read: {self.closest!r})"


def word_matches(expected: str, seen: str) -> bool:
    """Same length, capitals where they belong, and few enough misread letters (one per five)."""
    if len(expected) != len(seen):
        return False
    wrong = [i for i, (a, b) in enumerate(zip(expected, seen, strict=True)) if a != b]
    if any(expected[i].isupper() or seen[i].isupper() for i in wrong):
        return False
    return len(wrong) <= len(expected) // 5


def missing_words(expected_text: str, ocr_text: str) -> list[Mismatch]:
    """The words of `expected_text` that the OCR did not read back faithfully (empty when all did)."""
    seen = words(ocr_text)
    missing = []
    for word in words(expected_text):
        if any(word_matches(word, s) for s in seen):
            continue
        closest = min(seen, key=lambda s: Levenshtein.distance(word, s), default=None)
        missing.append(Mismatch(word, closest))
    return missing
