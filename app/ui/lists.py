"""A manager's campaign lists (a tab of her Today): filter the store's clients, name the list,
choose the consultants, save; the lists made so far below. State: app.state.lists.ListsModel."""

from __future__ import annotations

import flet as ft

from app.state.context import AppModel
from app.state.lists import SIZE_FIELDS, TIERS, ListsModel
from app.ui import formatting as fmt
from app.ui import theme
from app.ui.strings import t

CONSENTS = ("", "sms", "email", "messengers", "calls")
SHOWN = 12


def _field(m: ListsModel, lang: str, name: str, label: str, width: int = 220, **kw) -> ft.Control:
    err = m.errors.get(name)
    return ft.TextField(
        label=t(lang, label),
        value=str(m.form.get(name) or ""),
        width=width,
        dense=True,
        on_change=lambda e: m.set(name, e.control.value),
        error=t(lang, err) if err else None,
        **kw,
    )


def _chip(label: str, selected: bool, on_select) -> ft.Control:
    return ft.Chip(
        label=ft.Text(label, size=13),
        selected=selected,
        selected_color="#E9DCC9",
        bgcolor="#F6F1EA",
        on_select=on_select,
    )


@ft.component
def ListsPanel(m: ListsModel, staff: list[dict], ui: AppModel) -> ft.Control:
    lang = ui.lang

    async def search(_):
        await m.search()

    async def save(_):
        await m.save()

    tiers = ft.Row(
        [ft.Text(t(lang, "lists.tiers"), color=theme.MUTED)]
        + [_chip(x, x in m.form["tiers"], lambda _, x=x: m.toggle("tiers", x)) for x in TIERS],
        wrap=True,
    )
    consent = ft.Dropdown(
        label=t(lang, "lists.consent"),
        value=m.form.get("consent") or "",
        width=220,
        dense=True,
        options=[ft.DropdownOption(key=c, text=t(lang, f"lists.consent_{c or 'any'}")) for c in CONSENTS],
        on_select=lambda e: m.set("consent", e.control.value or ""),
    )
    size_field = ft.Dropdown(
        label=t(lang, "lists.size_field"),
        value=m.form.get("size_field") or "clothing",
        width=160,
        dense=True,
        options=[ft.DropdownOption(key=s, text=t(lang, f"lists.size_{s}")) for s in SIZE_FIELDS],
        on_select=lambda e: m.set("size_field", e.control.value or "clothing"),
    )
    filters = ft.Row(
        wrap=True,
        spacing=10,
        run_spacing=10,
        controls=[
            _field(m, lang, "min_spend", "lists.min_spend", width=260),
            _field(m, lang, "not_seen_days", "lists.not_seen_days"),
            _field(m, lang, "brand", "lists.brand"),
            size_field,
            _field(m, lang, "size", "lists.size", width=120),
            consent,
            _field(m, lang, "birthday_month", "lists.birthday_month", width=240),
        ],
    )
    found: list[ft.Control] = []
    if m.searched:
        found.append(ft.Text(t(lang, "lists.found", len(m.found)), weight=ft.FontWeight.W_600))
        found += [ft.Text(name, size=13) for _, name in m.found[:SHOWN]]
        if len(m.found) > SHOWN:
            found.append(ft.Text(t(lang, "today.more", len(m.found) - SHOWN), color=theme.MUTED))
    if "found" in m.errors:
        found.append(ft.Text(t(lang, m.errors["found"]), color=theme.ERROR))
    consultants = [s for s in staff if s.get("role") == "consultant"]
    assignees = ft.Row(
        [ft.Text(t(lang, "lists.assignees"), color=theme.MUTED)]
        + [
            _chip(s["name"], s["id"] in m.form["assignees"], lambda _, i=s["id"]: m.toggle("assignees", i))
            for s in consultants
        ],
        wrap=True,
    )
    if "assignees" in m.errors:
        assignees.controls.append(ft.Text(t(lang, m.errors["assignees"]), color=theme.ERROR))
    names = {s["id"]: s["name"] for s in staff}
    made: list[ft.Control] = [
        ft.ListTile(
            leading=ft.Icon(ft.Icons.CAMPAIGN_OUTLINED, color=theme.ACCENT),
            title=ft.Text(f"{x.name} · {t(lang, 'lists.clients', x.clients)}"),
            subtitle=ft.Text(
                " · ".join(
                    p
                    for p in (
                        fmt.date(x.day, lang) if x.day else "",
                        x.note,
                        ", ".join(names.get(a, "?") for a in x.assignees),
                        t(lang, "lists.pending") if x.pending else "",
                    )
                    if p
                )
            ),
        )
        for x in m.lists
    ] or [ft.Text(t(lang, "lists.none"), color=theme.MUTED)]
    return ft.Column(
        spacing=10,
        controls=[
            theme.panel(
                content=ft.Column(
                    spacing=10,
                    controls=[
                        ft.Text(t(lang, "lists.new"), size=17, weight=ft.FontWeight.W_600, color=theme.ACCENT),
                        tiers,
                        filters,
                        ft.FilledButton(t(lang, "lists.search"), icon=ft.Icons.FILTER_ALT, on_click=search),
                        *found,
                        ft.Row(
                            wrap=True,
                            spacing=10,
                            run_spacing=10,
                            controls=[
                                _field(m, lang, "name", "lists.name", width=360),
                                _field(m, lang, "day", "lists.day", width=240),
                                _field(m, lang, "note", "lists.note", width=360),
                            ],
                        ),
                        assignees,
                        ft.FilledButton(t(lang, "lists.save"), icon=ft.Icons.SAVE, on_click=save),
                        *([ft.Text(t(lang, "lists.saved", m.saved), color=theme.OK)] if m.saved else []),
                    ],
                ),
            ),
            ft.Text(t(lang, "lists.made"), size=17, weight=ft.FontWeight.W_600, color=theme.ACCENT),
            *made,
        ],
    )
