"""Registering a new client, offline-capable: the client exists on the device at once."""

from __future__ import annotations

import flet as ft

from app.state.controller import Controller
from app.state.views import AppView, RegisterView
from app.ui import theme
from app.ui.profile_form import ProfileForm
from app.ui.strings import t


@ft.component
def RegisterScreen(ctrl: Controller, view: RegisterView, app: AppView) -> ft.Control:
    lang = app.lang
    return ft.Column(
        expand=True,
        controls=[
            ft.Text(t(lang, "register.title"), size=22, weight=ft.FontWeight.BOLD),
            ft.Text(t(lang, "register.hint"), color=theme.MUTED),
            ProfileForm(view, app, ctrl.save_register, ctrl.cancel_register, "register.submit"),
        ],
    )
