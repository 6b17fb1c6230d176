"""The counter panel's model against a real hub (INTERMODA's program: points pay at most
20%, never sale items): the hub's exact figures online, the same rule on the cached
account offline, said to be an estimate; a bad sum keeps what was typed."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterator

import pytest

from app.state.messages import Message
from sync.hub import demo
from sync.rules import counter
from tests.conftest import HubProcess, free_port, seeded_db, spawn_hub, start_hub, wait_http
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
    from app.state.counter import kopecks

    assert kopecks("15 000") == 1_500_000
    assert kopecks("15\u00a0000,50 ₽") == 1_500_050
    assert kopecks("") == 0
    assert kopecks("1,005") is None and kopecks("-5") is None and kopecks("abc") is None and kopecks("nan") is None
    assert counter.CounterRules.from_data({}).max_percent == 100


def _bought_15_days_ago(path) -> tuple[dict, int]:
    """A client of the demo store whose purchase 15 days ago left points pending for 14 days:
    the hub published her account then, and its job is off, so the cached figures still say
    pending though the points unlocked yesterday."""
    from sync.hub import handlers, loyalty_service, members
    from sync.hub.storage import HubDB, schema
    from sync.models import Client, new_id, utcnow

    store = demo.stores(1)[0]["id"]
    bought = utcnow() - dt.timedelta(days=15)
    joined = bought - dt.timedelta(days=60)
    client = Client(
        id=new_id(), store_id=store, last_name="Счётова", first_name="Анна", phone="+79990007733", created_at=joined
    ).model_dump(mode="json")
    rid = new_id()
    receipt = {
        "id": rid,
        "store_id": store,
        "fn": "9281000100200778",
        "i": str(int(rid[-8:], 16) % 10**9),
        "fp": "4243",
        "type": 1,
        "at": bought.isoformat(),
        "total": 1_000_000,
        "lines": [{"sku": "SCARF-1", "name": "Платок", "price": 1_000_000}],
    }
    db = HubDB(str(path))
    try:
        with db.write() as conn:
            welcome, figures, _ = loyalty_service.enroll(client, joined)
            members.save(conn, {**client, **figures}, new=True)
            loyalty_service.append(conn, client, welcome)
            handlers.refresh_figures(conn, client, joined)
        with db.write() as conn:
            conn.execute(
                schema.receipts.insert(),
                [{k: receipt[k] for k in ("id", "store_id", "fn", "i", "fp")} | {"data": json.dumps(receipt)}],
            )
            her = members.load(conn, client["id"])
            assert her is not None
            receipt = handlers._attach(conn, receipt, her, "till", now=bought + dt.timedelta(minutes=1))
    finally:
        db.dispose()
    return client, receipt["points_earned"]


async def test_the_offline_estimate_and_the_profile_show_the_same_balance_after_an_unlock(tmp_path):
    from app.state import loyalty_view
    from sync.models import utcnow

    path = seeded_db(tmp_path, clients=40)
    her, earned = _bought_15_days_ago(path)
    assert earned > 0
    port = free_port()
    hub = HubProcess(f"http://127.0.0.1:{port}", path, spawn_hub(path, port, ("--expiry-interval", "0")))
    try:
        wait_http(hub.url + "/healthz")
        ctrl = await logged_in(hub, tmp_path)
        await wait_for(lambda: ctrl.clients.total > 0 and not ctrl.sync.status.syncing)
        await ctrl.profile.open(her["id"])
        p = ctrl.profile.data
        assert p is not None and p.account is not None
        shown = loyalty_view.figures(p.account, p.balance, utcnow())
        assert shown.unlocked >= earned  # the cached figures still list them as pending
        hub.stop()  # offline: the counter estimates from the cache
        m = ctrl.profile.counter
        m.show(her["id"])
        m.set_field("total", "100 000")
        await m.calculate()
        assert m.result is not None and m.result.estimate, m.error
        assert m.result.quote.balance == shown.balance
        assert m.result.quote.balance > (p.account.balance or 0)
        await ctrl.close()
    finally:
        hub.stop()
