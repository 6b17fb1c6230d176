"""The consultant's Today: her tasks by rule, computed from the cache (so it works offline), and
what she does with each: done, snoozed to a day, dismissed. Also a manager's reassignment
of a client (the profile's small control).

The tasks are app.cache.today's (rules: sync.rules.today); an outcome is written to the cache
with its mutation and the list is read again, so the task leaves at once; the hub's outcome
(perhaps a colleague's, who was first) arrives with the next pull.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import InitVar, dataclass, field

import flet as ft

from app.cache import today as cached
from app.cache.today import Task, Today
from app.state.context import Context
from app.state.messages import Message
from app.state.session import SessionModel
from app.state.sync import SyncModel
from sync.models import utcnow
from sync.rules import today as rules


@ft.observable
@dataclass(eq=False)
class TodayModel:
    ctx: InitVar[Context]
    session: InitVar[SessionModel]
    sync: InitVar[SyncModel]
    view: Today | None = None
    snoozing: str = ""  # the key of the task whose snooze day is being typed
    snooze_text: str = ""
    error: Message | None = None
    tab: str = "tasks"  # a manager's Today has a second tab: her lists ("lists")
    staff: list[dict] = field(default_factory=list)

    def __post_init__(self, ctx: Context, session: SessionModel, sync: SyncModel) -> None:
        self._ctx, self._session, self._sync = ctx, session, sync
        self._now = utcnow  # the clock (a test moves it)

    @property
    def me(self) -> str | None:
        who = self._session.current
        return who.consultant_id if who else None

    @property
    def manager(self) -> bool:
        who = self._session.current
        return bool(who and who.manager)

    async def open(self) -> None:
        self._ctx.ui.go("/today")
        await self.load()

    async def load(self) -> None:
        self.view = await self._ctx.cache.read(cached.compute, self.me, self._now())
        await self.load_staff()

    async def load_staff(self) -> None:
        """Whom a manager may give a client to (the profile's control reads it)."""
        self.staff = await self._ctx.cache.read(cached.staff)

    def set_tab(self, tab: str) -> None:
        self.tab = tab

    def find(self, key: str) -> Task | None:
        for ts in self.view.groups.values() if self.view else ():
            for t in ts:
                if t.key == key:
                    return t
        return None

    async def done(self, key: str) -> None:
        await self._settle(key, "done", None)

    async def dismiss(self, key: str) -> None:
        await self._settle(key, "dismissed", None)

    def ask_snooze(self, key: str) -> None:
        """Open the snooze field of a task, prefilled with tomorrow."""
        self.snoozing, self.error = key, None
        day = self.view.day if self.view else dt.date.today()
        self.snooze_text = (day + dt.timedelta(days=1)).isoformat()

    def cancel_snooze(self) -> None:
        self.snoozing, self.error = "", None

    def set_snooze_text(self, text: str) -> None:
        self.snooze_text = text

    async def snooze(self, key: str) -> None:
        """Snooze to the typed day; a bad day is explained and the text kept."""
        day = self.view.day if self.view else dt.date.today()
        try:
            until = rules.check_snooze(_date(self.snooze_text), day)
        except rules.TaskRuleError:
            self.error = Message("today.bad_snooze")
            return
        await self._settle(key, "snoozed", until)
        self.snoozing, self.error = "", None

    async def _settle(self, key: str, status: str, until: dt.date | None) -> None:
        task = self.find(key)
        who = self._session.current
        if task is None or who is None:
            return
        await self._ctx.cache.write(
            cached.settle_task, who.store_id, task, status, until, who.consultant_id, who.consultant_name
        )
        self._sync.sync_now()
        await self.load()

    async def assign(self, client_id: str, consultant_id: str) -> None:
        """A manager gives the client to another consultant (the hub checks the role and the store)."""
        if not self.manager or not consultant_id:
            return
        await self._ctx.cache.write(cached.assign_client, client_id, consultant_id)
        self._sync.sync_now()


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None
