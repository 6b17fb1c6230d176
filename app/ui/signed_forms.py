"""The profile's signed forms: each opens its PDF; a client who has not signed is asked to.

Opening hands the PDF to the platform (app.services.platform.documents): in a browser a
download (the browser's PDF viewer opens it from there), on a desktop the system's viewer,
on a phone the share sheet.
"""

from __future__ import annotations

import flet as ft

from app.cache.queries import ClientDetail
from app.cache.signed_forms import FormRow
from app.state.register import RegisterModel
from app.state.signed_forms import SignedFormsModel
from app.ui import formatting, theme
from app.ui.questionnaire import label_of
from app.ui.strings import t


def pdf_name(form: FormRow) -> str:
    return f"anketa-{form.signed_at[:10]}-{form.id[:8]}.pdf"


@ft.component
def SignedFormsCard(forms: SignedFormsModel, register: RegisterModel, client: ClientDetail, lang: str) -> ft.Control:
    async def reload() -> None:
        await forms.load(client.id, client.fields)

    ft.use_effect(reload, [client])

    def opener(form: FormRow):
        async def open_pdf(_) -> None:
            await forms.open_pdf(form, pdf_name(form))

        return open_pdf

    async def sign(_) -> None:
        await register.open_for(client.id)

    controls: list[ft.Control] = [ft.Text(t(lang, "forms.title"), weight=ft.FontWeight.W_600, color=theme.ACCENT)]
    if forms.client_id == client.id:
        if not forms.signed:
            controls.append(ft.Text("✎ " + t(lang, "forms.unsigned"), color=theme.WARN, weight=ft.FontWeight.W_600))
        if forms.missing:
            names = ", ".join(label_of(lang, n) for n in forms.missing)
            controls.append(ft.Text(t(lang, "forms.missing", names), color=theme.MUTED))
        for f in forms.forms:
            when = formatting.date_time(f.signed_at, lang) if f.signed_at else ""
            state = t(lang, "forms.pending") if f.pending else ""
            controls.append(
                ft.Column(  # stacked: the profile's column is narrow in portrait
                    spacing=2,
                    controls=[
                        ft.Row(
                            [
                                ft.Icon(ft.Icons.PICTURE_AS_PDF, color=theme.ACCENT),
                                ft.Text(t(lang, "forms.signed_at", when), expand=True),
                            ]
                        ),
                        ft.Text(state, color=theme.WARN, size=12, visible=bool(state)),
                        ft.TextButton(
                            t(lang, "forms.open"), icon=ft.Icons.DOWNLOAD, on_click=opener(f), disabled=not f.pdf_sha256
                        ),
                    ],
                )
            )
        if not forms.forms:
            controls.append(ft.Text(t(lang, "forms.none"), color=theme.MUTED))
        if forms.error is not None:
            controls.append(ft.Text(t(lang, forms.error), color=theme.ERROR))
        if not forms.signed or forms.missing:
            controls.append(ft.FilledButton(t(lang, "forms.sign"), icon=ft.Icons.DRAW, on_click=sign))
    return ft.Container(
        padding=12,
        border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
        border_radius=12,
        content=ft.Column(controls, spacing=8),
    )
