"""Today: the consultant's tasks grouped by rule, each opening the client, with done / snooze
(to a day) / dismiss; a manager's Today has a second tab, her campaign lists (app.ui.lists).

State: app.state.today.TodayModel (rules: sync.rules.today). One column that wraps its rows,
so it reads on a tablet held either way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from app.cache.today import Task
from app.state.context import AppModel
from app.state.lists import ListsModel
from app.state.today import TodayModel
from app.ui import formatting as fmt
from app.ui import theme
from app.ui.lists import ListsPanel
from app.ui.strings import points, t
from sync.rules import today as rules

ICONS = {
    rules.LIST: ft.Icons.CAMPAIGN_OUTLINED,
    rules.DIARY: ft.Icons.EVENT_NOTE,
    rules.BIRTHDAY: ft.Icons.CAKE_OUTLINED,
    rules.POINTS: ft.Icons.HOURGLASS_BOTTOM,
    rules.PURCHASE: ft.Icons.SHOPPING_BAG_OUTLINED,
    rules.TOP: ft.Icons.DIAMOND_OUTLINED,
    rules.PROFILE: ft.Icons.ASSIGNMENT_LATE_OUTLINED,
}


def describe(task: Task, lang: str) -> str:
    """The task's line under her name: what the occasion is."""
    day = fmt.date(task.day, lang) if task.day else ""
    if task.rule == rules.BIRTHDAY:
        return t(lang, "today.birthday_on", day)
    if task.rule == rules.POINTS:
        return t(lang, "today.points_on", points(lang, int(task.detail or 0)), day)
    if task.rule == rules.PURCHASE:
        return t(lang, "today.purchase_on", day)
    if task.rule == rules.DIARY:
        return f"{day} · {task.detail}"
    if task.rule == rules.TOP:
        return t(lang, "today.last_visit", day) if task.day else t(lang, "today.never_seen")
    if task.rule == rules.PROFILE:
        return ", ".join(t(lang, f"today.gap_{g}") for g in task.detail.split(",") if g)
    if task.rule == rules.LIST:
        return f"{task.detail} · {day}" if day else task.detail
    return ""


def _action(icon: ft.IconData, colour: str, label: str, on_click) -> ft.Control:
    """A 48 dp button whose name (its tooltip) says what it does to whom: a browser's
    accessibility tree, and so the tests, find it by that name."""
    return ft.Container(
        width=48,
        height=48,
        border_radius=24,
        alignment=ft.Alignment.CENTER,
        content=ft.Icon(icon, color=colour),
        tooltip=label,
        on_click=on_click,
    )


def task_row(m: TodayModel, task: Task, lang: str, open_client: Callable[[str], Awaitable[None]]) -> ft.Control:
    async def opened(_):
        await open_client(task.client_id)

    async def done(_):
        await m.done(task.key)

    async def dismiss(_):
        await m.dismiss(task.key)

    def ask(_):
        m.ask_snooze(task.key)

    async def snooze(_):
        await m.snooze(task.key)

    def typed(e):
        m.set_snooze_text(e.control.value)

    name = task.client_name or "—"
    controls: list[ft.Control] = [
        ft.Row(  # no wrap: the text takes what the three buttons leave (an expand cannot wrap)
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
            controls=[
                ft.Container(
                    expand=True,
                    on_click=opened,
                    tooltip=t(lang, "today.open", name),
                    content=ft.Column(
                        spacing=2,
                        controls=[
                            ft.Row(
                                [
                                    ft.Text(name, size=16, weight=ft.FontWeight.W_600),
                                    *(
                                        [ft.Text(t(lang, "today.mine"), size=12, color=theme.ACCENT)]
                                        if task.mine
                                        else []
                                    ),
                                ],
                                wrap=True,
                            ),
                            ft.Text(describe(task, lang), color=theme.MUTED, size=13, max_lines=2),
                        ],
                    ),
                ),
                _action(ft.Icons.CHECK_CIRCLE_OUTLINE, theme.OK, t(lang, "today.done_for", name), done),
                _action(ft.Icons.SNOOZE, theme.INK, t(lang, "today.snooze_for", name), ask),
                _action(ft.Icons.CLOSE, theme.MUTED, t(lang, "today.dismiss_for", name), dismiss),
            ],
        )
    ]
    if m.snoozing == task.key:
        controls.append(
            ft.Row(
                wrap=True,
                controls=[
                    ft.TextField(
                        label=t(lang, "today.snooze_day"),
                        value=m.snooze_text,
                        width=280,
                        dense=True,
                        on_change=typed,
                        on_submit=snooze,
                        error=t(lang, m.error) if m.error else None,
                    ),
                    ft.FilledButton(t(lang, "today.snooze"), on_click=snooze),
                    ft.TextButton(t(lang, "today.cancel"), on_click=lambda _: m.cancel_snooze()),
                ],
            )
        )
    return ft.Container(
        padding=ft.Padding.symmetric(vertical=6),
        border=ft.Border.only(bottom=ft.BorderSide(1, "#F0E9DF")),
        content=ft.Column(controls, spacing=4),
    )


