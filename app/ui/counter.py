"""The profile's counter panel: type the basket, see what points may pay and what she earns."""

from __future__ import annotations

import flet as ft

from app.state.counter import CounterModel
from app.ui import formatting as fmt
from app.ui import theme
from app.ui.strings import points, t


def _field(model: CounterModel, name: str, label: str) -> ft.Control:
    def typed(e: ft.Event[ft.TextField]) -> None:
        model.set_field(name, e.control.value or "")

    async def entered(e: ft.Event[ft.TextField]) -> None:  # Enter calculates, after the field's own text
        model.set_field(name, e.control.value or "")
        await model.calculate()

    return ft.TextField(
        label=label,
        value=getattr(model, name),
        on_change=typed,
        on_submit=entered,
        keyboard_type=ft.KeyboardType.NUMBER,
        suffix="₽",
        dense=True,
    )


@ft.component
def CounterPanel(model: CounterModel, client_id: str, lang: str) -> ft.Control:
    model.show(client_id)

    async def calculate(_: ft.Event[ft.Button]) -> None:
        await model.calculate()

    rows: list[ft.Control] = [
        ft.Text(t(lang, "counter.title"), size=15, weight=ft.FontWeight.W_600, color=theme.ACCENT),
        _field(model, "total", t(lang, "counter.total")),  # one under another: the column is narrow
        _field(model, "sale", t(lang, "counter.sale")),
        _field(model, "discount", t(lang, "counter.discount")),
        ft.FilledButton(t(lang, "counter.calculate"), icon=ft.Icons.CALCULATE, on_click=calculate, disabled=model.busy),
    ]
    if model.error is not None:
        rows.append(ft.Text(t(lang, model.error), color=theme.ERROR))
    r = model.result
    if r is not None:
        q = r.quote
        rows.append(
            ft.Text(
                t(lang, "counter.max", points(lang, q.max_points)),
                size=20,
                weight=ft.FontWeight.BOLD,
                color=theme.INK,
            )
        )
        rows.append(ft.Text(t(lang, "counter.limits", fmt.money(q.cap_kopecks, lang), points(lang, q.balance))))
        if q.excluded_kopecks:
            rows.append(ft.Text(t(lang, "counter.excluded", fmt.money(q.excluded_kopecks, lang)), color=theme.MUTED))
        rows.append(ft.Text(t(lang, "counter.to_pay", fmt.money(q.to_pay, lang, exact=True))))
        rows.append(ft.Text(t(lang, "counter.earn", points(lang, q.earn_points), points(lang, q.earn_without_points))))
        if r.estimate:
            when = fmt.date_time(r.as_of, lang) if r.as_of else "—"
            rows.append(ft.Text(t(lang, f"counter.estimate_{r.why or 'offline'}", when), color=theme.WARN))
        else:
            rows.append(ft.Text(t(lang, "counter.exact"), color=theme.MUTED, size=12))
    return theme.panel(
        key="counter",
        content=ft.Column(rows, spacing=8),
    )
