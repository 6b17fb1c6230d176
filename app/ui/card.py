"""The card alone on the page that the login and the lock screen show."""

from __future__ import annotations

import flet as ft

from app.ui import theme


def centered_card(controls: list[ft.Control]) -> ft.Container:
    return ft.Container(
        expand=True,
        bgcolor=theme.SURFACE,
        alignment=ft.Alignment.CENTER,
        content=ft.Container(
            width=380,
            padding=32,
            bgcolor=ft.Colors.WHITE,
            border_radius=16,
            shadow=ft.BoxShadow(blur_radius=24, color="#22000000"),
            content=ft.Column(tight=True, spacing=16, controls=controls),
        ),
    )
