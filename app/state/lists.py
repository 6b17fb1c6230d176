"""A manager's campaign lists: filter the store's clients on this device (from the cache), name
the list, choose the consultants, save (list.create); their Today shows its clients.

The filter's rule is sync.rules.today.ListFilter; what the form holds is kept as typed, and
a bad value is explained beside its field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import InitVar, dataclass, field

import flet as ft

from app.cache import today as cached
from app.cache.today import TaskList
from app.state.context import Context
from app.state.messages import Message
from app.state.session import SessionModel
from app.state.sync import SyncModel
from sync.models import new_id
from sync.rules import today as rules

TIERS = ("Silver", "Gold", "Platinum")
SIZE_FIELDS = ("clothing", "shoes")


def blank() -> dict:
    return {
        "tiers": [],
        "min_spend": "",  # roubles
        "not_seen_days": "",
        "brand": "",
        "size_field": "clothing",
        "size": "",
        "consent": "",
        "birthday_month": "",
        "name": "",
        "note": "",
        "day": "",
        "assignees": [],
    }


def to_filter(form: dict, today: dt.date) -> tuple[rules.ListFilter | None, dict[str, str]]:
    """(the filter, errors by field: string keys of app.ui.strings)."""
    errors: dict[str, str] = {}

    def number(name: str, hi: int) -> int:
        text = str(form.get(name) or "").replace(" ", "").strip()
        if not text:
            return 0
        if not text.isdigit() or int(text) > hi:
            errors[name] = "lists.bad_number"
            return 0
        return int(text)

    spend = number("min_spend", 1_000_000_000)
    days = number("not_seen_days", 3650)
    month = number("birthday_month", 12)
    size = str(form.get("size") or "").strip()
    if errors:
        return None, errors
    return (
        rules.ListFilter(
            tiers=tuple(x for x in form.get("tiers") or () if x in TIERS),
            min_spend=spend * 100,
            not_seen_since=today - dt.timedelta(days=days) if days else None,
            brand=str(form.get("brand") or "").strip(),
            size=(str(form.get("size_field") or "clothing"), size) if size else None,
            consent=str(form.get("consent") or ""),
            birthday_month=month,
        ),
        {},
    )


@ft.observable
@dataclass(eq=False)
class ListsModel:
    ctx: InitVar[Context]
    session: InitVar[SessionModel]
    sync: InitVar[SyncModel]
    form: dict = field(default_factory=blank)
    errors: dict[str, Message] = field(default_factory=dict)
    found: list[tuple[str, str]] = field(default_factory=list)  # (id, name) the filter takes
    searched: bool = False
    lists: list[TaskList] = field(default_factory=list)
    saved: str = ""  # the last list saved (its name), for the confirmation
    busy: bool = False

    def __post_init__(self, ctx: Context, session: SessionModel, sync: SyncModel) -> None:
        self._ctx, self._session, self._sync = ctx, session, sync

    async def load(self) -> None:
        self.lists = await self._ctx.cache.read(cached.lists)

    def set(self, name: str, value) -> None:
        self.form = {**self.form, name: value}
        self.errors = {k: v for k, v in self.errors.items() if k != name}

    def toggle(self, name: str, value: str) -> None:
        chosen = list(self.form.get(name) or [])
        chosen = [x for x in chosen if x != value] if value in chosen else [*chosen, value]
        self.set(name, chosen)

    async def search(self) -> None:
        f, errors = to_filter(self.form, dt.date.today())
        self.errors = {k: Message(v) for k, v in errors.items()}
        if f is None:
            return
        self.busy = True
        try:
            self.found = await self._ctx.cache.read(cached.filter_clients, f)
        finally:
            self.busy = False
        self.searched = True

    async def save(self) -> None:
        """The list as filtered, for the chosen consultants; the form keeps what was typed on a refusal."""
        who = self._session.current
        if who is None or not who.manager:
            return
        errors: dict[str, Message] = {}
        name = str(self.form.get("name") or "").strip()
        if not name:
            errors["name"] = Message("lists.name_needed")
        day_text = str(self.form.get("day") or "").strip()
        day: dt.date | None = None
        if day_text:
            try:
                day = dt.date.fromisoformat(day_text)
            except ValueError:
                errors["day"] = Message("lists.bad_day")
        if not self.form.get("assignees"):
            errors["assignees"] = Message("lists.assignees_needed")
        f, ferrors = to_filter(self.form, dt.date.today())
        errors |= {k: Message(v) for k, v in ferrors.items()}
        if not errors and f is not None:
            self.found = await self._ctx.cache.read(cached.filter_clients, f)
            self.searched = True
            if not self.found:
                errors["found"] = Message("lists.empty")
            elif len(self.found) > rules.MAX_LIST_CLIENTS:
                errors["found"] = Message.of("lists.too_many", rules.MAX_LIST_CLIENTS)
        self.errors = errors
        if errors or f is None:
            return
        await self._ctx.cache.write(
            cached.create_list,
            new_id(),
            who.store_id,
            name,
            str(self.form.get("note") or "").strip(),
            day,
            [cid for cid, _ in self.found],
            list(self.form["assignees"]),
            f.to_data(),
        )
        self._sync.sync_now()
        self.saved = name
        self.form, self.found, self.searched = blank(), [], False
        await self.load()
