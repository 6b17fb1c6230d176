"""Hand-over mode: the tablet in the client's hands.

It replaces the whole shell (no navigation, no sync banner, no other client's data, no
local duplicate matches): the questionnaire and the consent texts in large type, the
signature pad, "Подписать". One column that fits a portrait screen. The consultant takes
the tablet back with her PIN (app.state.lock.LockModel.verify_consultant).
"""

from __future__ import annotations

import asyncio

import flet as ft

from app.state.context import AppModel
from app.state.register import RegisterModel
from app.ui import theme
from app.ui.fields import SETTLE
from app.ui.questionnaire import consents_section, label_of, problem_line, questionnaire_fields
from app.ui.signature_pad import SignaturePad
from app.ui.strings import t

MAX_WIDTH = 760  # a readable line in landscape; a portrait tablet is narrower anyway


@ft.component
def GiveBack(r: RegisterModel, ui: AppModel) -> ft.Control:
    """The consultant's way out: her PIN, sent with Enter or the button."""
    lang = ui.lang

    # Kept here, not in the (observed) model, until it is sent: a re-render per keystroke
    # reached the browser late and could empty the field while it was being typed in.
    typed: dict[str, str] = ft.use_ref(dict[str, str]).current  # type: ignore[arg-type,assignment]  # Flet types the factory loosely

    def keep(e) -> None:
        typed["pin"] = e.control.value

    async def leave(_=None) -> None:
        await asyncio.sleep(SETTLE)  # a field's last change may reach Python just after its Enter
        r.exit_pin = typed.pop("pin", r.exit_pin)
        await r.leave_handover()

    return ft.Container(
        padding=12,
        border=ft.Border.only(top=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
        content=ft.Row(
            wrap=True,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
            controls=[
                ft.Text(t(lang, "handover.consultant"), color=theme.MUTED),
                ft.TextField(
                    label=t(lang, "handover.pin"),
                    value=typed.get("pin", r.exit_pin),
                    password=True,
                    width=200,
                    keyboard_type=ft.KeyboardType.NUMBER,
                    on_change=keep,
                    on_submit=leave,
                    error=t(lang, r.exit_error) if r.exit_error else None,
                ),
                ft.TextButton(t(lang, "handover.leave"), icon=ft.Icons.LOCK_OPEN, on_click=leave),
            ],
        ),
    )


@ft.component
def HandoverScreen(r: RegisterModel, ui: AppModel) -> ft.Control:
    lang = ui.lang

    async def sign(_) -> None:
        await r.sign()

    if r.signed_form is not None:
        body: list[ft.Control] = [
            ft.Icon(ft.Icons.CHECK_CIRCLE, color=theme.OK, size=64),
            ft.Text(t(lang, "handover.thanks"), size=28, weight=ft.FontWeight.BOLD),
            ft.Text(t(lang, "handover.give_back"), size=20),
        ]
    else:
        problem = problem_line(r, lang, lambda n: label_of(lang, n))
        body = [
            ft.Row(
                [
                    ft.Text(t(lang, "handover.title"), size=28, weight=ft.FontWeight.BOLD, expand=True),
                    # She reads the consents in her language; the PDF records which texts she was shown.
                    ft.TextButton(t(lang, "lang.switch"), on_click=lambda _: ui.switch_lang()),
                ]
            ),
            ft.Text(t(lang, "handover.hint"), size=18, color=theme.MUTED),
            ft.Container(height=8),
            *questionnaire_fields(r, lang, large=True),
            *consents_section(r, lang, large=True),
            SignaturePad(r.pad, lang, on_stroke=lambda: r.forget_error("signature")),
            ft.Text(problem, color=theme.ERROR, weight=ft.FontWeight.W_600, size=18, visible=bool(problem)),
            ft.FilledButton(
                t(lang, "handover.sign"),
                icon=ft.Icons.HISTORY_EDU,
                on_click=sign,
                disabled=r.busy,
                style=ft.ButtonStyle(text_style=ft.TextStyle(size=20), padding=20),
            ),
            ft.ProgressRing(visible=r.busy),
        ]
    content = ft.Container(
        width=MAX_WIDTH,
        padding=16,
        content=ft.Column(spacing=14, horizontal_alignment=ft.CrossAxisAlignment.STRETCH, controls=body),
    )
    return ft.Column(
        expand=True,
        spacing=0,
        controls=[
            ft.Column(
                expand=True,
                scroll=ft.ScrollMode.AUTO,
                horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                controls=[content],
            ),
            GiveBack(r, ui),
        ],
    )
