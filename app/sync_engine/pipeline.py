"""Fetch-ahead: pages of the feed requested ahead of the writer that applies them.

Both pulls (JSON pages and SQLite pages) run through `FetchAhead`: a fetcher task asks
for the next page as soon as it knows the current one's cursor (a SQLite page's
headers, before its body; a JSON page once it has arrived), while the writer applies
earlier ones, so the hub, the network and the device's writer work side by side.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable, Coroutine
from typing import Any, Generic, Protocol, TypeVar


class Leads(Protocol):
    """A page, or its meta: where it leads."""

    @property
    def next_cursor(self) -> int: ...

    @property
    def has_more(self) -> bool: ...


P = TypeVar("P", bound=Leads)

Fetch = Callable[[int, bool, Callable[[Leads], None]], Coroutine[Any, Any, P]]
"""fetch(cursor, first, on_meta): the page after `cursor` (`first`: the pull's first
page). It may call on_meta as soon as it knows where the page leads (its headers);
otherwise the page itself tells, once it has arrived."""


class FetchAhead(Generic[P]):
    """The pages after `cursor`, fetched up to `depth` ahead of the consumer, in order.

        async with FetchAhead(fetch, cursor, depth) as pages:
            page = await pages.next()       # waits for it
            more = pages.arrived()          # the next one if it is already here, else None

    The fetcher stops after a page without `has_more`, or at a failure: the pages asked
    before it still reach the consumer, then `next()` raises it. Leaving the block
    cancels the fetcher and every request not handed out yet (and waits for them).
    """

    def __init__(self, fetch: Fetch[P], cursor: int, depth: int, name: str = "vitrine-fetch-ahead"):
        self._fetch = fetch
        self._cursor = cursor
        self._name = name
        self._items: collections.deque[asyncio.Task[P] | BaseException] = collections.deque()
        self._space = asyncio.Semaphore(depth)
        self._changed = asyncio.Event()
        self._over = False
        self._fetcher: asyncio.Task[None] | None = None

    async def __aenter__(self) -> FetchAhead[P]:
        self._fetcher = asyncio.create_task(self._run(), name=self._name)
        return self

    async def __aexit__(self, *exc: object) -> None:
        left: list[asyncio.Future] = []
        if self._fetcher is not None:
            self._fetcher.cancel()
            left.append(self._fetcher)
        while self._items:
            item = self._items.popleft()
            if isinstance(item, asyncio.Task):
                item.cancel()
                left.append(item)
        await asyncio.gather(*left, return_exceptions=True)

    async def next(self) -> P:
        """The next page, once it has arrived; or the failure that ended the fetching."""
        while not self._items:
            if self._over:
                raise RuntimeError("no page after the last one")
            self._changed.clear()
            await self._changed.wait()
        item = self._pop()
        if isinstance(item, BaseException):
            raise item
        return await item

    def arrived(self) -> P | None:
        """The next page if it has arrived in full, without waiting; None if it has not
        (or if fetching failed there: `next()` raises that)."""
        if not self._items:
            return None
        head = self._items[0]
        if not isinstance(head, asyncio.Task) or not head.done() or head.cancelled() or head.exception():
            return None
        self._pop()
        return head.result()

    def _pop(self) -> asyncio.Task[P] | BaseException:
        item = self._items.popleft()
        self._space.release()
        return item

    async def _put(self, item: asyncio.Task[P] | BaseException) -> None:
        await self._space.acquire()
        self._items.append(item)
        self._changed.set()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        at, first = self._cursor, True
        try:
            while True:
                meta: asyncio.Future[Leads] = loop.create_future()

                def on_meta(found: Leads, meta: asyncio.Future[Leads] = meta) -> None:
                    if not meta.done():
                        meta.set_result(found)

                request = asyncio.create_task(self._fetch(at, first, on_meta))
                first = False
                try:
                    await self._put(request)
                except asyncio.CancelledError:  # the pull is over: this page is not wanted
                    request.cancel()
                    raise
                either: list[asyncio.Future[Any]] = [meta, request]
                await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
                if meta.done():
                    leads: Leads = meta.result()
                elif request.cancelled() or request.exception() is not None:
                    return  # failed before it said where it leads: the consumer raises it
                else:
                    leads = request.result()
                if not leads.has_more:
                    return
                at = leads.next_cursor
        except Exception as e:  # noqa: BLE001 - handed to the consumer, raised there
            await self._put(e)
        finally:
            self._over = True
            self._changed.set()
