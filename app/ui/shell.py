"""The app after login: navigation, the sync banner, the screen of the route.

The navigation suits the window (app.ui.responsive, docs/layouts.md): a rail on a wide one,
a bottom bar (with "Ещё" when the sections do not fit) on a phone or an upright tablet. A
section is one entry of SECTIONS and one branch of `screen_for`.
"""

from __future__ import annotations

from collections.abc import Callable

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
from app.ui.responsive import LIST_PANE_WIDTH, RAIL_WIDTH, Viewport, bar_split
from app.ui.results import ResultsScreen
from app.ui.scan import ScanScreen
from app.ui.settings import SettingsScreen
from app.ui.strings import t
from app.ui.sync_screen import SyncScreen
from app.ui.today import TodayScreen

SECTIONS = [
    ("/clients", ft.Icons.PEOPLE_OUTLINE, "nav.clients"),
    ("/scan", ft.Icons.QR_CODE_SCANNER, "nav.scan"),
    ("/register", ft.Icons.PERSON_ADD_ALT, "nav.register"),
    ("/diary", ft.Icons.MENU_BOOK, "nav.diary"),
    ("/sync", ft.Icons.SYNC, "nav.sync"),
    ("/today", ft.Icons.TODAY, "nav.today"),
    ("/results", ft.Icons.INSIGHTS, "nav.results"),
    ("/settings", ft.Icons.SETTINGS_OUTLINED, "nav.settings"),
]


def section_index(route: str) -> int:
    for i, (prefix, _, _) in enumerate(SECTIONS):
        if route.startswith(prefix):
            return i
    return 0


def screen_for(app: App, ui: AppModel, viewport: Viewport | None = None) -> ft.Control:
    route = ui.route
    if route.startswith("/results"):
        return ResultsScreen(app.results, ui)
    if route.startswith("/sync"):
        return SyncScreen(app.sync, ui, app.pairs)
    if route.startswith("/settings"):
        return SettingsScreen(app.settings, ui)
    if route.startswith("/scan"):
        return ScanScreen(app.scan, ui, app.profile.open, viewport.scan_requests if viewport else 0, app.camera)
    if route.startswith("/register"):
        return RegisterScreen(app.register, ui, app.duplicates)
    if route.startswith("/diary"):
        return DiaryScreen(app.diary_search, ui, app.profile.open)
    if route.startswith("/today"):
        return TodayScreen(app.today, app.lists, ui, app.profile.open)
    if route.startswith("/clients"):
        return clients_and_profile(app, ui, viewport)
    return ClientsScreen(app.clients, ui, app.profile.open)


def clients_and_profile(app: App, ui: AppModel, viewport: Viewport | None) -> ft.Control:
    """A wide screen shows the list and, beside it, the open profile (a tap in the list opens
    another one there); a narrow one shows one of them at a time."""
    searches = viewport.search_requests if viewport else 0
    open_id = ui.route.removeprefix("/clients/") if ui.route.startswith("/clients/") else None
    profile = ProfileScreen(app.profile, ui, app.scan.start, app.forms, app.register, app.today)
    if viewport is None or not viewport.wide:
        return profile if open_id else ClientsScreen(app.clients, ui, app.profile.open, searches)
    return ft.Row(
        expand=True,
        spacing=0,
        vertical_alignment=ft.CrossAxisAlignment.STRETCH,
        controls=[
            ft.Container(
                width=LIST_PANE_WIDTH,
                padding=ft.Padding.only(right=12),
                content=ClientsScreen(app.clients, ui, app.profile.open, searches, open_id),
            ),
            ft.VerticalDivider(width=1),
            ft.Container(
                expand=True,
                padding=ft.Padding.only(left=16),
                content=profile if open_id else no_profile(ui.lang),
            ),
        ],
    )


def no_profile(lang: str) -> ft.Control:
    return ft.Container(
        alignment=ft.Alignment.CENTER,
        content=ft.Column(
            tight=True,
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            controls=[
                ft.Icon(ft.Icons.PERSON_SEARCH, size=48, color=theme.MUTED),
                ft.Text(t(lang, "clients.pick"), color=theme.MUTED, text_align=ft.TextAlign.CENTER),
            ],
        ),
    )


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
            ft.Text(
                f"{who.consultant_name} · {who.store_name}" if who else " · ",
                color=theme.MUTED,
                expand=True,
                no_wrap=True,
                overflow=ft.TextOverflow.ELLIPSIS,
            ),
        ]
    )


