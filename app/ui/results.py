"""The "Результаты" screen: what the work brought over a period — her own figures for a
consultant, the store per consultant for a manager — with charts where a person would
rather look than read, and every figure written beside them.

Tiles wrap (ResponsiveRow), so the screen reads in tablet portrait and landscape alike.
"""

from __future__ import annotations

from typing import Any

import flet as ft
import flet_charts as fch

from app.state.context import AppModel
from app.state.results import PERIODS, ResultsModel
from app.ui import formatting as fmt
from app.ui import theme
from app.ui.strings import t

CONTACTS_COLOUR, BOUGHT_COLOUR = "#8C6A43", "#3E7C59"
CHANNEL_COLOURS = {
    "sms": "#8C6A43",
    "email": "#4A6FA5",
    "messengers": "#3E7C59",
    "calls": "#B5835A",
    "visit": "#9A8F84",
}


def _card(title: str, *controls: ft.Control, col: dict[str, float] | None = None, key: str | None = None) -> ft.Control:
    return theme.panel(
        key=key,
        col=col if col is not None else 12,
        content=ft.Column(
            [ft.Text(title, size=15, weight=ft.FontWeight.W_600, color=theme.ACCENT), *controls], spacing=8
        ),
    )


def _tile(label: str, value: str) -> ft.Control:
    return ft.Container(
        col={"xs": 6, "sm": 4, "xl": 3},  # 3 a row in tablet portrait, 4 in landscape
        bgcolor="#F6F1EA",
        border_radius=12,
        padding=12,
        content=ft.Column(
            [
                ft.Text(value, size=26, weight=ft.FontWeight.BOLD, color=theme.INK),
                ft.Text(label, size=13, color=theme.MUTED),
            ],
            spacing=2,
        ),
    )


def _tiles(row: dict[str, Any], lang: str) -> ft.Control:
    return ft.ResponsiveRow(
        spacing=8,
        run_spacing=8,
        controls=[
            _tile(t(lang, "results.registrations"), fmt.number(row["registrations"], lang)),
            _tile(t(lang, "results.consents_signed"), fmt.number(row["consents_signed"], lang)),
            _tile(t(lang, "results.linked"), fmt.number(row["linked"], lang)),
            _tile(t(lang, "results.share"), f"{fmt.number(round(row['share'] * 100), lang)} %"),
            _tile(t(lang, "results.contacts"), fmt.number(row["contacts"], lang)),
            _tile(t(lang, "results.attributed"), fmt.number(row["attributed_purchases"], lang)),
            _tile(t(lang, "results.attributed_amount"), fmt.money(row["attributed_amount"], lang)),
        ],
    )


def _legend(colour: str, label: str, value: str) -> ft.Control:
    return ft.Row(
        [
            ft.Container(width=12, height=12, bgcolor=colour, border_radius=3),
            ft.Text(label, expand=True),
            ft.Text(value, weight=ft.FontWeight.W_600),
        ],
        spacing=8,
    )


def channels_card(row: dict[str, Any], lang: str) -> ft.Control:
    """Contacts by channel: a pie, and each channel's count beside it."""
    counts = {ch: n for ch, n in row["contacts_by_channel"].items() if n}
    if not counts:
        none = ft.Text(t(lang, "results.none"), color=theme.MUTED)
        return _card(t(lang, "results.by_channel"), none, col={"xs": 12, "lg": 5}, key="results-channels")
    pie = fch.PieChart(
        sections=[
            fch.PieChartSection(
                value=n,
                title=str(n),
                color=CHANNEL_COLOURS.get(ch, theme.MUTED),
                radius=56,
                title_style=ft.TextStyle(color=ft.Colors.WHITE, weight=ft.FontWeight.BOLD),
            )
            for ch, n in counts.items()
        ],
        center_space_radius=28,
        sections_space=2,
        width=180,
        height=180,
    )
    legend = ft.Column(
        [
            _legend(CHANNEL_COLOURS.get(ch, theme.MUTED), t(lang, f"results.channel.{ch}"), fmt.number(n, lang))
            for ch, n in counts.items()
        ],
        spacing=6,
        expand=True,
    )
    return _card(
        t(lang, "results.by_channel"),
        ft.Row([pie, legend], spacing=16, vertical_alignment=ft.CrossAxisAlignment.CENTER),
        col={"xs": 12, "lg": 5},
        key="results-channels",
    )


