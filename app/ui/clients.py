"""The client book: one search field, results as the consultant types."""

from __future__ import annotations

import asyncio

import flet as ft

from app.services import phones
from app.state.controller import Controller
from app.state.views import AppView, ClientsView
from app.ui import theme
from app.ui.common import day, full_name, points, tier_badge
from app.ui.strings import t

DEBOUNCE_S = 0.15


@ft.component
def ClientsScreen(ctrl: Controller, view: ClientsView, app: AppView) -> ft.Control:
    lang = app.lang
    pending: dict[str, asyncio.Task] = ft.use_ref(dict).current  # the debounce timer

    async def on_change(e):
        text = e.control.value
        view.query = text
        old = pending.pop("t", None)
        if old:
            old.cancel()

        async def later():
            await asyncio.sleep(DEBOUNCE_S)
            await ctrl.set_query(text)

        pending["t"] = asyncio.create_task(later())

    if view.rows:
        items = [ClientRow(ctrl, row, lang, ctrl.store_name(row.get("store_id"))) for row in view.rows]
    else:
        items = [ft.Text(t(lang, "clients.nothing" if view.query else "clients.empty"), color=theme.MUTED)]
    if view.book_loading and view.query:
        items.append(ft.Text(t(lang, "clients.book_loading"), color=theme.MUTED, size=12))
    return ft.Column(
        expand=True,
        controls=[
            ft.Row([ft.TextField(label=t(lang, "clients.search"), value=view.query, on_change=on_change,
                                 prefix_icon=ft.Icons.SEARCH, autofocus=True, expand=True)]),
            ft.Text(t(lang, "clients.count", view.total), color=theme.MUTED, size=12),
            ft.ListView(controls=items, expand=True, spacing=2),
        ],
    )


def ClientRow(ctrl: Controller, row: dict, lang: str, store: str | None) -> ft.Control:
    phone = row.get("masked_phone") or phones.mask_phone(row.get("phone"))
    bits = [phone, store or ""]
    if row.get("last_visit"):
        bits.append(t(lang, "clients.last_visit", day(row["last_visit"])))
    if row.get("duplicate"):
        bits.append("⚠ " + t(lang, "clients.duplicate"))
    async def open_client(_, cid=row["id"]):
        await ctrl.open_client(cid)

    return ft.ListTile(
        key=row["id"],
        on_click=open_client,
        leading=ft.Icon(ft.Icons.PERSON_OUTLINE),
        title=ft.Text(full_name(row)),
        subtitle=ft.Text(" · ".join(b for b in bits if b), color=theme.MUTED),
        trailing=ft.Row(tight=True, spacing=8, controls=[
            ft.Text(t(lang, "tier.points", points(row.get("points_balance"))), color=theme.MUTED),
            tier_badge(row.get("tier")),
        ]),
    )
