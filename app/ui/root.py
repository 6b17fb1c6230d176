"""The component tree's root: the login screen or the shell, by route."""

from __future__ import annotations

import flet as ft

from app.state.app import App
from app.state.context import AppModel
from app.ui.login import LoginScreen
from app.ui.shell import Notice, Shell


@ft.component
def Root(app: App, ui: AppModel) -> ft.Control:
    if ui.route == "/login":
        return ft.Column([Notice(ui), LoginScreen(app.session, ui)], expand=True, spacing=0)
    return Shell(app, ui)
