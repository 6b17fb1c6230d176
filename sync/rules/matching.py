"""Telling one client from another across a brand: match keys and masked answers.

Both ends use these: the device matches its cache by the same keys the hub indexes, and a
brand-wide lookup answers masked values (enough for the consultant to recognise her at the
counter, too little to harvest a client book from it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import phonenumbers


def _fold(text: Any) -> str:
    # ё and е are one letter to whoever types a surname
    return " ".join(str(text or "").split()).casefold().replace("ё", "е")


def name_key(client: Mapping[str, Any]) -> str | None:
    """ "surname|name|YYYY-MM-DD", casefolded; None without all three (a name alone matches too many)."""
    last, first, birthday = _fold(client.get("last_name")), _fold(client.get("first_name")), client.get("birthday")
    if isinstance(birthday, dt.date):
        birthday = birthday.isoformat()
    if not (last and first and birthday) or last == "—":  # an erased client's dash
        return None
    return f"{last}|{first}|{birthday}"[:200]


def mask_name(first_name: str | None, last_name: str | None) -> str:
    """ "Анна К.": her first name and her surname's initial."""
    first, last = (first_name or "").strip(), (last_name or "").strip()
    return f"{first} {last[:1]}.".strip() if last else first


def mask_phone(phone: str | None) -> str | None:
    """ "+7 *** ***-**-67": the country code and the last two digits of an E.164 phone."""
    if not phone:
        return None
    try:
        code = phonenumbers.parse(phone, None).country_code
    except phonenumbers.NumberParseException:
        code = None
    prefix = f"+{code}" if code else "+"
    return f"{prefix} *** ***-**-{phone[-2:]}"


def mask_email(email: str | None) -> str | None:
    """ "a***@mail.ru": the first letter and the domain."""
    if not email or "@" not in email:
        return None
    local, domain = email.rsplit("@", 1)
    return f"{local[:1]}***@{domain}"