def consultants_card(rows: list[dict[str, Any]], lang: str) -> ft.Control:
    """Per consultant: contacts and the purchases they brought as bars, and a table of the figures."""
    top = max([1, *(max(r["contacts"], r["attributed_purchases"]) for r in rows)])
    chart = fch.BarChart(
        groups=[
            fch.BarChartGroup(
                x=i,
                rods=[
                    fch.BarChartRod(from_y=0, to_y=r["contacts"], width=12, color=CONTACTS_COLOUR, border_radius=3),
                    fch.BarChartRod(
                        from_y=0, to_y=r["attributed_purchases"], width=12, color=BOUGHT_COLOUR, border_radius=3
                    ),
                ],
            )
            for i, r in enumerate(rows)
        ],
        bottom_axis=fch.ChartAxis(
            labels=[
                fch.ChartAxisLabel(value=i, label=ft.Text(_initials(r["consultant"]), size=11))
                for i, r in enumerate(rows)
            ],
            label_size=28,
        ),
        left_axis=fch.ChartAxis(label_size=32, label_spacing=max(1, -(-top // 4)), show_max=False),  # whole counts
        max_y=top + max(1, top // 6),
        interactive=False,
        height=220,
        expand=True,
    )
    header = ft.Row(
        [
            ft.Text("", expand=True),
            ft.Text(t(lang, "results.contacts"), width=90, size=12, color=theme.MUTED),
            ft.Text(t(lang, "results.attributed"), width=110, size=12, color=theme.MUTED),
            ft.Text(t(lang, "results.registrations"), width=110, size=12, color=theme.MUTED),
            ft.Text(t(lang, "results.share"), width=90, size=12, color=theme.MUTED),
        ]
    )
    table = [
        ft.Row(
            [
                ft.Text(r["consultant"] or "—", expand=True),
                ft.Text(fmt.number(r["contacts"], lang), width=90),
                ft.Text(fmt.number(r["attributed_purchases"], lang), width=110),
                ft.Text(fmt.number(r["registrations"], lang), width=110),
                ft.Text(f"{fmt.number(round(r['share'] * 100), lang)} %", width=90),
            ]
        )
        for r in rows
    ]
    legend = ft.Row(
        [
            ft.Row([ft.Container(width=12, height=12, bgcolor=colour, border_radius=3), ft.Text(label)], spacing=6)
            for colour, label in (
                (CONTACTS_COLOUR, t(lang, "results.contacts")),
                (BOUGHT_COLOUR, t(lang, "results.attributed")),
            )
        ],
        wrap=True,
        spacing=16,
    )
    return _card(
        t(lang, "results.per_consultant"),
        legend,
        ft.Row([chart]),
        header,
        *table,
        col={"xs": 12, "lg": 7},
        key="results-consultants",
    )


def _initials(name: str | None) -> str:
    parts = (name or "").split()
    return "".join(p[0] for p in parts[:2]) or "—"


@ft.component
def ResultsScreen(r: ResultsModel, ui: AppModel) -> ft.Control:
    lang = ui.lang
    ft.use_effect(r.load, [])  # a coroutine function: Flet awaits it

    async def choose(period: str) -> None:
        r.choose(period)
        if period != "custom":
            await r.load()

    async def show(_):
        await r.load()

    chips = ft.Row(
        wrap=True,
        spacing=6,
        controls=[
            ft.Chip(
                label=ft.Text(t(lang, f"results.period.{p}")),
                selected=p == r.period,
                selected_color="#E9DCC9",
                bgcolor="#F6F1EA",
                on_select=lambda _, p=p: choose(p),
            )
            for p in PERIODS
        ]
        + [ft.TextButton(t(lang, "results.refresh"), icon=ft.Icons.REFRESH, on_click=show)],
    )
    controls: list[ft.Control] = [
        ft.Text(t(lang, "results.title"), size=22, weight=ft.FontWeight.BOLD),
        ft.Text(t(lang, "results.store" if r.manager else "results.mine"), color=theme.MUTED),
        chips,
    ]
    if r.period == "custom":
        controls.append(
            ft.Row(
                wrap=True,
                controls=[
                    ft.TextField(
                        label=t(lang, "results.from"),
                        value=r.typed_from,
                        width=200,
                        on_change=lambda e: r.set_day("from", e.control.value),
                    ),
                    ft.TextField(
                        label=t(lang, "results.to"),
                        value=r.typed_to,
                        width=200,
                        on_change=lambda e: r.set_day("to", e.control.value),
                    ),
                    ft.FilledButton(t(lang, "results.show"), on_click=show),
                ],
            )
        )
    if r.problem is not None:
        controls.append(
            ft.Container(
                bgcolor=ft.Colors.with_opacity(0.10, theme.ERROR),
                border_radius=8,
                padding=12,
                content=ft.Row(
                    [ft.Icon(ft.Icons.CLOUD_OFF, color=theme.ERROR), ft.Text(t(lang, r.problem), expand=True)]
                ),
            )
        )
    elif r.loading and r.data is None:
        controls.append(ft.Text(t(lang, "results.loading"), color=theme.MUTED))
    data = r.data
    if data is not None:
        rows: list[dict[str, Any]] = data["consultants"]
        totals: dict[str, Any] = data["totals"]
        controls += [
            ft.Text(
                t(lang, "results.period_label", fmt.date(data["period_from"], lang), fmt.date(data["period_to"], lang)),
                color=theme.MUTED,
            ),
            _tiles(totals, lang),
            ft.ResponsiveRow(
                spacing=12,
                run_spacing=12,
                controls=[
                    channels_card(totals, lang),
                    *([consultants_card(rows, lang)] if r.manager and rows else []),
                ],
            ),
            ft.Text(t(lang, "results.window", data["attribution_days"]), size=12, color=theme.MUTED),
        ]
    return ft.Column(controls, expand=True, scroll=ft.ScrollMode.AUTO, spacing=12)
