"""The lock screen: set a PIN, or type it to go on. Nothing of the store's book shows here:
it replaces the whole shell (no navigation, no sync banner, no screen behind)."""

from __future__ import annotations

import asyncio

import flet as ft

from app.state.context import AppModel
from app.state.lock import LockModel, LockState
from app.state.session import SessionModel
from app.ui import theme
from app.ui.card import centered_card
from app.ui.fields import SETTLE, text_field
from app.ui.strings import t


@ft.component
def LockScreen(lock: LockModel, session: SessionModel, ui: AppModel) -> ft.Control:
    lang = ui.lang
    setup = lock.state is LockState.SETUP
    shown, set_shown = ft.use_state(False)

    # What is typed is kept here, not in the (observed) lock model, until it is sent: a
    # re-render per keystroke reached the browser late and could empty the other field.
    typed: dict[str, str] = ft.use_ref(dict[str, str]).current  # type: ignore[arg-type,assignment]  # Flet types the factory loosely

    async def submit(_=None):
        await asyncio.sleep(SETTLE)  # a field's last change may reach Python just after its Enter
        for name, value in typed.items():
            setattr(lock, name, value)
        typed.clear()
        if setup:
            await lock.set_pin()
        else:
            await lock.unlock()

    async def forgot(_):
        await lock.forgot()

    def set_pin(e):
        typed["pin"] = e.control.value

    def set_confirm(e):
        typed["confirm"] = e.control.value

    def pin_field(label: str, value: str, on_change, autofocus: bool = False) -> ft.TextField:
        return text_field(
            label,
            value=value,
            password=not shown,
            keyboard_type=ft.KeyboardType.NUMBER,
            input_filter=ft.NumbersOnlyInputFilter(),
            max_length=6,
            on_change=on_change,
            on_submit=submit,
            autofocus=autofocus,
            disabled=lock.busy,
        )

    who = session.current
    fields = [pin_field(t(lang, "lock.pin"), typed.get("pin", lock.pin), set_pin, autofocus=True)]
    if setup:
        fields.append(pin_field(t(lang, "lock.pin_again"), typed.get("confirm", lock.confirm), set_confirm))
    return centered_card(
        [
            ft.Row(
                [
                    ft.Icon(ft.Icons.LOCK_OUTLINE, color=theme.ACCENT),
                    ft.Text(t(lang, "app.title"), size=24, weight=ft.FontWeight.BOLD, color=theme.INK),
                ]
            ),
            ft.Text(
                t(lang, "lock.setup_title" if setup else "lock.locked_title"),
                size=18,
                weight=ft.FontWeight.W_600,
            ),
            ft.Text(t(lang, "lock.setup_hint" if setup else "lock.locked_hint"), color=theme.MUTED),
            ft.Text(t(lang, "lock.who", who.consultant_name if who else ""), visible=who is not None),
            *fields,
            ft.Checkbox(
                label=t(lang, "lock.show_pin"),
                value=shown,
                on_change=lambda e: set_shown(bool(e.control.value)),
            ),
            ft.Text(t(lang, lock.error), color=theme.ERROR, visible=bool(lock.error)),
            ft.Row(
                [
                    ft.FilledButton(
                        t(lang, "lock.save" if setup else "lock.unlock"), on_click=submit, disabled=lock.busy
                    ),
                    ft.ProgressRing(width=20, height=20, visible=lock.busy),
                    ft.TextButton(t(lang, "lang.switch"), on_click=lambda _: ui.switch_lang()),
                ],
                alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
            ),
            ft.TextButton(t(lang, "lock.forgot"), on_click=forgot, disabled=lock.busy, visible=not setup),
        ]
    )
