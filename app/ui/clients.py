"""The client book: one search field, results as the consultant types."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import flet as ft

from app.cache.queries import ClientRow
from app.state.clients import ClientsModel
from app.state.context import AppModel
from app.ui import formatting as fmt
from app.ui import theme
from app.ui.common import tier_badge
from app.ui.strings import points, t

DEBOUNCE_S = 0.15

OpenClient = Callable[[str], Awaitable[None]]


@ft.component
def ClientsScreen(
    clients: ClientsModel,
    ui: AppModel,
    open_client: OpenClient,
    focus_requests: int = 0,
    open_id: str | None = None,
) -> ft.Control:
    """`focus_requests` counts the shortcuts that asked for the search field; `open_id` is the
    profile open beside the list (a wide screen), marked in it."""
    lang = ui.lang
    box: ft.Ref[ft.TextField] = ft.Ref()

    async def focus_search() -> None:
        if focus_requests and box.current is not None:
            await box.current.focus()

    ft.use_effect(focus_search, [focus_requests])
    fresh: dict[str, asyncio.Task[None]] = {}
    kept = ft.use_ref(fresh).current  # the debounce timer, kept across renders
    pending = kept if kept is not None else fresh

    async def on_change(e):
        text = e.control.value
        clients.query = text
        old = pending.pop("t", None)
        if old:
            old.cancel()

        async def later():
            await asyncio.sleep(DEBOUNCE_S)
            await clients.set_query(text)

        pending["t"] = asyncio.create_task(later())

    if clients.rows:
        items = [
            client_tile(row, lang, open_client, row.id in clients.unsigned, row.id == open_id) for row in clients.rows
        ]
    else:
        items = [ft.Text(t(lang, "clients.nothing" if clients.query else "clients.empty"), color=theme.MUTED)]
    if clients.book_loading and clients.query:
        items.append(ft.Text(t(lang, "clients.book_loading"), color=theme.MUTED, size=12))
    return ft.Column(
        expand=True,
        controls=[
            ft.Row(
                [
                    ft.TextField(
                        ref=box,
                        label=t(lang, "clients.search"),
                        value=clients.query,
                        on_change=on_change,
                        prefix_icon=ft.Icons.SEARCH,
                        autofocus=True,
                        expand=True,
                    )
                ]
            ),
            ft.Text(count_text(clients, lang), color=theme.MUTED, size=12),
            ft.ListView(controls=items, expand=True, spacing=2),
        ],
    )


def count_text(clients: ClientsModel, lang: str) -> str:
    """The book's size, or while searching how many of it match ("Найдено: 3 из 1 667")."""
    total = fmt.number(clients.total, lang)
    if not clients.searching:
        return t(lang, "clients.count", total)
    return t(lang, "clients.found_more" if clients.more else "clients.found", fmt.number(clients.matches, lang), total)


def client_tile(
    row: ClientRow, lang: str, open_client: OpenClient, unsigned: bool = False, selected: bool = False
) -> ft.Control:
    bits = [row.masked_phone, row.store_name or ""]
    if row.last_visit:
        bits.append(t(lang, "clients.last_visit", fmt.date(row.last_visit, lang)))
    if row.duplicate:
        bits.append("⚠ " + t(lang, "clients.duplicate"))
    if unsigned:
        bits.append(t(lang, "clients.unsigned"))

    async def open_it(_):
        await open_client(row.id)

    return ft.ListTile(
        key=row.id,
        on_click=open_it,
        selected=selected,
        leading=ft.Icon(ft.Icons.PERSON_OUTLINE),
        title=ft.Text(row.full_name),
        subtitle=ft.Text(" · ".join(b for b in bits if b), color=theme.MUTED),
        # One above the other: beside each other they leave a phone's (or the list pane's)
        # name a third of the row, and names broke into a word a line.
        trailing=ft.Column(
            tight=True,
            spacing=4,
            horizontal_alignment=ft.CrossAxisAlignment.END,
            alignment=ft.MainAxisAlignment.CENTER,
            controls=[
                ft.Text(points(lang, row.points_balance), color=theme.MUTED, size=13),
                tier_badge(row.tier),
            ],
        ),
    )
