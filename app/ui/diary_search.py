"""The diary screen: search every client's diary by a word; the consultant's upcoming follow-ups."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from app.state.context import AppModel
from app.state.diary_search import DiarySearchModel
from app.ui import formatting as fmt
from app.ui import theme
from app.ui.strings import t


@ft.component
def DiaryScreen(s: DiarySearchModel, ui: AppModel, open_client: Callable[[str], Awaitable[None]]) -> ft.Control:
    lang = ui.lang

    async def typed(e):
        await s.search(e.control.value)

    def opener(client_id: str):
        async def go(_):
            await open_client(client_id)

        return go

    found: list[ft.Control] = [
        ft.ListTile(
            leading=ft.Icon(ft.Icons.PERSON_OUTLINE),
            title=ft.Text(x.client_name),
            subtitle=ft.Text(x.snippet),
            on_click=opener(x.client_id),
        )
        for x in s.found
    ]
    if s.query.strip() and not found:
        found = [ft.Text(t(lang, "diary.search_none"), color=theme.MUTED)]
    follow: list[ft.Control] = [
        ft.ListTile(
            leading=ft.Icon(ft.Icons.EVENT, color=theme.ERROR if s.overdue(f) else theme.WARN),
            title=ft.Text(f"{fmt.date(f.due, lang)} · {f.client_name}"),
            subtitle=ft.Text(f.text, max_lines=2),
            on_click=opener(f.client_id),
        )
        for f in s.follow_ups
    ] or [ft.Text(t(lang, "diary.no_follow_ups"), color=theme.MUTED)]
    return ft.Column(
        expand=True,
        scroll=ft.ScrollMode.AUTO,
        spacing=10,
        controls=[
            ft.Text(t(lang, "diary.search_title"), size=22, weight=ft.FontWeight.BOLD),
            ft.TextField(
                label=t(lang, "diary.search"),
                value=s.query,
                on_change=typed,
                prefix_icon=ft.Icons.SEARCH,
                autofocus=True,
            ),
            *found,
            ft.Text(t(lang, "diary.my_follow_ups"), size=17, weight=ft.FontWeight.W_600, color=theme.ACCENT),
            *follow,
        ],
    )
