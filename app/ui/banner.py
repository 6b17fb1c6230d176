"""The connectivity / sync banner at the top of every screen after login."""

from __future__ import annotations

import flet as ft

from app.state.context import AppModel
from app.state.sync import SyncModel
from app.ui import formatting as fmt
from app.ui import theme
from app.ui.strings import t


@ft.component
def SyncBanner(sync: SyncModel, ui: AppModel, compact: bool = False) -> ft.Control:
    """`compact` (a phone): "sync now" as an icon, named by its tooltip, so the status keeps the row."""
    lang = ui.lang
    s = sync.status
    if s.online is None:
        colour, icon, state = theme.MUTED, ft.Icons.CLOUD_QUEUE, t(lang, "banner.unknown")
    elif s.online:
        colour, icon, state = theme.OK, ft.Icons.CLOUD_DONE, t(lang, "banner.online")
    else:
        colour, icon, state = theme.WARN, ft.Icons.CLOUD_OFF, t(lang, "banner.offline")
    parts = [state]
    if s.syncing:
        parts.append(t(lang, "banner.syncing"))
    parts.append(t(lang, "banner.pending", fmt.number(s.pending, lang)))
    if s.rejected:
        parts.append(t(lang, "banner.rejected", fmt.number(s.rejected, lang)))
    synced = fmt.date_time(s.last_sync, lang) if s.last_sync else ""
    parts.append(t(lang, "banner.last_sync", synced) if synced else t(lang, "banner.never"))
    return ft.Container(
        bgcolor=ft.Colors.with_opacity(0.12, colour),
        padding=ft.Padding.symmetric(horizontal=16, vertical=8),
        content=ft.Row(
            [
                ft.Icon(icon, color=colour, size=20),
                ft.Text(" · ".join(parts), color=theme.INK, expand=True),
                ft.IconButton(ft.Icons.SYNC, tooltip=t(lang, "banner.sync_now"), on_click=lambda _: sync.sync_now())
                if compact
                else ft.TextButton(t(lang, "banner.sync_now"), icon=ft.Icons.SYNC, on_click=lambda _: sync.sync_now()),
            ]
        ),
    )
