"""What the work brought: the hub's results over a chosen period (GET /v1/reports/results) —
a consultant's own, a manager's store per consultant. Online only: the figures are the
hub's (every device's contacts and the till's receipts); offline the screen says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import InitVar, dataclass
from typing import Any

import flet as ft

from app.state.context import Context
from app.state.messages import Message
from app.state.session import SessionModel
from app.state.sync import SyncModel
from sync.client import HubError, HubUnreachable

PERIODS = ("week", "month", "custom")
MAX_DAYS = 366


def period_days(period: str, today: dt.date, typed_from: str = "", typed_to: str = "") -> tuple[dt.date, dt.date]:
    """[from, to] of a period: this week (from Monday), this month (from the 1st), or the
    days typed (YYYY-MM-DD); ValueError for days that are not a period."""
    if period == "week":
        return today - dt.timedelta(days=today.weekday()), today
    if period == "month":
        return today.replace(day=1), today
    start, end = dt.date.fromisoformat(typed_from.strip()), dt.date.fromisoformat(typed_to.strip())
    if start > end or (end - start).days >= MAX_DAYS:
        raise ValueError("not a period")
    return start, end


@ft.observable
@dataclass(eq=False)
class ResultsModel:
    ctx: InitVar[Context]
    session: InitVar[SessionModel]
    sync: InitVar[SyncModel]
    period: str = "week"
    typed_from: str = ""
    typed_to: str = ""
    data: dict[str, Any] | None = None
    problem: Message | None = None
    loading: bool = False

    def __post_init__(self, ctx: Context, session: SessionModel, sync: SyncModel) -> None:
        self._ctx, self._session, self._sync = ctx, session, sync

    @property
    def manager(self) -> bool:
        who = self._session.current
        return who is not None and who.manager

    def choose(self, period: str) -> None:
        self.period = period
        if period == "custom" and not self.typed_from:
            start, end = period_days("month", dt.date.today())
            self.typed_from, self.typed_to = start.isoformat(), end.isoformat()

    def set_day(self, name: str, value: str) -> None:
        if name == "from":
            self.typed_from = value
        else:
            self.typed_to = value

    async def load(self) -> None:
        """The figures of the chosen period from the hub; a clear message offline or for bad days."""
        try:
            start, end = period_days(self.period, dt.date.today(), self.typed_from, self.typed_to)
        except ValueError:
            self.problem = Message("results.bad_period")
            return
        client = self._sync.client
        if client is None:
            self.problem = Message("results.offline")
            return
        self.loading, self.problem = True, None
        try:
            self.data = await client.results(start.isoformat(), end.isoformat())
        except HubUnreachable:
            self.problem = Message("results.offline")
        except HubError as e:
            self.problem = Message("results.bad_period") if e.status == 422 else Message.of("results.failed", e.title)
        finally:
            self.loading = False
