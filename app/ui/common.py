"""Small shared pieces of the screens."""

from __future__ import annotations

from datetime import datetime

import flet as ft

from app.ui import theme


def tier_badge(tier: str | None) -> ft.Control:
    tier = tier or "—"
    return ft.Container(
        content=ft.Text(tier, size=12, color=ft.Colors.WHITE, weight=ft.FontWeight.BOLD),
        bgcolor=theme.TIER_COLOURS.get(tier, theme.MUTED),
        padding=ft.Padding.symmetric(horizontal=8, vertical=2),
        border_radius=10,
    )


def when(dt: datetime | str | None) -> str:
    if dt is None:
        return ""
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt)
    local = dt.astimezone()
    return local.strftime("%d.%m.%Y %H:%M")


def day(value: str | None) -> str:
    """ISO date → 21.03.2026 (Russian order, which English-speaking staff here also read)."""
    if not value:
        return ""
    y, m, d = value[:10].split("-")
    return f"{d}.{m}.{y}"


def rub(kopecks: int | None) -> str:
    """12345600 kopecks → "123 456" (roubles, a thin space between thousands)."""
    return f"{(kopecks or 0) // 100:,}".replace(",", " ")


def points(n: int | None) -> str:
    return f"{n or 0:,}".replace(",", " ")
