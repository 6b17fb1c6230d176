"""The client book: the list on screen, the search typed over it, how many clients there are."""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field

import flet as ft

from app.cache import queries, signed_forms
from app.cache.queries import ClientRow
from app.state.context import Context

LIST_LIMIT = 100


@ft.observable
@dataclass(eq=False)
class ClientsModel:
    ctx: InitVar[Context]
    query: str = ""
    rows: list[ClientRow] = field(default_factory=list)
    total: int = 0
    more: bool = False  # the search found more than the list shows (LIST_LIMIT)
    book_loading: bool = False  # a bulk pull is on: name search finds new clients only at its end
    unsigned: set[str] = field(default_factory=set)  # listed clients without a signed consent to processing

    def __post_init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._search_seq = 0

    async def set_query(self, query: str) -> None:
        self.query = query
        await self.refresh(recount=False)

    async def refresh(self, recount: bool = True) -> None:
        """Re-read the list from the cache; a newer call supersedes an older one.

        Typing only searches (`recount=False`); counting the book waits for data to change.
        """
        self._search_seq += 1
        seq = self._search_seq
        cache = self._ctx.cache
        rows = await cache.read(queries.client_list, self.query, LIST_LIMIT + 1)  # one more: are there more?
        if recount:
            self.total = await cache.read(queries.client_count)
        unsigned = await cache.read(signed_forms.without_processing_consent, [r.id for r in rows[:LIST_LIMIT]])
        if seq == self._search_seq:
            self.rows, self.more, self.unsigned = rows[:LIST_LIMIT], len(rows) > LIST_LIMIT, unsigned

    @property
    def searching(self) -> bool:
        return bool(self.query.strip())

    @property
    def matches(self) -> int:
        """How many clients the search found (at least, when `more`)."""
        return len(self.rows)
