"""Phone numbers on the device: display forms, masks and search keys.

What a phone is, and its E.164 form, is the shared rule `sync.rules.contacts.normalise_phone`
(the hub matches tills' phones with it too); this module only shows and indexes them.

The cache stores phones in E.164 (`+79161234567`). Lookup also indexes the digits of
that number reversed (`76543216197`), so "the last four digits" becomes a prefix
search on an ordinary B-tree index: `suffix_key("4567") == "7654"`.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from sync.rules.contacts import DEFAULT_REGION

_NON_DIGITS = re.compile(r"[^0-9]")
# Russian mobile numbers (+7 9xx) all share one layout; formatting them needs no parse.
_RU_MOBILE = re.compile(r"^\+79[0-9]{9}$")
# What a typed or pasted phone may contain besides digits.
_PHONE_CHARS = re.compile(r"^[0-9\s+\-().\u2010-\u2015\u2212/]+$")


def digits(text: str | None) -> str:
    """The ASCII digits of `text`, in order (`"+7 (916) 123-45-67"` -> `"79161234567"`)."""
    return _NON_DIGITS.sub("", text or "")


def looks_like_phone(text: str) -> bool:
    """True when `text` holds digits and only what people put between them."""
    return bool(_PHONE_CHARS.match(text)) and any("0" <= c <= "9" for c in text)


def phone_key(e164: str | None) -> str | None:
    """The indexed form of a stored phone: its digits reversed, or None."""
    d = digits(e164)
    return d[::-1] if d else None


def suffix_key(typed_digits: str) -> str:
    """The index prefix that finds every phone ending in `typed_digits`."""
    return digits(typed_digits)[::-1]


def ends_with(e164: str | None, suffix: str) -> bool:
    """True when the phone's digits end with the digits of `suffix` (4+ digits)."""
    s = digits(suffix)
    return bool(s) and digits(e164).endswith(s)


@lru_cache(maxsize=4096)
def _parsed(e164: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(e164, DEFAULT_REGION)
    except NumberParseException:
        return None


@lru_cache(maxsize=4096)
def format_phone(e164: str | None) -> str:
    """Pretty international form: `+79161234567` -> `+7 916 123-45-67`."""
    if not e164:
        return ""
    if _RU_MOBILE.match(e164):  # what phonenumbers gives, at a hundredth of the cost
        n = e164[2:]
        return f"+7 {n[:3]} {n[3:6]}-{n[6:8]}-{n[8:]}"
    num = _parsed(e164)
    if num is None:
        return e164
    return phonenumbers.format_number(num, PhoneNumberFormat.INTERNATIONAL)


@lru_cache(maxsize=4096)
def mask_phone(e164: str | None, visible: int = 4) -> str:
    """The pretty form with the middle hidden: `+7 916 ***-45-67`.

    Keeps the country code, the operator or area code and the last `visible` digits,
    which is enough to tell namesakes apart without showing the whole number.
    """
    if not e164:
        return ""
    if visible == 4 and _RU_MOBILE.match(e164):
        n = e164[2:]
        return f"+7 {n[:3]} ***-{n[6:8]}-{n[8:]}"
    return _mask_formatted(e164, visible)


def _mask_formatted(e164: str, visible: int) -> str:
    pretty = format_phone(e164)
    num = _parsed(e164)
    if num is None or not pretty.startswith("+"):
        d = digits(e164)
        return "*" * max(len(d) - visible, 0) + d[-visible:]
    cc_len = len(str(num.country_code))
    groups = pretty.split(" ")
    # groups[0] is "+7"; groups[1] the area/operator code when there are more groups.
    keep_head = cc_len + (len(digits(groups[1])) if len(groups) > 2 else 0)
    total = len(digits(pretty))
    out, seen = [], 0
    for ch in pretty:
        if "0" <= ch <= "9":
            seen += 1
            out.append(ch if seen <= keep_head or seen > total - visible else "*")
        else:
            out.append(ch)
    return "".join(out)
