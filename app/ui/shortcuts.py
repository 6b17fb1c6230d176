"""Desktop keyboard shortcuts: find a client, register one, scan a receipt.

Flet delivers every key-down of a hardware keyboard to `page.on_keyboard_event`, also while a
text field has the focus, so a shortcut is a combination typing never makes (Ctrl/⌘ + letter)
or a function key. A browser keeps some combinations for itself (Ctrl+N opens a window in
Chrome and never reaches the page), so each action also has a function key. No printable key
alone (such as "/") is a shortcut: it would be taken from the diary or a note being typed.
"""

from __future__ import annotations

import flet as ft

from app.state.app import App
from app.ui.responsive import Viewport

SEARCH, NEW_CLIENT, SCAN = "search", "new_client", "scan"

# (key label as Flutter names it, needs Ctrl or ⌘) -> action
SHORTCUTS: dict[tuple[str, bool], str] = {
    ("F", True): SEARCH,
    ("F3", False): SEARCH,
    ("N", True): NEW_CLIENT,
    ("F4", False): NEW_CLIENT,
    ("S", True): SCAN,
    ("F2", False): SCAN,
}


def action_for(key: str, ctrl: bool, meta: bool = False, alt: bool = False) -> str | None:
    if alt:
        return None
    command = ctrl or meta
    return SHORTCUTS.get((key.upper() if command else key, command))


def run(action: str, app: App, viewport: Viewport) -> None:
    """What a shortcut does, as the navigation would do it; nothing on a screen that must not be
    left: the login, the lock screen, the questionnaire handed to a client."""
    if app.ui.route == "/login" or app.lock.blocking or app.register.handover:
        return
    viewport.close_more()
    if action == SEARCH:
        # On a wide screen the list stays beside an open profile; elsewhere the list replaces it.
        if not (viewport.wide and app.ui.route.startswith("/clients")):
            app.ui.go("/clients")
        viewport.focus_search()
    elif action == NEW_CLIENT:
        app.register.start()
    elif action == SCAN:
        if not app.ui.route.startswith("/scan"):
            app.scan.start()
        viewport.focus_scanner()


def attach(page: ft.Page, app: App, viewport: Viewport) -> None:
    def on_key(e: ft.KeyboardEvent) -> None:
        action = action_for(e.key, e.ctrl, e.meta, e.alt)
        if action is not None:
            run(action, app, viewport)

    page.on_keyboard_event = on_key
