"""Words for what a consultant queued for the hub: which thing, and what became of it.

One place for the sync screen, the profile and the scan screen, so a receipt is always
named the same way ("№ 18280 на 12 345 ₽ от 21.03.2026") and a refusal always says what
was refused ("Привязка чека № 18280 … — чек уже привязан к другому клиенту").
"""

from __future__ import annotations

import datetime as dt

from app.cache.queries import Holder, Operation, ReceiptLink, ReceiptRef
from app.ui import formatting
from app.ui.strings import kind_label, t


def receipt_ref(r: ReceiptRef, lang: str) -> str:
    """A receipt by its document number, sum and day, without the word "receipt" (its case varies)."""
    text = t(lang, "receipt.ref", r.i)
    if r.s is not None:
        text += t(lang, "receipt.ref_sum", formatting.money(r.s, lang))
    if r.t:
        text += t(lang, "receipt.ref_date", formatting.date(r.t, lang))
    return text


def holder_text(h: Holder, lang: str) -> str:
    """Who holds a receipt, as the client list tells namesakes apart (name, masked phone), and since when."""
    c = h.client
    who = ", ".join(x for x in (c.short_name, c.masked_phone) if x) if c else t(lang, "link.holder_unknown")
    if h.link.at:
        who += t(lang, "link.holder_since", link_day(h.link.at, lang))
    return who


def link_day(at: str, lang: str) -> str:
    """The day a link was made, on this device's calendar (the hub stamps it in UTC)."""
    return formatting.date(dt.datetime.fromisoformat(at).astimezone(), lang)


def rejection(x: Operation | ReceiptLink, lang: str) -> str:
    """Why the hub refused: in the consultant's language when the code is known, else the hub's words."""
    known = t(lang, f"reject.{x.code}") if x.code else ""
    return known if x.code and known != f"reject.{x.code}" else (x.reason or t(lang, "reject.unknown"))


def lower_first(text: str) -> str:
    """A sentence continued after a dash: "Чек уже…" → "чек уже…"."""
    return text[:1].lower() + text[1:]


def describe(op: Operation, lang: str) -> str:
    """The operation and its subject: "Привязка чека № 18280 на 12 345 ₽ от 21.03.2026",
    "Изменение профиля: Иванова Анна", "Запись в дневнике (Иванова Анна): «Ищет…»"."""
    if op.receipt is not None:
        return t(lang, "op.receipt.link", receipt_ref(op.receipt, lang))
    text = kind_label(lang, op.kind)
    if op.client_name:
        text += t(lang, "op.subject", op.client_name)
    if op.text:
        text += t(lang, "op.text", _excerpt(op.text))
    return text


def status(op: Operation, lang: str) -> str:
    """What became of it so far: saved here and waiting for the hub, or why the hub refused."""
    if op.rejected:
        return lower_first(rejection(op, lang))
    return t(lang, "op.sent" if op.status == "waiting" else "op.saved")


def line(op: Operation, lang: str) -> str:
    """One line for a list of operations: what, then what became of it."""
    return f"{describe(op, lang)} — {status(op, lang)}"


def _excerpt(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0].rstrip(",.;:") + "…"  # whole words
