"""A profile's change history as the consultant reads it.

The hub records a change per field with the field's whole old and new value (a dict of
sizes, a list of brands, a dict of consents). Here each becomes lines in the consultant's
language, with values written as the profile shows them, one line per size, brand or
consent that changed: `sizes {'clothing': '42', 'shoe': '40'} -> {'shoe': '38.5'}` reads
"Обувь: 40 → 38,5" and "Одежда: 42 → —". Pure functions: no widgets, no cache.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.cache.queries import FieldChange
from app.services import phones
from app.state.profile_form import LIST_FIELDS
from app.ui import formatting as fmt
from app.ui.profile_form import LABELS as FORM_LABELS
from app.ui.strings import t
from sync.models import CHANNELS, SIZE_FIELDS

EMPTY = "—"

LABELS = {
    **FORM_LABELS,
    "gender": "history.gender",
    "consultant_id": "profile.consultant",
    "sizes": "profile.sizes",
    "consents": "profile.consents",
}
"""Each field's label in the history: the form's, and those of fields the form does not edit."""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One save: when and by whom (or "waiting to send"), and the lines it changed."""

    heading: str
    lines: tuple[str, ...]
    pending: bool = False


def label(field: str, lang: str) -> str:
    """A profile field's name in the consultant's language (an unknown field as it is)."""
    key = LABELS.get(field)
    return t(lang, key) if key else field


def consent_text(granted: bool, date: str | dt.date | None, lang: str) -> str:
    """A consent as the profile's consents card shows it: "да, с 21.03.2026" or "нет"."""
    if not granted:
        return t(lang, "profile.consent_no")
    return t(lang, "profile.consent_yes", fmt.date(date, lang)) if date else t(lang, "profile.consent_yes_undated")


def value_text(field: str, value: Any, lang: str, consultants: Mapping[str, str] | None = None) -> str:
    """One field's value as the profile shows it; "—" when there is none."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if field == "phone":
        return phones.format_phone(str(value))
    if field == "birthday":
        return fmt.date(str(value), lang)
    if field == "gender":
        return t(lang, f"history.gender_{value}") if value in ("f", "m") else str(value)
    if field == "consultant_id":
        return (consultants or {}).get(str(value)) or EMPTY
    if field in LIST_FIELDS and isinstance(value, list):
        return ", ".join(str(x) for x in value)
    return str(value)


def describe_change(
    field: str | None, old: Any, new: Any, lang: str, consultants: Mapping[str, str] | None = None
) -> list[str]:
    """The lines one changed field reads as; none when nothing visible changed."""
    name = field or ""
    if name == "sizes" and _is_dict(old, new):
        return _sizes(old or {}, new or {}, lang)
    if name == "consents" and _is_dict(old, new):
        return _consents(old or {}, new or {}, lang)
    if name in LIST_FIELDS and _is_list(old, new):
        return _items(label(name, lang), old or [], new or [], lang)
    before, after = value_text(name, old, lang, consultants), value_text(name, new, lang, consultants)
    if before == after:
        return []
    return [t(lang, "history.change", label(name, lang), before, after)]


def describe(
    changes: Sequence[FieldChange], lang: str, consultants: Mapping[str, str] | None = None, limit: int = 20
) -> list[HistoryEntry]:
    """Changes (newest first) grouped by the save that made them, at most `limit` saves."""
    groups: list[list[FieldChange]] = []
    for c in changes:
        if groups and _same_save(groups[-1][0], c):
            groups[-1].append(c)
        else:
            groups.append([c])
    out = []
    for group in groups[:limit]:
        first = group[0]
        lines = tuple(
            line for c in group for line in describe_change(c.field, c.old_value, c.new_value, lang, consultants)
        )
        if lines:
            out.append(HistoryEntry(_heading(first, lang), lines, first.pending))
    return out


def _heading(c: FieldChange, lang: str) -> str:
    parts = [fmt.date_time(c.at, lang) if c.at else ""]
    parts.append(t(lang, "history.pending") if c.pending else (c.author or ""))
    return " · ".join(p for p in parts if p)


def _same_save(a: FieldChange, b: FieldChange) -> bool:
    if a.pending or b.pending:
        return a.pending and b.pending
    return a.change_id == b.change_id if a.change_id or b.change_id else a.at == b.at


def _is_dict(*values: Any) -> bool:
    return all(v is None or isinstance(v, dict) for v in values)


def _is_list(*values: Any) -> bool:
    return all(v is None or isinstance(v, list) for v in values)


def _ordered(keys: set[str], known: Sequence[str]) -> list[str]:
    return [k for k in known if k in keys] + sorted(keys - set(known))


def _sizes(old: dict, new: dict, lang: str) -> list[str]:
    def shown(v: Any) -> str:
        return (fmt.size(str(v), lang) or EMPTY) if v is not None else EMPTY

    lines = []
    for k in _ordered(set(old) | set(new), SIZE_FIELDS):
        before, after = shown(old.get(k)), shown(new.get(k))
        if before != after:
            lines.append(t(lang, "history.change", t(lang, f"profile.size_{k}"), before, after))
    return lines


def _consents(old: dict, new: dict, lang: str) -> list[str]:
    def shown(x: Any) -> str:
        x = x if isinstance(x, dict) else {}
        return consent_text(bool(x.get("granted")), x.get("date"), lang)

    lines = []
    for ch in _ordered(set(old) | set(new), CHANNELS):
        before, after = shown(old.get(ch)), shown(new.get(ch))
        if before != after:
            channel = t(lang, f"profile.consent_{ch}")
            lines.append(t(lang, "history.change", t(lang, "history.consent", channel), before, after))
    return lines


def _items(name: str, old: list, new: list, lang: str) -> list[str]:
    removed = [str(x) for x in old if x not in new]
    added = [str(x) for x in new if x not in old]
    return [t(lang, "history.removed", name, x) for x in removed] + [t(lang, "history.added", name, x) for x in added]


def ledger_label(
    kind: str | None, source: str | None, points: int, campaign_id: str | None, reason: str | None, lang: str
) -> str:
    """A points-history line's label in the consultant's language. The hub's generated
    reasons are English; a manager's grant or deduction carries the reason the manager
    typed, shown as it is."""
    if kind == "campaign" and not campaign_id and points > 0:  # a manager's promotional grant
        return t(lang, "ledger.grant", reason or "")
    if kind == "adjustment" and points < 0:  # a manager's deduction
        return t(lang, "ledger.deduct", reason or "")
    specific = f"ledger.{kind}.{source}"
    text = t(lang, specific)
    return text if text != specific else t(lang, f"ledger.{kind}")
