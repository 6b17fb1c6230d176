"""Editing a client's profile: the form keeps what was typed, errors show per field."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from app.state.context import AppModel
from app.state.profile import ProfileModel
from app.state.register import RegisterModel
from app.ui import theme
from app.ui.strings import t
from sync.models import CHANNELS, SIZE_FIELDS


@ft.component
def ProfileForm(p: ProfileModel | RegisterModel, ui: AppModel, on_save: Callable[[], Awaitable[object]],
                on_cancel: Callable[[], object], save_label: str = "profile.save") -> ft.Control:
    """The client fields, for editing a profile and for registering a new client."""
    lang = ui.lang
    form = p.form

    def field(name: str, label_key: str, hint: str | None = None, **kw) -> ft.Control:
        def change(e, name=name):
            p.form[name] = e.control.value

        err = p.errors.get(name)
        return ft.TextField(label=t(lang, label_key), value=form.get(name, ""), on_change=change,
                            error=t(lang, err) if err else None, hint_text=hint, **kw)

    def switch(ch: str) -> ft.Control:
        def change(e, ch=ch):
            p.form[f"consent_{ch}"] = e.control.value

        return ft.Switch(label=t(lang, f"profile.consent_{ch}"), value=bool(form.get(f"consent_{ch}")),
                         on_change=change)

    async def save(_):
        await on_save()

    hint = t(lang, "profile.list_hint")
    return ft.Column(
        expand=True,
        scroll=ft.ScrollMode.AUTO,
        spacing=12,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        controls=[
            ft.ResponsiveRow([
                ft.Container(field("last_name", "profile.last_name"), col={"xs": 12, "md": 4}),
                ft.Container(field("first_name", "profile.first_name"), col={"xs": 12, "md": 4}),
                ft.Container(field("middle_name", "profile.middle_name"), col={"xs": 12, "md": 4}),
                ft.Container(field("phone", "profile.phone", "+7 916 123-45-67",
                                   keyboard_type=ft.KeyboardType.PHONE), col={"xs": 12, "md": 4}),
                ft.Container(field("email", "profile.email", keyboard_type=ft.KeyboardType.EMAIL),
                             col={"xs": 12, "md": 4}),
                ft.Container(field("birthday", "profile.birthday", "ДД.ММ.ГГГГ"), col={"xs": 12, "md": 4}),
                ft.Container(field("card_number", "profile.card"), col={"xs": 12, "md": 4}),
            ]),
            ft.Text(t(lang, "profile.sizes"), weight=ft.FontWeight.W_600, color=theme.ACCENT),
            ft.ResponsiveRow([ft.Container(field(f"size_{k}", f"profile.size_{k}"), col={"xs": 6, "md": 2})
                              for k in SIZE_FIELDS]),
            ft.Text(t(lang, "profile.preferences"), weight=ft.FontWeight.W_600, color=theme.ACCENT),
            field("preferred_brands", "profile.brands", hint),
            field("styles", "profile.styles", hint),
            field("colours", "profile.colours", hint),
            field("notes", "profile.notes", multiline=True, min_lines=2, max_lines=5),
            ft.Text(t(lang, "profile.consents"), weight=ft.FontWeight.W_600, color=theme.ACCENT),
            ft.Row([switch(ch) for ch in CHANNELS], wrap=True, spacing=24),
            ft.Text(t(lang, p.errors.get("_form")) if p.errors else t(lang, "form.invalid"),
                    color=theme.ERROR, visible=bool(p.errors)),
            ft.Row([
                ft.FilledButton(t(lang, save_label), icon=ft.Icons.SAVE, on_click=save),
                ft.TextButton(t(lang, "profile.cancel"), on_click=lambda _: on_cancel()),
            ]),
        ],
    )
