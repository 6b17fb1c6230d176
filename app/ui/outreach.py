"""Writing to a client from her profile: occasion, language, channel, the filled text to edit,
and "Отправить", which opens the device's own app (the platform's link opener, app.services.platform.links) and logs the
contact. A channel she did not consent to is marked and refused with its reason.

One component (`OutreachCard`) the profile places in its right column; its state is
app.state.outreach.OutreachModel.
"""

from __future__ import annotations

import flet as ft

from app.cache.queries import ProfileData
from app.state.context import AppModel
from app.state.outreach import OutreachModel
from app.ui import theme
from app.ui.strings import t
from sync.rules.outreach import CHANNELS, LANGS, LOG_CHANNEL

ICONS = {
    "sms": ft.Icons.SMS,
    "email": ft.Icons.EMAIL,
    "whatsapp": ft.Icons.CHAT,
    "telegram": ft.Icons.SEND,
    "call": ft.Icons.CALL,
}


def _chip(label: str, selected: bool, on_select, icon: ft.IconData | None = None, allowed: bool = True) -> ft.Control:
    return ft.Chip(
        label=ft.Text(label, size=13, color=None if allowed else theme.MUTED),
        leading=ft.Icon(icon, size=18, color=theme.INK if allowed else theme.MUTED) if icon else None,
        selected=selected,
        selected_color="#E9DCC9",
        bgcolor="#F6F1EA",
        on_select=on_select,
        show_checkmark=icon is None,  # a channel keeps its own icon; the colour says it is chosen
    )


def _card(title: str, *controls: ft.Control) -> ft.Control:
    return theme.panel(
        key="outreach",
        content=ft.Column(
            [ft.Text(title, size=15, weight=ft.FontWeight.W_600, color=theme.ACCENT), *controls],
            spacing=8,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        ),
    )


@ft.component
def OutreachButton(o: OutreachModel, ui: AppModel, p: ProfileData, editing: bool = False) -> ft.Control:
    """ "Написать" among the profile's actions: opens the composer at the top of her right column."""

    async def start(_):
        await o.start(p, ui.lang)

    return ft.OutlinedButton(
        t(ui.lang, "outreach.write"),
        icon=ft.Icons.OUTGOING_MAIL,
        visible=not editing and not (o.composing and o.client_id == p.client.id),
        on_click=start,
    )


@ft.component
def OutreachCard(o: OutreachModel, ui: AppModel, p: ProfileData) -> ft.Control:
    """The composer while it is open, then what the last send opened; nothing otherwise (the
    profile's other cards keep their places)."""
    lang = ui.lang
    composing = o.composing and o.client_id == p.client.id

    async def send(_):
        await o.send()

    def typed(e):
        o.set_text(e.control.value)

    if not composing:
        if o.done is None or o.client_id != p.client.id:
            return ft.Container(visible=False)
        return _card(
            t(lang, "outreach.title"),
            ft.Text(t(lang, o.done), color=theme.OK),
            # where it went, without the text (already in her history below)
            ft.Text(o.last_link.split("?")[0], size=12, color=theme.MUTED),
        )

    consents = o.consents
    templates = ft.Row(
        wrap=True,
        spacing=6,
        run_spacing=6,
        controls=[_chip(x.title, x.id == o.template_id, lambda _, i=x.id: o.choose_template(i)) for x in o.of_lang()],
    )
    langs = ft.Row(
        spacing=6,
        controls=[_chip(t(lang, f"outreach.lang.{x}"), x == o.lang, lambda _, x=x: o.choose_lang(x)) for x in LANGS],
    )
    channels = ft.Row(
        wrap=True,
        spacing=6,
        run_spacing=6,
        controls=[
            _chip(
                t(lang, f"outreach.channel.{c}"),
                c == o.channel,
                lambda _, c=c: o.choose_channel(c),
                ICONS[c],
                allowed=bool(consents.get(LOG_CHANNEL[c])),
            )
            for c in CHANNELS
        ],
    )
    return _card(
        t(lang, "outreach.title"),
        ft.Text(t(lang, "outreach.occasion"), color=theme.MUTED, size=13),
        langs,
        templates,
        ft.Text(t(lang, "outreach.channel"), color=theme.MUTED, size=13),
        channels,
        ft.Text(t(lang, o.problem), color=theme.ERROR, visible=o.problem is not None, key="outreach-problem"),
        ft.TextField(
            label=t(lang, "outreach.text"),
            value=o.text,
            on_change=typed,
            multiline=True,
            min_lines=3,
            max_lines=8,
            max_length=4000,
        ),
        ft.Row(
            wrap=True,
            controls=[
                ft.FilledButton(t(lang, "outreach.send"), icon=ft.Icons.SEND, on_click=send),
                ft.TextButton(t(lang, "outreach.cancel"), on_click=lambda _: o.close()),
            ],
        ),
    )
