"""The Settings screen: hub address, language, sync interval, this device, sync now, reset."""

from __future__ import annotations

from functools import partial

import flet as ft

from app.services.device_settings import INTERVALS, LANGS
from app.state.context import AppModel
from app.state.settings import SettingsModel
from app.ui import formatting, theme
from app.ui.strings import count, kind_label, t

LANG_NAMES = {"ru": "Русский", "en": "English"}


def megabytes(size: int | None, lang: str) -> str:
    if size is None:
        return "…"
    return f"{formatting.number(round(size / 1_000_000, 1), lang)} {'МБ' if lang == 'ru' else 'MB'}"


def interval_text(seconds: float, lang: str) -> str:
    if seconds >= 60:
        return t(lang, "settings.interval_min", formatting.number(seconds / 60, lang))
    return t(lang, "settings.interval_s", formatting.number(seconds, lang))


def choice(label: str, selected: bool, on_click) -> ft.Control:
    """One option of a small set: the chosen one filled (a row of buttons: big targets, no menu)."""
    if selected:
        return ft.FilledButton(label, icon=ft.Icons.CHECK, on_click=on_click)
    return ft.OutlinedButton(label, on_click=on_click)


def section(title: str, *controls: ft.Control) -> ft.Control:
    return theme.panel(
        content=ft.Column(spacing=8, controls=[ft.Text(title, weight=ft.FontWeight.W_600, size=16), *controls]),
    )


def reset_panel(s: SettingsModel, lang: str) -> list[ft.Control]:
    """The reset button, or its question: one when nothing is queued, two with the losses listed."""

    async def ask(_):
        await s.ask_reset()

    async def yes(_):
        await s.confirm_reset()

    if s.confirm == 0:
        return [
            ft.Text(t(lang, "settings.reset_hint"), color=theme.MUTED),
            ft.OutlinedButton(
                t(lang, "settings.reset"),
                icon=ft.Icons.DELETE_FOREVER,
                style=ft.ButtonStyle(color=theme.ERROR),
                on_click=ask,
            ),
        ]
    out: list[ft.Control] = []
    if s.losses:
        out.append(
            ft.Text(
                t(lang, "settings.reset_loses", count(lang, "changes", s.unsent)),
                color=theme.ERROR,
                weight=ft.FontWeight.W_600,
            )
        )
        out += [
            ft.Text(t(lang, "settings.reset_loses_line", kind_label(lang, kind), n), color=theme.ERROR)
            for kind, n in s.losses
        ]
        out.append(ft.Text(t(lang, "settings.reset_sync_first"), color=theme.MUTED))
        question = "settings.reset_really" if s.confirm >= 2 else None
        button = "settings.reset_final" if s.confirm >= 2 else "settings.reset_anyway"
    else:
        question, button = "settings.reset_confirm", "settings.reset_yes"
    if question:
        out.append(ft.Text(t(lang, question), weight=ft.FontWeight.W_600))
    out.append(
        ft.Row(
            wrap=True,
            controls=[
                ft.FilledButton(
                    t(lang, button),
                    icon=ft.Icons.DELETE_FOREVER,
                    style=ft.ButtonStyle(bgcolor=theme.ERROR, color=ft.Colors.WHITE),
                    on_click=yes,
                    disabled=s.busy,
                ),
                ft.TextButton(t(lang, "settings.reset_cancel"), on_click=lambda _: s.cancel_reset()),
            ],
        )
    )
    return out


@ft.component
def SettingsScreen(s: SettingsModel, ui: AppModel) -> ft.Control:
    lang = ui.lang

    def typed(e):
        s.hub_url = e.control.value

    async def save_hub(_):
        await s.save_hub()

    async def pick_lang(value: str, _e):
        await s.set_lang(value)

    async def pick_interval(value: float, _e):
        await s.set_interval(value)

    device = t(lang, "settings.device_id", s.device_id) if s.device_id else t(lang, "settings.no_device_id")
    return ft.Column(
        expand=True,
        scroll=ft.ScrollMode.AUTO,
        spacing=12,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        controls=[
            ft.Text(t(lang, "settings.title"), size=22, weight=ft.FontWeight.BOLD),
            *([ft.Text(t(lang, s.message), color=theme.OK)] if s.message else []),
            section(
                t(lang, "settings.hub"),
                ft.Row(
                    [
                        ft.TextField(
                            label=t(lang, "settings.hub"),
                            value=s.hub_url,
                            on_change=typed,
                            on_submit=save_hub,
                            error=t(lang, s.hub_error) if s.hub_error else None,
                            expand=True,
                            prefix_icon=ft.Icons.CLOUD_OUTLINED,
                        ),
                        ft.FilledButton(t(lang, "settings.hub_save"), icon=ft.Icons.SAVE, on_click=save_hub),
                    ]
                ),
            ),
            section(
                t(lang, "settings.language"),
                ft.Row(
                    wrap=True,
                    controls=[choice(LANG_NAMES[code], lang == code, partial(pick_lang, code)) for code in LANGS],
                ),
            ),
            section(
                t(lang, "settings.interval"),
                ft.Row(
                    wrap=True,
                    controls=[
                        choice(interval_text(v, lang), s.interval == v, partial(pick_interval, v))
                        for v in sorted({*INTERVALS, s.interval})
                    ],
                ),
            ),
            section(
                t(lang, "settings.device"),
                ft.Text(device),
                ft.Text(t(lang, "settings.cache_size", megabytes(s.size, lang))),
                ft.Text(t(lang, "settings.queue", s.unsent)),
                ft.FilledButton(t(lang, "settings.sync_now"), icon=ft.Icons.SYNC, on_click=lambda _: s.sync_now()),
                *reset_panel(s, lang),
            ),
        ],
    )
