"""Registering a client, offline-capable: a quick card, or the questionnaire handed to her to sign.

Under the mode switch: the clients on this device that match what is typed (`LocalMatches`),
then the brand's (app/ui/duplicates.py: clients of other boutiques of the chain, asked of the hub).
"""

from __future__ import annotations

import flet as ft

from app.state.context import AppModel
from app.state.duplicates import DuplicatesModel
from app.state.register import RegisterModel
from app.ui import theme
from app.ui.duplicates import DuplicatesPanel
from app.ui.profile_form import ProfileForm
from app.ui.questionnaire import label_of, problem_line, questionnaire_fields
from app.ui.strings import t


@ft.component
def LocalMatches(r: RegisterModel, ui: AppModel) -> ft.Control:
    """Clients on this device with the phone, e-mail or name and birthday typed: open her instead."""
    lang = ui.lang
    if not r.matches:
        return ft.Container(visible=False)

    def opener(cid: str):
        async def go(_) -> None:
            await r.open_match(cid)

        return go

    rows: list[ft.Control] = [
        ft.Row(  # not wrapping: an expanding text cannot sit in a wrap
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
            controls=[
                ft.Icon(ft.Icons.PERSON_SEARCH, color=theme.WARN),
                ft.Text(t(lang, f"register.match_{why}", c.full_name, c.masked_phone), expand=True),
                ft.OutlinedButton(t(lang, "register.open_match", c.short_name), on_click=opener(c.id)),
            ],
        )
        for why, c in r.matches
    ]
    return ft.Container(
        padding=10,
        border_radius=8,
        bgcolor=ft.Colors.with_opacity(0.10, theme.WARN),
        content=ft.Column(rows, spacing=4),
    )


@ft.component
def RegisterScreen(register: RegisterModel, ui: AppModel, duplicates: DuplicatesModel | None = None) -> ft.Control:
    r, lang = register, ui.lang

    async def cancel(_=None) -> None:
        await r.cancel()

    hand_over = ft.OutlinedButton(t(lang, "register.hand_over"), icon=ft.Icons.DRAW, on_click=lambda _: r.hand_over())

    def mode_button(key: str, quick: bool) -> ft.Control:
        # Buttons, not chips: a chip's accessible name is not its label in Flutter's web semantics.
        kind = ft.FilledTonalButton if r.quick == quick else ft.TextButton
        return kind(t(lang, key), on_click=lambda _: r.set_quick(quick))

    mode = ft.Row(
        wrap=True,
        controls=[mode_button("register.quick", True), mode_button("register.full", False)],
        visible=r.client_id is None,
    )
    title = t(lang, "register.activate_title", r.client_name) if r.client_id is not None else t(lang, "register.title")
    head: list[ft.Control] = [
        ft.Text(title, size=22, weight=ft.FontWeight.BOLD),
        ft.Text(t(lang, "register.hint_sign" if r.client_id else "register.hint"), color=theme.MUTED),
        mode,
        LocalMatches(r, ui),
    ]
    if duplicates is not None:  # never in hand-over mode (another screen): she must not see other clients
        head.append(DuplicatesPanel(duplicates, r, ui, remote_only=True))
    if r.client_id is None and not r.quick:
        body: ft.Control = ProfileForm(r, ui, r.save, r.cancel, "register.submit", extra_actions=[hand_over])
        return ft.Column(expand=True, controls=[*head, body])

    async def save(_) -> None:
        await r.save()

    problem = problem_line(r, lang, lambda n: label_of(lang, n))
    actions = ft.Row(
        wrap=True,
        controls=[
            ft.FilledButton(t(lang, "register.submit"), icon=ft.Icons.SAVE, on_click=save, visible=r.quick),
            hand_over,
            ft.TextButton(t(lang, "profile.cancel"), on_click=cancel),
        ],
    )
    return ft.Column(
        expand=True,
        controls=[
            *head,
            ft.Column(
                expand=True,
                scroll=ft.ScrollMode.AUTO,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                controls=[ft.Container(height=8), *questionnaire_fields(r, lang)],
            ),
            ft.Text(problem, color=theme.ERROR, weight=ft.FontWeight.W_600, visible=bool(problem)),
            actions,
        ],
    )
