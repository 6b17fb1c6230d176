"""The component tree's root: the login screen, the lock screen or the shell.

The lock screen replaces the shell entirely: while it shows, nothing of the store's book
is in the tree. Mouse moves over the shell restart the idle time (every other input event
is observed for the whole page: app.ui.activity).
"""

from __future__ import annotations

import flet as ft

from app.state.app import App
from app.state.context import AppModel
from app.state.lock import LockModel
from app.state.register import RegisterModel
from app.ui.handover import HandoverScreen
from app.ui.lock import LockScreen
from app.ui.login import LoginScreen
from app.ui.responsive import Viewport
from app.ui.shell import Notice, Shell

# Mouse moves reach Python at most this often (milliseconds): enough to keep the app open,
# not a message per pixel.
HOVER_EVERY = 1000


@ft.component
def Guarded(
    app: App, ui: AppModel, lock: LockModel, register: RegisterModel, viewport: Viewport | None = None
) -> ft.Control:
    if lock.blocking:
        return ft.Column([Notice(ui), LockScreen(lock, app.session, ui)], expand=True, spacing=0)

    def active(_=None) -> None:
        lock.touch()

    # A mouse moved or a wheel turned over the shell: no control's event says so (clicks, taps,
    # typing and keys are seen for the whole page by app.ui.activity). Not in the semantics
    # tree: it names nothing.
    return ft.GestureDetector(
        # Hand-over mode replaces the shell: no navigation, nothing but her questionnaire.
        content=HandoverScreen(register, ui) if register.handover else Shell(app, ui, viewport),
        on_hover=active,
        hover_interval=HOVER_EVERY,
        on_scroll=active,
        exclude_from_semantics=True,
        expand=True,
    )


@ft.component
def Root(app: App, ui: AppModel, viewport: Viewport | None = None) -> ft.Control:
    """`viewport`: this page's size class (app.ui.responsive); the desktop window's by default."""
    if ui.route == "/login":
        return ft.Column([Notice(ui), LoginScreen(app.session, ui)], expand=True, spacing=0)
    return Guarded(app, ui, app.lock, app.register, viewport)
