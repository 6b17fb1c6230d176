"""The app after login: navigation, the sync banner, one screen at a time by route."""

from __future__ import annotations

import flet as ft

from app.state.controller import Controller
from app.state.views import AppView
from app.ui import theme
from app.ui.banner import SyncBanner
from app.ui.clients import ClientsScreen
from app.ui.profile import ProfileScreen
from app.ui.register import RegisterScreen
from app.ui.scan import ScanScreen
from app.ui.strings import t
from app.ui.sync_screen import SyncScreen

SECTIONS = [
    ("/clients", ft.Icons.PEOPLE_OUTLINE, "nav.clients"),
    ("/scan", ft.Icons.QR_CODE_SCANNER, "nav.scan"),
    ("/register", ft.Icons.PERSON_ADD_ALT, "nav.register"),
    ("/sync", ft.Icons.SYNC, "nav.sync"),
]


def section_index(route: str) -> int:
    for i, (prefix, _, _) in enumerate(SECTIONS):
        if route.startswith(prefix):
            return i
    return 0


def screen_for(ctrl: Controller, app: AppView) -> ft.Control:
    route = app.route
    if route.startswith("/sync"):
        return SyncScreen(ctrl, ctrl.sync, app)
    if route.startswith("/scan"):
        return ScanScreen(ctrl, ctrl.scan, app)
    if route.startswith("/register"):
        return RegisterScreen(ctrl, ctrl.register, app)
    if route.startswith("/clients/"):
        return ProfileScreen(ctrl, ctrl.profile, app)
    return ClientsScreen(ctrl, ctrl.clients, app)


@ft.component
def Notice(ctrl: Controller, app: AppView) -> ft.Control:
    if not app.notice:
        return ft.Container(visible=False)

    def dismiss(_):
        app.notice = None

    return ft.Container(
        bgcolor=ft.Colors.with_opacity(0.12, theme.ERROR),
        padding=12,
        content=ft.Row([
            ft.Icon(ft.Icons.WARNING_AMBER, color=theme.ERROR),
            ft.Text(t(app.lang, "notice." + app.notice), expand=True),
            ft.TextButton(t(app.lang, "notice.dismiss"), on_click=dismiss),
        ]),
    )


@ft.component
def Shell(ctrl: Controller, app: AppView) -> ft.Control:
    lang = app.lang

    def navigate(e):
        route = SECTIONS[e.control.selected_index][0]
        if route == "/register":
            ctrl.start_register()
        elif route == "/scan":
            ctrl.start_scan()
        else:
            app.route = route

    async def logout(_):
        await ctrl.logout()

    def switch_lang(_):
        app.lang = "en" if app.lang == "ru" else "ru"

    rail = ft.NavigationRail(
        selected_index=section_index(app.route),
        label_type=ft.NavigationRailLabelType.ALL,
        min_width=96,
        destinations=[ft.NavigationRailDestination(icon=icon, label=t(lang, key)) for _, icon, key in SECTIONS],
        on_change=navigate,
        leading=ft.Column([
            ft.Text(t(lang, "app.title"), size=18, weight=ft.FontWeight.BOLD, color=theme.ACCENT),
        ], horizontal_alignment=ft.CrossAxisAlignment.CENTER),
        trailing=ft.Column([
            ft.TextButton(t(lang, "lang.switch"), on_click=switch_lang),
            ft.IconButton(ft.Icons.LOGOUT, tooltip=t(lang, "nav.logout"), on_click=logout),
        ], horizontal_alignment=ft.CrossAxisAlignment.CENTER),
    )
    header = ft.Row([
        ft.Text(f"{app.consultant_name} · {app.store_name}", color=theme.MUTED),
    ])
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
                    SyncBanner(ctrl, ctrl.sync, app),
                    Notice(ctrl, app),
                    ft.Container(
                        expand=True,
                        padding=16,
                        content=ft.Column([header, screen_for(ctrl, app)], expand=True),
                    ),
                ],
            ),
        ],
    )
