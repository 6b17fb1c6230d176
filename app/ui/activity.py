"""What counts as the consultant's activity for the idle lock: any input event of the page.

Flet 1.0 has no page-wide pointer event: a parent GestureDetector loses a quick tap to the
button under it (checked in the browser: clicks on a button never reached one), and keys
come through `page.on_keyboard_event` only from a hardware keyboard. So every event the
page's session dispatches to a control is looked at once, by name, before its handler runs.
Only names a person causes count: a camera frame or a finished animation must not keep
a tablet open on the counter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

INPUT_EVENTS = frozenset(
    {
        "click",
        "change",
        "submit",
        "focus",
        "tap",
        "tap_down",
        "tap_up",
        "double_tap",
        "long_press",
        "long_press_start",
        "secondary_tap",
        "pan_down",
        "pan_start",
        "pan_update",
        "hover",
        "scroll",
        "select",
        "selection_change",
        "keyboard_event",
        "dismiss",
    }
)


def observe_activity(page: ft.Page, on_activity: Callable[[], None]) -> None:
    """Call `on_activity` before the page's handler of every input event (see INPUT_EVENTS)."""
    session = page.session
    dispatch = session.dispatch_event

    async def dispatch_event(control_id: int, event_name: str, event_data: Any) -> None:
        if event_name in INPUT_EVENTS:
            on_activity()
        await dispatch(control_id, event_name, event_data)

    session.dispatch_event = dispatch_event  # type: ignore[method-assign]
