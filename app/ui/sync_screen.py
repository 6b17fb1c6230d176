"""The sync screen: progress of long pulls, the queue, and what the hub rejected (each
refusal names the thing refused: "Привязка чека № 18280 на 12 345 ₽ от 21.03.2026 — …")."""

from __future__ import annotations

import flet as ft

from app.state.context import AppModel
from app.state.sync import SyncModel
from app.ui import operations, theme
from app.ui.strings import t


@ft.component
def SyncScreen(sync: SyncModel, ui: AppModel) -> ft.Control:
    lang = ui.lang
    s = sync.status

    def dismiss(mutation_id: str):
        async def handler(_):  # async def, not a lambda: Flet awaits only coroutine functions
            await sync.dismiss_rejection(mutation_id)
        return handler
    ft.use_effect(sync.load_rejections, [s.rejected])  # a coroutine function: Flet awaits it
    if s.pull_total:
        progress = ft.ProgressBar(value=min(1.0, s.pulled / s.pull_total), semantics_label="pull-progress")
        caption = t(lang, "sync.progress", s.pulled, s.pull_total)
    else:
        progress = ft.ProgressBar(value=None if s.syncing else 0, semantics_label="pull-progress")
        caption = t(lang, "sync.progress_unknown", s.pulled)
    rejected = [
        ft.ListTile(
            leading=ft.Icon(ft.Icons.ERROR_OUTLINE, color=theme.ERROR),
            title=ft.Text(operations.line(r, lang)),
            trailing=ft.TextButton(t(lang, "sync.dismiss"), on_click=dismiss(r.id)),
        )
        for r in sync.rejections
    ]
    return ft.Column(
        expand=True,
        scroll=ft.ScrollMode.AUTO,
        controls=[
            ft.Text(t(lang, "sync.title"), size=22, weight=ft.FontWeight.BOLD),
            progress,
            ft.Text(caption),
            ft.Text(t(lang, "sync.pending", s.pending)),
            ft.Text(t(lang, "sync.error", s.error), color=theme.ERROR, visible=bool(s.error)),
            ft.FilledButton(t(lang, "banner.sync_now"), icon=ft.Icons.SYNC, on_click=lambda _: sync.sync_now()),
            ft.Text(t(lang, "sync.rejected_title"), size=16, weight=ft.FontWeight.W_600, visible=bool(rejected)),
            *rejected,
            ft.Text(t(lang, "sync.device", sync.device_id), color=theme.MUTED, size=11),
        ],
    )
