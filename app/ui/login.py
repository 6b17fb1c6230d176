"""The login screen. What was typed stays in the session model whatever the outcome."""

from __future__ import annotations

import asyncio

import flet as ft

from app.state.context import AppModel
from app.state.session import SessionModel
from app.ui import theme
from app.ui.card import centered_card
from app.ui.fields import SETTLE, text_field
from app.ui.strings import t


@ft.component
def LoginScreen(session: SessionModel, ui: AppModel) -> ft.Control:
    lang = ui.lang
    # A named checkbox rather than the field's eye icon, which reaches assistive technology unnamed.
    shown, set_shown = ft.use_state(False)

    # What is typed is kept here, not in the (observed) session model, until it is sent: a
    # re-render per keystroke reached the browser late and could empty the other field while
    # it was being typed in.
    typed: dict[str, str] = ft.use_ref(dict[str, str]).current  # type: ignore[arg-type,assignment]  # Flet types the factory loosely

    async def submit(_=None):
        await asyncio.sleep(SETTLE)  # a field's last change may reach Python just after its Enter
        for name, value in typed.items():
            setattr(session, name, value)
        typed.clear()
        await session.log_in()

    def set_login(e):
        typed["login"] = e.control.value

    def set_password(e):
        typed["password"] = e.control.value

    return centered_card(
        [
            ft.Text(t(lang, "app.title"), size=32, weight=ft.FontWeight.BOLD, color=theme.INK),
            ft.Text(t(lang, "app.subtitle"), color=theme.MUTED),
            ft.Text(t(lang, "login.title"), size=18, weight=ft.FontWeight.W_600),
            text_field(
                t(lang, "login.login"),
                value=typed.get("login", session.login),
                on_change=set_login,
                autofocus=True,
                on_submit=submit,
                disabled=session.busy,
            ),
            text_field(
                t(lang, "login.password"),
                value=typed.get("password", session.password),
                password=not shown,
                on_change=set_password,
                on_submit=submit,
                disabled=session.busy,
            ),
            ft.Checkbox(
                label=t(lang, "login.show_password"),
                value=shown,
                on_change=lambda e: set_shown(bool(e.control.value)),
            ),
            ft.Text(t(lang, session.error), color=theme.ERROR, visible=bool(session.error)),
            ft.Row(
                [
                    ft.FilledButton(t(lang, "login.submit"), on_click=submit, disabled=session.busy),
                    ft.ProgressRing(width=20, height=20, visible=session.busy),
                    ft.TextButton(t(lang, "lang.switch"), on_click=lambda _: ui.switch_lang()),
                ],
                alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
            ),
        ]
    )
