"""Contacts: phone numbers and e-mail addresses, as both ends accept and store them.

Phones are stored in E.164 (`+79161234567`). Anything a consultant types or a till sends
is parsed with `phonenumbers`, Russia being the default region, so `8-916-123-45-67`,
`+7 (916) 123 45 67` and `9161234567` all give `+79161234567`. The device's display
forms, masks and search keys are in app/services/phones.py; the rule is here.

An e-mail address needs a local part, an `@`, and a domain with a dot in it
(`anna@mail.ru`; not `anna@localhost`), no spaces; it is stored lowercased.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

DEFAULT_REGION = "RU"


def normalise_phone(raw: str | None, region: str = DEFAULT_REGION, *, strict: bool = False) -> str | None:
    """E.164 form of a phone written in any usual format, or None when it is not one.

    Digits of any script count (`８９１６…` typed on a full-width keyboard is the same
    number). `strict=False` accepts any number of a possible length for its country (what a
    search, or a till naming its client, needs); `strict=True` also requires a number
    range in use (for storing what a consultant typed).
    """
    if not raw or not any(c.isdecimal() for c in raw):  # any script's digits, as phonenumbers reads them
        return None
    try:
        num = phonenumbers.parse(raw, region)
    except NumberParseException:
        return None
    ok = phonenumbers.is_valid_number(num) if strict else phonenumbers.is_possible_number(num)
    if not ok:
        return None
    return phonenumbers.format_number(num, PhoneNumberFormat.E164)


def is_e164(text: str) -> bool:
    """True for a phone in E.164 shape: `+`, then 7 to 15 ASCII digits."""
    return text.startswith("+") and text[1:].isascii() and text[1:].isdigit() and 8 <= len(text) <= 16


def is_email(text: str) -> bool:
    """True for an address with a local part, one domain with a dot in it, and no spaces."""
    if "@" not in text or text.startswith("@") or text.endswith("@") or " " in text:
        return False
    return "." in text.split("@")[-1]


def normalise_email(text: str | None) -> str | None:
    """The address as stored (lowercased), None for none; ValueError when it is not valid."""
    if not text:
        return None
    if not is_email(text):
        raise ValueError("email is not valid")
    return text.lower()
