"""The component tree's root: the login screen or the shell, by route."""

from __future__ import annotations

import flet as ft

from app.state.controller import Controller
from app.state.views import AppView
from app.ui.login import LoginScreen
from app.ui.shell import Notice, Shell


@ft.component
def Root(ctrl: Controller, app: AppView) -> ft.Control:
    if app.route == "/login":
        return ft.Column([Notice(ctrl, app), LoginScreen(ctrl, ctrl.login_view, app)], expand=True, spacing=0)
    return Shell(ctrl, app)
