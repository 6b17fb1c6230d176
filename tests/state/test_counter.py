"""The counter panel's model against a real hub (INTERMODA's program: points pay at most
20%, never sale items): the hub's exact figures online, the same rule on the cached
account offline, said to be an estimate; a bad sum keeps what was typed."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator

import pytest

from app.state.messages import Message
from sync.hub import demo
from sync.rules import counter
from tests.conftest import HubProcess, start_hub
from tests.state.test_app import logged_in, wait_for


@pytest.fixture(scope="module")
def intermoda_hub(tmp_path_factory) -> Iterator[HubProcess]:
    """Its own hub (stopped by a test to go offline) on the INTERMODA program."""
    before = os.environ.get("VITRINE_PROGRAM")
    os.environ["VITRINE_PROGRAM"] = "intermoda"  # the seed here and the hub process read it
    try:
        hub = start_hub(tmp_path_factory.mktemp("hub"), clients=60)
        yield hub
        hub.stop()
    finally:
        if before is None:
            os.environ.pop("VITRINE_PROGRAM", None)
        else:
            os.environ["VITRINE_PROGRAM"] = before


def rich_client(hub: HubProcess, least: int = 500) -> dict:
    """A client of the demo consultant's store with at least `least` points."""
    conn = sqlite3.connect(hub.db_path)
    store = demo.stores(1)[0]["id"]
    rows = [json.loads(r[0]) for r in conn.execute("SELECT data FROM clients WHERE store_id = ? ORDER BY id", [store])]
    conn.close()
    return next(c for c in rows if (c.get("points_balance") or 0) >= least)


async def test_online_exact_then_offline_estimate_with_the_same_rule(intermoda_hub, tmp_path):
    ctrl = await logged_in(intermoda_hub, tmp_path)
    await wait_for(lambda: ctrl.clients.total > 0 and not ctrl.sync.status.syncing)
    her = rich_client(intermoda_hub)
    await ctrl.profile.open(her["id"])
    m = ctrl.profile.counter
    m.show(her["id"])
    m.set_field("total", "15 000")
    m.set_field("sale", "5 000,00")
    await m.calculate()
    assert m.error is None and m.result is not None
    online = m.result
    assert not online.estimate
    q = online.quote
    # 20% of the 10,000 RUB of ordinary goods; the 5,000 RUB of sale items take no points
    assert q.cap_points == 2_000 and q.excluded_kopecks == 500_000 and q.total == 1_500_000
    assert q.max_points == min(her["points_balance"], 2_000)
    assert q.to_pay == 1_500_000 - q.max_points * 100

    intermoda_hub.stop()
    try:
        await m.calculate()
        offline = m.result
        assert offline is not None and offline.estimate and offline.why == "offline" and offline.as_of
        assert offline.quote == q  # her figures have not changed: the same rule gives the same answer
    finally:
        intermoda_hub.start()
    await ctrl.close()


async def test_bad_sums_are_refused_and_kept(intermoda_hub, tmp_path):
    ctrl = await logged_in(intermoda_hub, tmp_path)
    await wait_for(lambda: ctrl.clients.total > 0)
    her = rich_client(intermoda_hub)
    m = ctrl.profile.counter
    m.show(her["id"])
    m.set_field("total", "15 000 рублей и 5 копеек")
    await m.calculate()
    assert m.error == Message("counter.bad_sum") and m.result is None and m.total == "15 000 рублей и 5 копеек"
    m.set_field("total", "1000")
    m.set_field("sale", "2000")
    await m.calculate()
    assert m.error == Message("counter.parts_exceed") and m.sale == "2000"
    m.set_field("total", "")
    m.set_field("sale", "")
    await m.calculate()
    assert m.error == Message("counter.no_sum")
    await ctrl.close()


def test_typed_roubles():
    from app.state.counter import balance_now, kopecks

    assert kopecks("15 000") == 1_500_000
    assert kopecks("15\u00a0000,50 ₽") == 1_500_050
    assert kopecks("") == 0
    assert kopecks("1,005") is None and kopecks("-5") is None and kopecks("abc") is None and kopecks("nan") is None
    import datetime as dt

    now = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    acc = {
        "balance": 100,
        "pending": [
            {"points": 50, "at": "2026-04-30T00:00:00+00:00"},
            {"points": 7, "at": "2026-05-02T00:00:00+00:00"},
        ],
        "expiring": [{"points": 30, "at": "2026-04-30T12:00:00+00:00"}],
    }
    assert balance_now(acc, now) == 120  # the unlocked 50 count, the expired 30 are gone
    assert counter.CounterRules.from_data({}).max_percent == 100
