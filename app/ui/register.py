"""Registering a new client, offline-capable: the client exists on the device at once."""

from __future__ import annotations

import flet as ft

from app.state.context import AppModel
from app.state.register import RegisterModel
from app.ui import theme
from app.ui.profile_form import ProfileForm
from app.ui.strings import t


@ft.component
def RegisterScreen(register: RegisterModel, ui: AppModel) -> ft.Control:
    lang = ui.lang
    return ft.Column(
        expand=True,
        controls=[
            ft.Text(t(lang, "register.title"), size=22, weight=ft.FontWeight.BOLD),
            ft.Text(t(lang, "register.hint"), color=theme.MUTED),
            ProfileForm(register, ui, register.save, register.cancel, "register.submit"),
        ],
    )
