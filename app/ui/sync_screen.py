"""The sync screen: progress of long pulls, the queue, and what the hub rejected (each
refusal names the thing refused: "Привязка чека № 18280 на 12 345 ₽ от 21.03.2026 — …")."""

from __future__ import annotations

import flet as ft

from app.state.context import AppModel
from app.state.duplicates import PairsModel
from app.state.sync import SyncModel, SyncStatus
from app.ui import formatting as fmt
from app.ui import operations, theme
from app.ui.duplicates import DuplicatePairsSection
from app.ui.strings import count, t


@ft.component
def SyncScreen(sync: SyncModel, ui: AppModel, pairs: PairsModel | None = None) -> ft.Control:
    """`pairs`: the store's duplicate pairs, listed here for a manager (app.ui.duplicates)."""
    lang = ui.lang
    s = sync.status

    def dismiss(mutation_id: str):
        async def handler(_):  # async def, not a lambda: Flet awaits only coroutine functions
            await sync.dismiss_rejection(mutation_id)

        return handler

    ft.use_effect(sync.load_rejections, [s.rejected])  # a coroutine function: Flet awaits it
    if s.pull_total:
        share = min(1.0, s.pulled / s.pull_total)
        progress = ft.ProgressBar(value=share, semantics_label="pull-progress", visible=s.syncing)
        caption = t(lang, "sync.progress", fmt.number(s.pulled, lang), fmt.number(s.pull_total, lang))
    else:
        share = None
        progress = ft.ProgressBar(value=None, semantics_label="pull-progress", visible=s.syncing)
        caption = t(lang, "sync.progress_unknown", fmt.number(s.pulled, lang))
    rejected = [
        ft.ListTile(
            leading=ft.Icon(ft.Icons.ERROR_OUTLINE, color=theme.ERROR),
            title=ft.Text(operations.line(r, lang)),
            trailing=ft.TextButton(t(lang, "sync.dismiss"), on_click=dismiss(r.id)),
        )
        for r in sync.rejections
    ]
    show_details, set_show_details = ft.use_state(False)
    details = ft.Column(
        spacing=4,
        controls=[
            ft.TextButton(
                t(lang, "sync.details"),
                icon=ft.Icons.EXPAND_LESS if show_details else ft.Icons.EXPAND_MORE,
                on_click=lambda _: set_show_details(not show_details),
            ),
            *(
                [
                    ft.Text(caption, color=theme.MUTED, size=12),
                    ft.Text(t(lang, "sync.pending", s.pending), color=theme.MUTED, size=12),
                    ft.Text(t(lang, "sync.error", s.error), color=theme.MUTED, size=12, visible=bool(s.error)),
                    ft.Text(t(lang, "sync.device", sync.device_id), color=theme.MUTED, size=12),
                ]
                if show_details
                else []
            ),
        ],
    )
    return ft.Column(
        expand=True,
        scroll=ft.ScrollMode.AUTO,
        controls=[
            ft.Text(t(lang, "sync.title"), size=22, weight=ft.FontWeight.BOLD),
            ft.Text(state_line(s, lang), size=16),
            progress,
            ft.Text(t(lang, "sync.trouble"), color=theme.WARN, visible=bool(s.error) and s.online is not False),
            ft.FilledButton(t(lang, "banner.sync_now"), icon=ft.Icons.SYNC, on_click=lambda _: sync.sync_now()),
            ft.Text(t(lang, "sync.rejected_title"), size=16, weight=ft.FontWeight.W_600, visible=bool(rejected)),
            *rejected,
            details,
            *([DuplicatePairsSection(pairs, ui)] if pairs is not None else []),
        ],
    )


def state_line(s: SyncStatus, lang: str) -> str:
    """Where sync stands, in a sentence a consultant reads at a glance (figures are under "Подробнее")."""
    if s.syncing and s.pull_total:
        return t(lang, "sync.state_loading", fmt.number(round(100 * min(1.0, s.pulled / s.pull_total)), lang))
    if s.syncing:
        return t(lang, "sync.state_syncing")
    if s.online is False:
        return t(lang, "sync.state_offline")
    if s.pending:
        return t(lang, "sync.state_waiting", count(lang, "changes", s.pending))
    if s.last_sync is None:
        return t(lang, "sync.state_never")
    return t(lang, "sync.state_done", fmt.date_time(s.last_sync, lang))
