"""Editing a client's profile: the form keeps what was typed, errors show per field.

The fields scroll; the actions sit in a bar below them that never scrolls away, with
the summary of what to fix beside them, so "Сохранить" is on screen at any window size.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import flet as ft

from app.state.context import AppModel
from app.state.messages import Message
from app.state.profile import ProfileModel
from app.state.profile_form import fields_to_fix
from app.state.register import RegisterModel
from app.ui import formatting, theme
from app.ui.fields import text_field
from app.ui.strings import t
from sync.models import CHANNELS, SIZE_FIELDS

LABELS: dict[str, str] = {
    "last_name": "profile.last_name",
    "first_name": "profile.first_name",
    "middle_name": "profile.middle_name",
    "phone": "profile.phone",
    "email": "profile.email",
    "birthday": "profile.birthday",
    "card_number": "profile.card",
    **{f"size_{k}": f"profile.size_{k}" for k in SIZE_FIELDS},
    "preferred_brands": "profile.brands",
    "styles": "profile.styles",
    "colours": "profile.colours",
    "notes": "profile.notes",
}
"""Each field's label (a key of app.ui.strings)."""

FLOATING_LABEL_ROOM = 8
"""Space above the first row of fields: a filled field's label floats up across its border,
and the scrolling area clips whatever sticks out of its top (it cut "Фамилия" in half)."""


def summary(lang: str, errors: Mapping[str, Message]) -> str:
    """One line over the actions: which fields to fix, by their labels; "" when nothing is wrong."""
    names = fields_to_fix(errors)
    if names:
        key = "form.check_field" if len(names) == 1 else "form.check_fields"
        return t(lang, key, ", ".join(t(lang, LABELS[n]) for n in names))
    if errors:
        return t(lang, errors.get("_form") or "form.invalid")
    return ""


@ft.component
def ProfileForm(
    p: ProfileModel | RegisterModel,
    ui: AppModel,
    on_save: Callable[[], Awaitable[object]],
    on_cancel: Callable[[], Awaitable[object]],
    save_label: str = "profile.save",
    extra_actions: list[ft.Control] | None = None,
) -> ft.Control:
    """The client fields, for editing a profile and for registering a new client."""
    lang = ui.lang
    form = p.form
    boxes: dict[str, ft.Ref[ft.TextField]] = {}

    async def focus_first_to_fix() -> None:
        names = fields_to_fix(p.errors)
        box = boxes.get(names[0]) if names else None
        if p.failed_saves and box is not None and box.current is not None:
            await box.current.focus()

    ft.use_effect(focus_first_to_fix, [p.failed_saves])

    def field(name: str, hint: str | None = None, **kw) -> ft.Control:
        def change(e, name=name):
            p.set_field(name, e.control.value)

        err = p.errors.get(name)
        boxes[name] = ref = ft.Ref[ft.TextField]()
        return text_field(
            t(lang, LABELS[name]),
            hint=hint,
            ref=ref,
            value=form.get(name, ""),
            on_change=change,
            error=t(lang, err) if err else None,
            **kw,
        )

    def switch(ch: str) -> ft.Control:
        def change(e, ch=ch):
            p.set_field(f"consent_{ch}", e.control.value)

        return ft.Switch(
            label=t(lang, f"profile.consent_{ch}"), value=bool(form.get(f"consent_{ch}")), on_change=change
        )

    async def save(_):
        await on_save()

    async def cancel(_):
        await on_cancel()

    def heading(key: str) -> ft.Control:
        return ft.Text(t(lang, key), weight=ft.FontWeight.W_600, color=theme.ACCENT)

    hint = t(lang, "profile.list_hint")
    fields = ft.Column(
        expand=True,
        scroll=ft.ScrollMode.AUTO,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        controls=[
            ft.Container(
                padding=ft.Padding.only(top=FLOATING_LABEL_ROOM, bottom=FLOATING_LABEL_ROOM),
                content=ft.Column(
                    spacing=12,
                    horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                    controls=[
                        ft.ResponsiveRow(
                            [
                                ft.Container(field("last_name"), col={"xs": 12, "md": 4}),
                                ft.Container(field("first_name"), col={"xs": 12, "md": 4}),
                                ft.Container(field("middle_name"), col={"xs": 12, "md": 4}),
                                ft.Container(
                                    field("phone", "+7 916 123-45-67", keyboard_type=ft.KeyboardType.PHONE),
                                    col={"xs": 12, "md": 4},
                                ),
                                ft.Container(
                                    field("email", keyboard_type=ft.KeyboardType.EMAIL), col={"xs": 12, "md": 4}
                                ),
                                ft.Container(field("birthday", t(lang, "profile.date_hint")), col={"xs": 12, "md": 4}),
                                ft.Container(field("card_number"), col={"xs": 12, "md": 4}),
                            ]
                        ),
                        heading("profile.sizes"),
                        ft.ResponsiveRow(
                            [ft.Container(field(f"size_{k}"), col={"xs": 6, "md": 2}) for k in SIZE_FIELDS]
                        ),
                        heading("profile.preferences"),
                        field("preferred_brands", hint),
                        field("styles", hint),
                        field("colours", hint),
                        field("notes", multiline=True, min_lines=2, max_lines=5),
                        heading("profile.consents"),
                        ft.Row([switch(ch) for ch in CHANNELS], wrap=True, spacing=24),
                    ],
                ),
            )
        ],
    )
    problem = summary(lang, p.errors)
    draft = t(lang, "form.draft_restored", formatting.date_time(p.draft_from, lang)) if p.draft_from is not None else ""
    actions = ft.Container(
        padding=ft.Padding.only(top=8),
        border=ft.Border.only(top=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
        content=ft.Column(
            spacing=6,
            tight=True,
            controls=[
                ft.Text(problem, color=theme.ERROR, weight=ft.FontWeight.W_600, visible=bool(problem)),
                ft.Row(
                    wrap=True,
                    spacing=12,
                    vertical_alignment=ft.CrossAxisAlignment.CENTER,
                    controls=[
                        ft.FilledButton(t(lang, save_label), icon=ft.Icons.SAVE, on_click=save),
                        *(extra_actions or []),
                        ft.TextButton(t(lang, "profile.cancel"), on_click=cancel),
                        ft.Text(draft, color=theme.MUTED, visible=bool(draft)),
                    ],
                ),
            ],
        ),
    )
    return ft.Column(
        expand=True, spacing=0, horizontal_alignment=ft.CrossAxisAlignment.STRETCH, controls=[fields, actions]
    )
