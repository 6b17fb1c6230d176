"""The profile's "Privileges" card: her referral code, and the coupons and closed sales
her tier gives, with their dates (all as the hub's program publishes them)."""

from __future__ import annotations

import datetime as dt

import flet as ft

from app.cache.queries import Offer, ProfileData
from app.ui import formatting as fmt
from app.ui import theme
from app.ui.strings import t


def offer_text(o: Offer, lang: str) -> str:
    """ "Купон −15%: … · PLAT15 · 01.09.2026 – 31.12.2026" (a bare end date is inclusive)."""
    head = t(lang, f"offer.{o.kind}", o.discount_percent or "") if o.kind in ("coupon", "closed_sale") else o.kind
    parts = [f"{head}: {o.title}"]
    if o.code:
        parts.append(o.code)
    if o.starts or o.ends:
        first = fmt.date(dt.datetime.fromisoformat(o.starts).date(), lang) if o.starts else "…"
        parts.append(t(lang, "offer.dates", first, _last_day(o.ends, lang)))
    return " · ".join(parts)


def _last_day(ends: str | None, lang: str) -> str:
    """An exclusive end at local midnight (the hub publishes dates in the program's local
    time) reads as the day before, as the program file says it."""
    if not ends:
        return "…"
    end = dt.datetime.fromisoformat(ends)
    if (end.hour, end.minute, end.second) == (0, 0, 0):
        end -= dt.timedelta(days=1)
    return fmt.date(end.date(), lang)


def privileges_card(p: ProfileData, lang: str) -> ft.Control | None:
    acc = p.account
    discount = acc.newcomer_discount_percent if acc else None
    if acc is None or (not acc.referral_code and not acc.offers and not discount):
        return None
    rows: list[ft.Control] = []
    if discount and discount != "0":
        rows.append(ft.Text(t(lang, "profile.newcomer_discount", discount), color=theme.OK))
    if acc.referral_code:
        rows.append(
            ft.Row(
                [
                    ft.Text(t(lang, "profile.referral_code"), color=theme.MUTED, width=130),
                    ft.Text(acc.referral_code, weight=ft.FontWeight.W_600, selectable=True, key="referral-code"),
                ],
                wrap=True,  # the code under its label where the column is narrow
            )
        )
    rows += [ft.Text(offer_text(o, lang)) for o in acc.offers]
    return theme.panel(
        key="privileges",
        content=ft.Column(
            [ft.Text(t(lang, "profile.privileges"), size=15, weight=ft.FontWeight.W_600, color=theme.ACCENT), *rows],
            spacing=6,
        ),
    )
