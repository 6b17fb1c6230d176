"""The consent texts a client reads before signing, as versioned files.

`assets/consents/<purpose>.v<version>.<language>.md`: one file per purpose, text version and
language. A text, once a client may have signed it, is never edited: a changed wording is a
new version (a new file), so a consent record's (purpose, version, language, sha256) always
names the words she agreed to. The sha256 is of the text as loaded (UTF-8, NFC, `\\n` line
ends, one final newline), so a checkout that rewrites line ends does not change it.

Purposes are the consent record's (152-FZ work): `processing` (required to register) and one
per marketing channel under 38-FZ art. 18 (`sms`, `email`, `messengers`, `calls`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, get_args

Purpose = Literal["processing", "sms", "email", "messengers", "calls"]
Language = Literal["ru", "en"]
PURPOSES: tuple[Purpose, ...] = get_args(Purpose)
MARKETING: tuple[Purpose, ...] = ("sms", "email", "messengers", "calls")
LANGUAGES: tuple[Language, ...] = get_args(Language)

CONSENTS_DIR = Path(__file__).resolve().parents[2] / "assets" / "consents"
_NAME = re.compile(r"^(?P<purpose>[a-z_]+)\.v(?P<version>[1-9][0-9]*)\.(?P<language>[a-z]{2})\.md$")


@dataclass(frozen=True, slots=True)
class ConsentText:
    purpose: Purpose
    version: int
    language: Language
    text: str  # Markdown: `#`/`##` headings, `- ` list items, paragraphs; no inline markup
    sha256: str

    @property
    def title(self) -> str:
        """The text's first heading."""
        first = self.text.split("\n", 1)[0]
        return first.lstrip("#").strip()


class UnknownConsentText(LookupError):
    """No file for this purpose, language (and version)."""


def _normalise(raw: bytes) -> str:
    text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text).strip("\n") + "\n"


@cache
def _catalogue(directory: Path = CONSENTS_DIR) -> dict[tuple[str, str], dict[int, ConsentText]]:
    """Every text under `directory`, by (purpose, language), then by version."""
    found: dict[tuple[str, str], dict[int, ConsentText]] = {}
    for path in sorted(directory.glob("*.md")):
        m = _NAME.match(path.name)
        if m is None or m["purpose"] not in PURPOSES or m["language"] not in LANGUAGES:
            raise ValueError(f"unexpected consent text file name: {path.name}")
        text = _normalise(path.read_bytes())
        item = ConsentText(
            purpose=m["purpose"],  # checked against PURPOSES above
            version=int(m["version"]),
            language=m["language"],
            text=text,
            sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        )
        found.setdefault((item.purpose, item.language), {})[item.version] = item
    return found


def versions(purpose: str, language: str) -> list[int]:
    """The versions of a purpose's text in a language, oldest first."""
    return sorted(_catalogue().get((purpose, language), {}))


def load(purpose: str, language: str, version: int | None = None) -> ConsentText:
    """A purpose's text in a language: the given version, or the latest when None."""
    by_version = _catalogue().get((purpose, language))
    if not by_version:
        raise UnknownConsentText(f"no consent text for {purpose}/{language}")
    chosen = max(by_version) if version is None else version
    try:
        return by_version[chosen]
    except KeyError:
        raise UnknownConsentText(f"no consent text {purpose}.v{chosen}.{language}") from None


def current(language: str) -> list[ConsentText]:
    """The latest text of every purpose in a language, in PURPOSES order (what a new form shows)."""
    return [load(p, language) for p in PURPOSES]


def all_texts() -> list[ConsentText]:
    """Every stored text, every version and language."""
    return [t for by_version in _catalogue().values() for t in by_version.values()]
