"""The login screen. What was typed stays in LoginView whatever the outcome."""

from __future__ import annotations

import flet as ft

from app.state.controller import Controller
from app.state.views import AppView, LoginView
from app.ui import theme
from app.ui.strings import t


@ft.component
def LoginScreen(ctrl: Controller, view: LoginView, app: AppView) -> ft.Control:
    lang = app.lang

    async def submit(_=None):
        await ctrl.login()

    def set_login(e):
        view.login = e.control.value

    def set_password(e):
        view.password = e.control.value

    def switch_lang(_):
        app.lang = "en" if app.lang == "ru" else "ru"

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
            content=ft.Column(
                tight=True,
                spacing=16,
                controls=[
                    ft.Text(t(lang, "app.title"), size=32, weight=ft.FontWeight.BOLD, color=theme.INK),
                    ft.Text(t(lang, "app.subtitle"), color=theme.MUTED),
                    ft.Text(t(lang, "login.title"), size=18, weight=ft.FontWeight.W_600),
                    ft.TextField(label=t(lang, "login.login"), value=view.login, on_change=set_login,
                                 autofocus=True, on_submit=submit, disabled=view.busy),
                    ft.TextField(label=t(lang, "login.password"), value=view.password, password=True,
                                 can_reveal_password=True, on_change=set_password, on_submit=submit,
                                 disabled=view.busy),
                    ft.Text(t(lang, view.error), color=theme.ERROR, visible=bool(view.error)),
                    ft.Row([
                        ft.FilledButton(t(lang, "login.submit"), on_click=submit, disabled=view.busy),
                        ft.ProgressRing(width=20, height=20, visible=view.busy),
                        ft.TextButton(t(lang, "lang.switch"), on_click=switch_lang),
                    ], alignment=ft.MainAxisAlignment.SPACE_BETWEEN),
                ],
            ),
        ),
    )
