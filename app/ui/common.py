"""Small shared pieces of the screens. Numbers, money and dates: app.ui.formatting."""

from __future__ import annotations

import flet as ft

from app.ui import formatting as fmt
from app.ui import theme


def tier_badge(tier: str | None) -> ft.Control:
    tier = tier or "—"
    return ft.Container(
        content=ft.Text(tier, size=12, color=ft.Colors.WHITE, weight=ft.FontWeight.BOLD),
        bgcolor=theme.TIER_COLOURS.get(tier, theme.MUTED),
        padding=ft.Padding.symmetric(horizontal=8, vertical=2),
        border_radius=10,
    )


def rub(kopecks: int | None, lang: str = "ru") -> str:
    """Whole roubles, grouped ("123 456"), for texts that add "₽" themselves (the scan
    screen and receipt links); new code uses formatting.money."""
    return fmt.number((kopecks or 0) // 100, lang)
