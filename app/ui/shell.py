"""The app after login: navigation, the sync banner, one screen at a time by route."""

from __future__ import annotations

import flet as ft

from app.state.app import App
from app.state.context import AppModel
from app.state.session import SessionModel
from app.ui import theme
from app.ui.banner import SyncBanner
from app.ui.clients import ClientsScreen
from app.ui.diary_search import DiaryScreen
from app.ui.profile import ProfileScreen
from app.ui.register import RegisterScreen
from app.ui.scan import ScanScreen
from app.ui.settings import SettingsScreen
from app.ui.strings import t
from app.ui.sync_screen import SyncScreen

SECTIONS = [
    ("/clients", ft.Icons.PEOPLE_OUTLINE, "nav.clients"),
    ("/scan", ft.Icons.QR_CODE_SCANNER, "nav.scan"),
    ("/register", ft.Icons.PERSON_ADD_ALT, "nav.register"),
    ("/diary", ft.Icons.MENU_BOOK, "nav.diary"),
    ("/sync", ft.Icons.SYNC, "nav.sync"),
    ("/settings", ft.Icons.SETTINGS_OUTLINED, "nav.settings"),
]


def section_index(route: str) -> int:
    for i, (prefix, _, _) in enumerate(SECTIONS):
        if route.startswith(prefix):
            return i
    return 0


def screen_for(app: App, ui: AppModel) -> ft.Control:
    route = ui.route
    if route.startswith("/sync"):
        return SyncScreen(app.sync, ui, app.pairs)
    if route.startswith("/settings"):
        return SettingsScreen(app.settings, ui)
    if route.startswith("/scan"):
        return ScanScreen(app.scan, ui, app.profile.open, app.camera)
    if route.startswith("/register"):
        return RegisterScreen(app.register, ui, app.duplicates)
    if route.startswith("/diary"):
        return DiaryScreen(app.diary_search, ui, app.profile.open)
    if route.startswith("/clients/"):
        return ProfileScreen(app.profile, ui, app.scan.start, app.forms, app.register)
    return ClientsScreen(app.clients, ui, app.profile.open)


@ft.component
def Notice(ui: AppModel) -> ft.Control:
    if not ui.notice:
        return ft.Container(visible=False)
    return ft.Container(
        bgcolor=ft.Colors.with_opacity(0.12, theme.ERROR),
        padding=12,
        content=ft.Row(
            [
                ft.Icon(ft.Icons.WARNING_AMBER, color=theme.ERROR),
                ft.Text(t(ui.lang, ui.notice), expand=True),
                ft.TextButton(t(ui.lang, "notice.dismiss"), on_click=lambda _: ui.dismiss_notice()),
            ]
        ),
    )


@ft.component
def Header(session: SessionModel) -> ft.Control:
    who = session.current
    return ft.Row(
        [
            ft.Text(f"{who.consultant_name} · {who.store_name}" if who else " · ", color=theme.MUTED),
        ]
    )


def NavButton(icon: ft.IconData, label: str, selected: bool, on_click) -> ft.Control:
    """A navigation destination named by its label alone: Flutter's NavigationRail appends
    "Tab 1 of 4" to every destination's accessible name, a plain button does not."""
    return ft.TextButton(
        style=ft.ButtonStyle(
            padding=ft.Padding.symmetric(horizontal=4, vertical=6),
            shape=ft.RoundedRectangleBorder(radius=12),
            color=theme.INK,
        ),
        on_click=on_click,
        content=ft.Column(
            tight=True,
            spacing=4,
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            controls=[
                ft.Container(
                    content=ft.Icon(icon, color=theme.INK),
                    padding=ft.Padding.symmetric(horizontal=16, vertical=4),
                    border_radius=16,
                    bgcolor=ft.Colors.with_opacity(0.25, theme.ACCENT) if selected else None,
                ),
                ft.Text(
                    label, size=12, color=theme.INK, weight=ft.FontWeight.W_600 if selected else ft.FontWeight.NORMAL
                ),
            ],
        ),
    )


@ft.component
def Shell(app: App, ui: AppModel) -> ft.Control:
    lang = ui.lang

    def navigate(route: str) -> None:
        if route == "/register":
            app.register.start()
        elif route == "/scan":
            app.scan.start()
        elif route == "/diary":
            app.ctx.tasks.spawn(app.diary_search.open())
        elif route == "/settings":
            app.ctx.tasks.spawn(app.settings.open())
        else:
            ui.go(route)

    async def logout(_):
        await app.session.log_out()

    selected = section_index(ui.route)
    rail = ft.Container(
        width=124,  # the longest label, "Синхронизация", in bold on one line
        padding=ft.Padding.symmetric(vertical=8),
        content=ft.Column(
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            spacing=4,
            controls=[
                ft.Text(t(lang, "app.title"), size=18, weight=ft.FontWeight.BOLD, color=theme.ACCENT),
                *[
                    NavButton(icon, t(lang, key), i == selected, lambda _, r=route: navigate(r))
                    for i, (route, icon, key) in enumerate(SECTIONS)
                ],
                ft.TextButton(t(lang, "lang.switch"), on_click=lambda _: ui.switch_lang()),
                ft.TextButton(t(lang, "nav.logout"), icon=ft.Icons.LOGOUT, on_click=logout),
            ],
        ),
    )
    return ft.Row(
        expand=True,
        spacing=0,
        controls=[
            rail,
            ft.VerticalDivider(width=1),
            ft.Column(
                expand=True,
                spacing=0,
                controls=[
                    SyncBanner(app.sync, ui),
                    Notice(ui),
                    ft.Container(
                        expand=True,
                        padding=16,
                        content=ft.Column([Header(app.session), screen_for(app, ui)], expand=True),
                    ),
                ],
            ),
        ],
    )
