"""The diary screen: one field finding every client whose diary mentions a word, and the
consultant's upcoming follow-ups (app.cache.diary_records.follow_ups, the task list's query)."""

from __future__ import annotations

import datetime as dt
from dataclasses import InitVar, dataclass, field

import flet as ft

from app.cache import diary_records
from app.cache.diary_records import DiaryFound, FollowUp
from app.state.context import Context
from app.state.session import SessionModel


@ft.observable
@dataclass(eq=False)
class DiarySearchModel:
    ctx: InitVar[Context]
    session: InitVar[SessionModel]
    query: str = ""
    found: list[DiaryFound] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)

    def __post_init__(self, ctx: Context, session: SessionModel) -> None:
        self._ctx, self._session = ctx, session
        self._asked = 0  # a search answered after a later one started is dropped

    async def open(self) -> None:
        self._ctx.ui.go("/diary")
        await self.load()

    async def load(self) -> None:
        who = self._session.current
        mine = who.consultant_id if who else None
        self.follow_ups = await self._ctx.cache.read(diary_records.follow_ups, mine, None, 50)
        if self.query:
            await self.search(self.query)

    async def search(self, text: str) -> None:
        self.query = text
        self._asked += 1
        asked = self._asked
        found = await self._ctx.cache.read(diary_records.search_clients, text, 30) if text.strip() else []
        if asked == self._asked:
            self.found = found

    @staticmethod
    def overdue(f: FollowUp) -> bool:
        return f.due < dt.date.today().isoformat()
