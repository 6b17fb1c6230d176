"""FetchAhead (app.sync_engine.pipeline) on its own: order, look-ahead bound, failures, clean-up."""

from __future__ import annotations

import asyncio

import pytest

from app.sync_engine.pipeline import FetchAhead
from sync.page import PageMeta


class Feed:
    """Pages of `size` cursors up to `last`; records what was asked and what is running."""

    def __init__(self, last: int, size: int = 10, fail_at: int | None = None, headers_first: bool = False):
        self.last, self.size, self.fail_at, self.headers_first = last, size, fail_at, headers_first
        self.asked: list[int] = []
        self.running = 0
        self.most_running = 0
        self.cancelled = 0
        self.release = asyncio.Event()  # bodies wait for it
        self.release.set()

    async def fetch(self, at: int, first: bool, on_meta) -> PageMeta:
        self.asked.append(at)
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            await asyncio.sleep(0)
            if at == self.fail_at:
                raise ConnectionError(f"page after {at}")
            meta = PageMeta(min(at + self.size, self.last), at + self.size < self.last, self.last if first else None)
            if self.headers_first:
                on_meta(meta)
            await self.release.wait()
            return meta
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.running -= 1


async def _drain(pages: FetchAhead) -> list[int]:
    got = []
    while True:
        page = await pages.next()
        got.append(page.next_cursor)
        if not page.has_more:
            return got


@pytest.mark.parametrize("headers_first", [False, True])
async def test_pages_reach_the_consumer_in_order_and_the_fetcher_stops_at_the_last(headers_first):
    feed = Feed(95, headers_first=headers_first)
    async with FetchAhead(feed.fetch, 5, depth=2) as pages:
        assert await _drain(pages) == [15, 25, 35, 45, 55, 65, 75, 85, 95]
        await asyncio.sleep(0.01)
    assert feed.asked == [5, 15, 25, 35, 45, 55, 65, 75, 85]


async def test_the_look_ahead_is_bounded_and_headers_let_the_next_request_go_early():
    feed = Feed(1000, headers_first=True)
    feed.release.clear()  # no body ever completes: only headers arrive
    async with FetchAhead(feed.fetch, 0, depth=2) as pages:
        await asyncio.sleep(0.05)
        # two queued for the consumer, one more started and waiting for room
        assert feed.asked == [0, 10, 20] and feed.running == 3
        feed.release.set()
        assert (await pages.next()).next_cursor == 10
        await asyncio.sleep(0.05)
        assert len(feed.asked) == 4
    assert feed.running == 0


async def test_without_headers_first_one_request_runs_at_a_time():
    feed = Feed(200)
    async with FetchAhead(feed.fetch, 0, depth=4) as pages:
        assert len(await _drain(pages)) == 20
    assert feed.most_running == 1


async def test_a_failure_reaches_the_consumer_after_the_pages_before_it():
    feed = Feed(100, fail_at=30)
    async with FetchAhead(feed.fetch, 0, depth=4) as pages:
        await asyncio.sleep(0.05)  # everything up to the failure has arrived
        arrived = []
        while (page := pages.arrived()) is not None:
            arrived.append(page.next_cursor)
        assert arrived == [10, 20, 30]  # arrived() stops before the failure...
        with pytest.raises(ConnectionError):
            await pages.next()  # ...which next() raises
    assert feed.asked == [0, 10, 20, 30]  # nothing asked after it


async def test_leaving_early_cancels_the_requests_not_handed_out():
    feed = Feed(1000, headers_first=True)
    feed.release.clear()
    with pytest.raises(RuntimeError, match="the consumer fails"):
        async with FetchAhead(feed.fetch, 0, depth=2):
            await asyncio.sleep(0.05)
            raise RuntimeError("the consumer fails")
    assert feed.running == 0 and feed.cancelled == 3
