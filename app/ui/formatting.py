"""Numbers, money, dates and plural forms in the consultant's language.

One place for every screen, on Babel's CLDR data: grouped digits ("12 057" in Russian,
"12,057" in English), a true minus sign, plural categories (1 балл, 2 балла, 5 баллов,
21 балл) and dates.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

MINUS = "\u2212"
"""Babel's Russian and English data use the hyphen-minus; typography wants U+2212."""

_LOCALES = {"ru": Locale("ru"), "en": Locale("en")}


def _locale(lang: str) -> Locale:
    return _LOCALES.get(lang, _LOCALES["ru"])


def number(n: float, lang: str, *, signed: bool = False) -> str:
    """12057 -> "12 057" (ru, non-breaking space) / "12,057" (en); negatives with "−"."""
    text = format_decimal(abs(n), locale=_locale(lang))
    if n < 0:
        return MINUS + text
    return ("+" + text) if signed and n > 0 else text


def plural(n: float, lang: str, forms: Mapping[str, str]) -> str:
    """The form of a word for `n`, by CLDR category ("one", "few", "many", "other")."""
    category = _locale(lang).plural_form(abs(n))
    return forms.get(category) or forms["other"]


def count(n: int, lang: str, forms: Mapping[str, str], *, signed: bool = False) -> str:
    """A number with its word: "4 644 балла", "1 point", "−20 000 баллов"."""
    return f"{number(n, lang, signed=signed)}\u00a0{plural(n, lang, forms)}"


def money(kopecks: int | None, lang: str, *, exact: bool = False) -> str:
    """12345600 kopecks -> "123 456 ₽" (whole roubles, as receipts in a boutique are read);
    `exact` keeps the kopecks: 12345678 -> "123 456,78 ₽" (a receipt's own sum)."""
    k = kopecks or 0
    if not exact:
        return f"{number(k // 100, lang)}\u00a0₽"
    text = format_decimal(Decimal(abs(k)) / 100, format="#,##0.00", locale=_locale(lang))
    return f"{MINUS if k < 0 else ''}{text}\u00a0₽"


_NUMERIC = re.compile(r"^\d+(?:[.,]\d+)?$")


def size(value: str | None, lang: str) -> str:
    """A size as typed ("38.5", "42", "M", "42-44"): numbers with the language's decimal
    mark ("38,5" / "38.5"), anything else as it is."""
    text = (value or "").strip()
    if _NUMERIC.match(text):
        return format_decimal(Decimal(text.replace(",", ".")), locale=_locale(lang))
    return text


def date(value: dt.date | dt.datetime | str | None, lang: str) -> str:
    """A day: "21.03.2026" in Russian, "Mar 21, 2026" in English."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    return format_date(value, "short" if lang == "ru" else "medium", locale=_locale(lang)).replace("/", ".")


def date_time(value: dt.datetime | str | None, lang: str) -> str:
    """A moment in the device's time zone: "21.03.2026, 14:05"."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    local = value.astimezone()
    return format_datetime(local, "short" if lang == "ru" else "medium", locale=_locale(lang))