def NavButton(icon: ft.IconData, label: str, selected: bool, on_click, expand: bool = False) -> ft.Control:
    """A navigation destination named by its label alone: Flutter's NavigationRail appends
    "Tab 1 of 4" to every destination's accessible name, a plain button does not. At least
    TOUCH_TARGET tall (icon, label and padding), in the rail and in the bottom bar alike."""
    return ft.TextButton(
        expand=expand,
        style=ft.ButtonStyle(
            padding=ft.Padding.symmetric(horizontal=2, vertical=6),
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
                    label,
                    size=12,
                    color=theme.INK,
                    weight=ft.FontWeight.W_600 if selected else ft.FontWeight.NORMAL,
                    text_align=ft.TextAlign.CENTER,
                    no_wrap=True,
                    overflow=ft.TextOverflow.ELLIPSIS,  # painted only: the accessible name stays whole
                ),
            ],
        ),
    )


@ft.component
def Shell(app: App, ui: AppModel, viewport: Viewport | None = None) -> ft.Control:
    lang = ui.lang
    viewport = viewport or Viewport()

    def navigate(route: str) -> None:
        viewport.close_more()
        if route == "/register":
            app.register.start()
        elif route == "/scan":
            app.scan.start()
        elif route == "/diary":
            app.ctx.tasks.spawn(app.diary_search.open())
        elif route == "/today":
            app.ctx.tasks.spawn(app.today.open())
        elif route == "/settings":
            app.ctx.tasks.spawn(app.settings.open())
        else:
            ui.go(route)

    async def logout(_):
        viewport.close_more()
        await app.session.log_out()

    selected = section_index(ui.route)

    def destination(i: int, expand: bool = False) -> ft.Control:
        route, icon, key = SECTIONS[i]
        return NavButton(icon, t(lang, key), i == selected, lambda _: navigate(route), expand=expand)

    lang_button = ft.TextButton(t(lang, "lang.switch"), on_click=lambda _: ui.switch_lang())
    logout_button = ft.TextButton(t(lang, "nav.logout"), icon=ft.Icons.LOGOUT, on_click=logout)
    body = ft.Column(
        expand=True,
        spacing=0,
        controls=[
            SyncBanner(app.sync, ui, compact=viewport.phone),
            Notice(ui),
            ft.Container(
                expand=True,
                padding=8 if viewport.phone else 16,
                content=ft.Column([Header(app.session), screen_for(app, ui, viewport)], expand=True, spacing=8),
            ),
        ],
    )
    if viewport.wide:
        rail = ft.Container(
            width=RAIL_WIDTH,
            padding=ft.Padding.symmetric(vertical=8),
            content=ft.Column(
                horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                spacing=4,
                scroll=ft.ScrollMode.AUTO,  # eight sections and a short window
                controls=[
                    ft.Text(t(lang, "app.title"), size=18, weight=ft.FontWeight.BOLD, color=theme.ACCENT),
                    *(destination(i) for i in range(len(SECTIONS))),
                    lang_button,
                    logout_button,
                ],
            ),
        )
        return ft.Row(expand=True, spacing=0, controls=[rail, ft.VerticalDivider(width=1), body])
    return narrow_shell(lang, viewport, selected, destination, [lang_button, logout_button], body)


def narrow_shell(
    lang: str,
    viewport: Viewport,
    selected: int,
    destination: Callable[[int, bool], ft.Control],
    account: list[ft.Control],
    body: ft.Control,
) -> ft.Control:
    """A phone or an upright tablet: the screen, and a bottom bar within a thumb's reach; the
    sections that do not fit the bar are under "More" (a sheet over the bar)."""
    shown, more = bar_split(len(SECTIONS), viewport.size)
    bar = [destination(i, True) for i in range(shown)]
    if more:
        bar.append(
            NavButton(
                ft.Icons.MORE_HORIZ,
                t(lang, "nav.more"),
                viewport.more_open or selected >= shown,
                lambda _: viewport.toggle_more(),
                expand=True,
            )
        )
    sheet = ft.Container(
        visible=more and viewport.more_open,
        bgcolor=ft.Colors.WHITE,
        padding=8,
        border=ft.Border.only(top=ft.BorderSide(1, theme.CARD_BORDER)),
        # Each of a set width: a centred label cannot be laid out in a wrap's unbounded width.
        content=ft.Row(
            wrap=True,
            spacing=8,
            run_spacing=8,
            controls=[ft.Container(destination(i, False), width=RAIL_WIDTH) for i in range(shown, len(SECTIONS))],
        ),
    )
    top = ft.Container(
        padding=ft.Padding.only(left=16, right=4),
        content=ft.Row(
            [
                ft.Text(t(lang, "app.title"), size=18, weight=ft.FontWeight.BOLD, color=theme.ACCENT, expand=True),
                *account,
            ],
            spacing=0,
        ),
    )
    return ft.Column(
        expand=True,
        spacing=0,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,  # the sheet as wide as the bar
        controls=[
            top,
            body,
            sheet,
            ft.Divider(height=1),
            ft.Container(
                bgcolor=theme.SURFACE,
                padding=ft.Padding.symmetric(horizontal=4, vertical=2),
                content=ft.Row(bar, spacing=0),
            ),
        ],
    )
