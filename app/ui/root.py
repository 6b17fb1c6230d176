"""The component tree's root: the login screen, the lock screen or the shell.

The lock screen replaces the shell entirely: while it shows, nothing of the store's book
is in the tree. Pointer activity over the shell restarts the idle time (keys are
observed on the page, in app.main).
"""

from __future__ import annotations

import flet as ft

from app.state.app import App
from app.state.context import AppModel
from app.state.lock import LockModel
from app.ui.lock import LockScreen
from app.ui.login import LoginScreen
from app.ui.shell import Notice, Shell

# Mouse moves reach Python at most this often (milliseconds): enough to keep the app open,
# not a message per pixel.
HOVER_EVERY = 1000


@ft.component
def Guarded(app: App, ui: AppModel, lock: LockModel) -> ft.Control:
    if lock.blocking:
        return ft.Column([Notice(ui), LockScreen(lock, app.session, ui)], expand=True, spacing=0)

    def active(_=None) -> None:
        lock.touch()

    # Flutter reports a pan's "down" as the pointer lands, before any gesture wins, so every
    # touch or click reaches this detector, through the buttons and fields below it too; its
    # pan loses to their own gestures (a scroll, a signature) by its larger slop. Hover and the
    # wheel need no gesture at all. Not in the semantics tree: it names nothing.
    return ft.GestureDetector(
        content=Shell(app, ui),
        on_pan_down=active,
        on_hover=active,
        hover_interval=HOVER_EVERY,
        on_scroll=active,
        exclude_from_semantics=True,
        expand=True,
    )


@ft.component
def Root(app: App, ui: AppModel) -> ft.Control:
    if ui.route == "/login":
        return ft.Column([Notice(ui), LoginScreen(app.session, ui)], expand=True, spacing=0)
    return Guarded(app, ui, app.lock)
