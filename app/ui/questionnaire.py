"""The registration questionnaire's fields and its consents, for the register screen and for
hand-over mode (the same controls in large type)."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from app.state.register import RegisterModel
from app.ui import theme
from app.ui.fields import text_field
from app.ui.profile_form import LABELS
from app.ui.strings import t
from sync.models import SIZE_FIELDS

EXTRA_LABELS = {
    "heard_from": "register.heard_from",
    "referral_code": "register.referral",
    "gender": "register.gender",
}


def _size(large: bool) -> float | None:
    return 22 if large else None


def questionnaire_fields(r: RegisterModel, lang: str, large: bool = False) -> list[ft.Control]:
    """The questionnaire's fields, laid out in rows that wrap on a narrow (portrait) screen."""
    form = r.form
    size = _size(large)

    def field(name: str, hint: str | None = None, **kw) -> ft.Control:
        def change(e, name=name):
            r.set_field(name, e.control.value)

        err = r.errors.get(name)
        label = t(lang, LABELS.get(name) or EXTRA_LABELS[name])
        return text_field(
            label,
            hint=hint,
            value=form.get(name, ""),
            on_change=change,
            error=t(lang, err) if err else None,
            text_size=size,
            **kw,
        )

    def cell(control: ft.Control, md: int = 4) -> ft.Control:
        return ft.Container(control, col={"xs": 12, "md": md})

    phone = field("phone", "+7 916 123-45-67", keyboard_type=ft.KeyboardType.PHONE)
    if r.quick:
        return [ft.ResponsiveRow([cell(field("last_name")), cell(field("first_name")), cell(phone)])]
    gender_err = r.errors.get("gender")

    def gender_changed(e) -> None:
        r.set_field("gender", e.control.value or "")

    gender = ft.Column(
        spacing=0,
        controls=[
            ft.Text(t(lang, "register.gender"), color=theme.MUTED, size=size),
            ft.RadioGroup(
                value=form.get("gender") or None,
                on_change=gender_changed,
                content=ft.Row(
                    [
                        ft.Radio(value="female", label=t(lang, "register.female")),
                        ft.Radio(value="male", label=t(lang, "register.male")),
                    ]
                ),
            ),
            ft.Text(t(lang, gender_err) if gender_err else "", color=theme.ERROR, visible=bool(gender_err)),
        ],
    )
    hint = t(lang, "profile.list_hint")
    return [
        ft.ResponsiveRow(
            [
                cell(field("last_name")),
                cell(field("first_name")),
                cell(field("middle_name")),
                cell(phone),
                cell(field("email", keyboard_type=ft.KeyboardType.EMAIL)),
                cell(field("birthday", t(lang, "profile.date_hint"))),
                cell(gender, 12),
            ]
        ),
        ft.Text(t(lang, "profile.sizes"), weight=ft.FontWeight.W_600, color=theme.ACCENT, size=size),
        ft.ResponsiveRow([ft.Container(field(f"size_{k}"), col={"xs": 6, "md": 2}) for k in SIZE_FIELDS]),
        field("preferred_brands", hint),
        ft.ResponsiveRow(
            [cell(field("heard_from"), 8), cell(field("referral_code", t(lang, "register.referral_hint")))]
        ),
    ]


def consents_section(r: RegisterModel, lang: str, large: bool = False) -> list[ft.Control]:
    """Each consent's full text, then her answer to it; the first (processing) is required."""
    out: list[ft.Control] = [
        ft.Text(t(lang, "register.consents"), size=20 if large else 18, weight=ft.FontWeight.W_600)
    ]
    for text in r.texts():
        name = f"consent_{text.purpose}"
        err = r.errors.get(name)

        def changed(e, name=name) -> None:
            r.set_field(name, bool(e.control.value))

        out.append(
            ft.Container(
                padding=12,
                border=ft.Border.all(1, theme.ERROR if err else ft.Colors.OUTLINE_VARIANT),
                border_radius=8,
                content=ft.Column(
                    spacing=8,
                    controls=[
                        ft.Markdown(
                            text.text,
                            selectable=False,
                            md_style_sheet=ft.MarkdownStyleSheet(
                                p_text_style=ft.TextStyle(size=18), list_bullet_text_style=ft.TextStyle(size=18)
                            )
                            if large
                            else None,
                        ),
                        ft.Text(t(lang, "register.text_version", text.version), color=theme.MUTED, size=12),
                        ft.Checkbox(
                            label=t(lang, f"register.agree_{text.purpose}"),
                            value=bool(r.form.get(name)),
                            on_change=changed,
                            label_style=ft.TextStyle(size=_size(large)),
                        ),
                        ft.Text(t(lang, err) if err else "", color=theme.ERROR, visible=bool(err)),
                    ],
                ),
            )
        )
    return out


def problem_line(r: RegisterModel, lang: str, label_of: Callable[[str], str]) -> str:
    """One line naming what to fix, "" when nothing."""
    names = [n for n in r.errors if n != "_form"]
    if names:
        return t(lang, "form.check_fields", ", ".join(label_of(n) for n in names))
    err = r.errors.get("_form")
    return t(lang, err) if err else ""


def label_of(lang: str, name: str) -> str:
    if name.startswith("consent_"):
        return t(lang, "register.consent_label")
    if name == "signature":
        return t(lang, "signature.title")
    return t(lang, LABELS.get(name) or EXTRA_LABELS[name])
