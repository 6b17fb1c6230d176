"""Input controls whose accessible name is their label and nothing else.

Flutter adds a text field's hint to its accessible name while the field has focus ("Телефон"
becomes "Телефон +7 916 123-45-67"), so a screen reader (and a browser test) meets a different
field on each visit. The example value is shown as helper text under the field instead: always
visible, and its own text node for assistive technology.
"""

from __future__ import annotations

from typing import Any

import flet as ft

SETTLE = 0.3
"""Seconds a form's Enter waits before it reads what was typed: the browser can send a field's
last change just after its Enter."""


def text_field(label: str, *, hint: str | None = None, **kw: Any) -> ft.TextField:
    """A `TextField` named `label`; `hint` (an example or a format) is shown under it."""
    if "hint_text" in kw:
        raise TypeError("text_field shows its hint as helper text: pass hint=, not hint_text=")
    return ft.TextField(label=label, helper=hint, **kw)
