"""The profile edit form: client snapshot ⇄ the strings a consultant types.

Pure functions, so validation is unit-tested without a UI. Errors are string keys of
app.ui.strings, per field; the form keeps whatever was typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from app.services import phones
from sync.models import CHANNELS, SIZE_FIELDS
from sync.rules.contacts import is_email, normalise_phone

TEXT_FIELDS = ("last_name", "first_name", "middle_name", "phone", "email", "birthday", "card_number", "notes")
LIST_FIELDS = ("preferred_brands", "styles", "colours")
FORM_ORDER = (
    "last_name",
    "first_name",
    "middle_name",
    "phone",
    "email",
    "birthday",
    "card_number",
    *(f"size_{k}" for k in SIZE_FIELDS),
    *LIST_FIELDS,
    "notes",
)
"""The fields in the order the form shows them: a summary names them, and focus goes to the first, in it."""


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]


def form_from_client(c: dict) -> dict:
    form: dict = {k: c.get(k) or "" for k in TEXT_FIELDS}
    form["phone"] = phones.format_phone(c.get("phone")) if c.get("phone") else ""
    if c.get("birthday"):
        y, m, d = c["birthday"][:10].split("-")
        form["birthday"] = f"{d}.{m}.{y}"
    for k in LIST_FIELDS:
        form[k] = ", ".join(c.get(k) or [])
    sizes = c.get("sizes") or {}
    for k in SIZE_FIELDS:
        form[f"size_{k}"] = sizes.get(k, "")
    consents = c.get("consents") or {}
    for ch in CHANNELS:
        form[f"consent_{ch}"] = bool((consents.get(ch) or {}).get("granted"))
    return form


def fields_to_fix(errors: Mapping[str, object]) -> list[str]:
    """The fields with an error, in the form's order (a form-wide error, key "_form", is not a field)."""
    return [name for name in FORM_ORDER if name in errors]


def parse_birthday(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    for sep in (".", "/", "-"):
        parts = text.split(sep)
        if len(parts) == 3:
            if len(parts[0]) == 4:  # ISO
                y, m, d = parts
            else:
                d, m, y = parts
            born = date(int(y), int(m), int(d))
            if not (1900 <= born.year <= date.today().year):
                raise ValueError("year")
            return born
    raise ValueError("format")


def fields_from_form(form: dict, client: dict, today: date | None = None) -> tuple[dict, dict]:
    """(changed fields ready for client.update, errors by field). Nothing changes on error."""
    errors: dict[str, str] = {}
    out: dict = {}
    for k in ("last_name", "first_name"):
        v = (form.get(k) or "").strip()
        if not v:
            errors[k] = "form.required"
        out[k] = v
    out["middle_name"] = (form.get("middle_name") or "").strip() or None
    raw_phone = (form.get("phone") or "").strip()
    if raw_phone:
        e164 = normalise_phone(raw_phone, strict=True)
        if e164 is None:
            errors["phone"] = "form.phone"
        out["phone"] = e164
    else:
        out["phone"] = None
    email = (form.get("email") or "").strip().lower()
    if email and not is_email(email):
        errors["email"] = "form.email"
    out["email"] = email or None
    try:
        born = parse_birthday(form.get("birthday") or "")
        if born and born > (today or date.today()):
            raise ValueError("future")
        out["birthday"] = born.isoformat() if born else None
    except ValueError:
        errors["birthday"] = "form.birthday"
    card = "".join(ch for ch in (form.get("card_number") or "") if not ch.isspace())
    if card and not card.isdigit():
        errors["card_number"] = "form.card"
    out["card_number"] = card or None
    out["notes"] = (form.get("notes") or "").strip() or None
    for k in LIST_FIELDS:
        out[k] = _split(form.get(k) or "")
    out["sizes"] = {
        k: str(form.get(f"size_{k}") or "").strip() for k in SIZE_FIELDS if str(form.get(f"size_{k}") or "").strip()
    }
    consents = dict(client.get("consents") or {})
    for ch in CHANNELS:
        granted = bool(form.get(f"consent_{ch}"))
        old = consents.get(ch) or {}
        if (ch in consents and bool(old.get("granted")) != granted) or (ch not in consents and granted):
            consents[ch] = {"granted": granted, "date": (today or date.today()).isoformat()}
    out["consents"] = consents
    if errors:
        return {}, errors
    changed = {k: v for k, v in out.items() if v != client.get(k) and not (v in (None, [], {}) and not client.get(k))}
    return changed, {}
