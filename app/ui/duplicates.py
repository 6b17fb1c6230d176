"""The duplicate check's panel on the registration form: who she may already be, and
"Open her" (app.state.duplicates). Shows nothing while there is no match."""

from __future__ import annotations

from typing import Protocol

import flet as ft

from app.state.context import AppModel
from app.state.duplicates import DuplicatesModel, Match, PairsModel
from app.ui import theme
from app.ui.strings import t
from sync.models import DuplicatePair

WATCHED = ("phone", "email", "last_name", "first_name", "birthday")
"""The form's fields that can identify her: a change of any starts a check."""


class HasForm(Protocol):
    form: dict  # the registration form's values, as typed


@ft.component
def DuplicatesPanel(
    duplicates: DuplicatesModel, register: HasForm, ui: AppModel, remote_only: bool = False
) -> ft.Control:
    """`register`: the registration's observable model; typing in its form re-renders this.
    `remote_only`: leave out the clients this device holds (a screen that lists those itself)."""
    lang = ui.lang
    form = register.form
    ft.use_effect(lambda: duplicates.check(dict(form)), [form.get(k) for k in WATCHED])
    ft.use_effect(lambda: None, [], cleanup=duplicates.clear)  # leaving the form forgets its matches
    shown = [m for m in duplicates.matches if not (remote_only and m.cached)]
    rows: list[ft.Control] = [_row(duplicates, m, lang) for m in shown]
    if duplicates.asking:
        rows.append(ft.Text(t(lang, "duplicates.asking"), size=12, color=theme.MUTED))
    if duplicates.notice is not None and shown:
        rows.append(ft.Text(t(lang, duplicates.notice), size=12, color=theme.WARN))
    if not shown:
        return ft.Container(key="duplicates-panel", visible=bool(rows), content=ft.Column(rows, spacing=4))
    return ft.Container(
        key="duplicates-panel",
        border=ft.Border.all(1, theme.WARN),
        border_radius=8,
        padding=12,
        bgcolor=ft.Colors.with_opacity(0.06, theme.WARN),
        content=ft.Column(
            spacing=8,
            controls=[
                ft.Row(
                    [
                        ft.Icon(ft.Icons.PERSON_SEARCH, color=theme.WARN),
                        ft.Text(t(lang, "duplicates.title"), weight=ft.FontWeight.BOLD),
                    ]
                ),
                ft.Text(t(lang, "duplicates.hint"), size=12, color=theme.MUTED),
                *rows,
            ],
        ),
    )


def _row(duplicates: DuplicatesModel, m: Match, lang: str) -> ft.Control:
    where = t(lang, "duplicates.here") if m.cached else t(lang, "duplicates.other_store", m.store_name or "—")
    why = ", ".join(t(lang, f"duplicates.by.{b}") for b in m.matched_by)
    busy = duplicates.opening == m.client_id

    async def open_her(_) -> None:
        await duplicates.open_match(m.client_id)

    return ft.Row(
        key=f"dup-{m.client_id}",
        alignment=ft.MainAxisAlignment.SPACE_BETWEEN,
        controls=[
            ft.Column(
                spacing=0,
                expand=True,
                controls=[
                    ft.Text(f"{m.name}  {m.phone}".strip(), weight=ft.FontWeight.W_500),
                    ft.Text(f"{where} · {why}", size=12, color=theme.MUTED),
                ],
            ),
            ft.OutlinedButton(
                t(lang, "duplicates.opening" if busy else "duplicates.open"),
                icon=ft.Icons.OPEN_IN_NEW,
                disabled=duplicates.opening is not None,
                on_click=open_her,
            ),
        ],
    )


@ft.component
def DuplicatePairsSection(pairs: PairsModel, ui: AppModel) -> ft.Control:
    """A manager's list of the store's duplicate pairs: keep one (merge the other into her)
    or say they are two people. Shows nothing to a consultant (the hub answers 403)."""
    lang = ui.lang
    ft.use_effect(pairs.load, [])  # a coroutine function: Flet awaits it
    if not pairs.allowed:
        return ft.Container(visible=False)
    items: list[ft.Control] = [ft.Text(t(lang, "duplicates.pairs"), weight=ft.FontWeight.BOLD)]
    if not pairs.pairs:
        items.append(ft.Text(t(lang, "duplicates.pairs_none"), color=theme.MUTED))
    for p in pairs.pairs:
        items.append(_pair(pairs, p, lang))
    if pairs.notice is not None:
        items.append(ft.Text(t(lang, pairs.notice), color=theme.WARN))
    return ft.Container(key="duplicate-pairs", padding=ft.Padding.only(top=12), content=ft.Column(items, spacing=8))


def _pair(pairs: PairsModel, p: DuplicatePair, lang: str) -> ft.Control:
    busy = pairs.busy is not None

    def keep(survivor_id: str):
        async def handler(_) -> None:
            await pairs.merge(p.id, survivor_id)

        return handler

    async def dismiss(_) -> None:
        await pairs.dismiss(p.id)

    rows: list[ft.Control] = [
        ft.Row(
            [
                ft.Text(
                    t(
                        lang,
                        "duplicates.pair_client",
                        c.name or "—",
                        c.phone or "",
                        c.store_name or "—",
                        c.receipts,
                        c.points_balance,
                    ),
                    expand=True,
                ),
                ft.OutlinedButton(t(lang, "duplicates.keep"), disabled=busy, on_click=keep(c.client_id)),
            ]
        )
        for c in p.clients
    ]
    return ft.Container(
        key=f"pair-{p.id}",
        border=ft.Border.all(1, theme.WARN),
        border_radius=8,
        padding=10,
        content=ft.Column(
            spacing=4,
            controls=[
                ft.Text(t(lang, f"duplicates.pair_reason.{p.reason}"), size=12, color=theme.MUTED),
                *rows,
                ft.TextButton(t(lang, "duplicates.dismiss"), disabled=busy, on_click=dismiss),
            ],
        ),
    )