def group_card(
    m: TodayModel, rule: str, tasks: list[Task], count: int, lang: str, open_client: Callable[[str], Awaitable[None]]
) -> ft.Control:
    more = count - len(tasks)
    return theme.panel(
        content=ft.Column(
            spacing=4,
            controls=[
                ft.Row(
                    [
                        ft.Icon(ICONS.get(rule, ft.Icons.TASK_ALT), color=theme.ACCENT),
                        ft.Text(
                            f"{t(lang, f'today.rule_{rule}')} · {count}",
                            size=17,
                            weight=ft.FontWeight.W_600,
                            color=theme.ACCENT,
                        ),
                    ]
                ),
                *[task_row(m, x, lang, open_client) for x in tasks],
                *([ft.Text(t(lang, "today.more", more), color=theme.MUTED)] if more > 0 else []),
            ],
        ),
    )


@ft.component
def TodayScreen(
    m: TodayModel, lists: ListsModel, ui: AppModel, open_client: Callable[[str], Awaitable[None]]
) -> ft.Control:
    lang = ui.lang
    view = m.view
    head: list[ft.Control] = [
        ft.Text(
            t(lang, "today.title") + (f" · {fmt.date(view.day.isoformat(), lang)}" if view else ""),
            size=22,
            weight=ft.FontWeight.BOLD,
        )
    ]
    if m.manager:

        async def show_lists(_):
            m.set_tab("lists")
            await lists.load()

        head.append(
            ft.Row(
                [
                    ft.TextButton(
                        t(lang, "today.tab_tasks"),
                        icon=ft.Icons.TASK_ALT,
                        on_click=lambda _: m.set_tab("tasks"),
                        style=ft.ButtonStyle(color=theme.ACCENT if m.tab == "tasks" else theme.MUTED),
                    ),
                    ft.TextButton(
                        t(lang, "today.tab_lists"),
                        icon=ft.Icons.CAMPAIGN_OUTLINED,
                        on_click=show_lists,
                        style=ft.ButtonStyle(color=theme.ACCENT if m.tab == "lists" else theme.MUTED),
                    ),
                ]
            )
        )
    if m.manager and m.tab == "lists":
        body: list[ft.Control] = [ListsPanel(lists, m.staff, ui)]
    elif view is None:
        body = [ft.ProgressRing()]
    elif not view.groups:
        body = [ft.Text(t(lang, "today.nothing"), color=theme.MUTED)]
    else:
        body = [
            group_card(m, rule, view.groups[rule], view.counts.get(rule, 0), lang, open_client)
            for rule in rules.RULES
            if rule in view.groups
        ]
    return ft.Column(expand=True, scroll=ft.ScrollMode.AUTO, spacing=12, controls=[*head, *body])


@ft.component
def AssignControl(
    m: TodayModel, ui: AppModel, client_id: str, current: str | None, reload: Callable[[], Awaitable[None]]
) -> ft.Control:
    """The profile's small control: a manager gives the client to another consultant."""
    if not m.manager or not m.staff:
        return ft.Container(visible=False)
    lang = ui.lang

    async def chosen(e):
        await m.assign(client_id, e.control.value)
        await reload()

    return ft.Dropdown(
        label=t(lang, "today.assign"),
        value=current,
        width=280,
        dense=True,
        options=[ft.DropdownOption(key=s["id"], text=s["name"]) for s in m.staff],
        on_select=chosen,
    )
