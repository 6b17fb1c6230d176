"""Loyalty that changes with time alone, seen in the browser.

A client bought 15 days ago: her points, pending for 14 days, unlocked yesterday. Another
client's birthday is today. Nothing new happens to either.
(1) The hub's scheduled job is off (`--expiry-interval 0`): the hub still lists the 300
points as pending, and the app, knowing their date has passed, shows them in the balance
"as of" now, saying the hub has yet to confirm.
(2) The hub restarts with its job on: it catches up at once, republishes both accounts,
and the app shows the same balance, confirmed (the note gone), and the birthday bonus
in the second client's points history, dated today.
The purchase is put in the hub's database with the hub's rules dated 15 days back (the
job's own clock-controlled tests are tests/hub/test_loyalty_schedule.py).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.cache.queries import Account
from app.state import loyalty_view
from sync.hub import demo, handlers, loyalty_service, members
from sync.hub.storage import HubDB, schema
from sync.models import Client, new_id, utcnow
from tests.conftest import HubProcess, free_port, seeded_db, spawn_hub, stop_process, wait_http
from tests.e2e.test_lookup_profile import logged_in
from tests.e2e.test_scan import open_profile

MSK = dt.timezone(dt.timedelta(hours=3))
STORE = demo.stores(1)[0]["id"]


def _new_client(conn, last: str, first: str, phone: str, at: dt.datetime, birthday: str | None = None) -> dict:
    """A client registered at `at`, as handlers.register files one (welcome bonus included)."""
    client = Client(
        id=new_id(), store_id=STORE, last_name=last, first_name=first, phone=phone, created_at=at, birthday=birthday
    ).model_dump(mode="json")
    welcome, figures, _ = loyalty_service.enroll(client, at)
    members.save(conn, {**client, **figures}, new=True)
    loyalty_service.append(conn, client, welcome)
    handlers.refresh_figures(conn, client, at)
    return client


def _account(path: Path, client_id: str) -> dict:
    conn = sqlite3.connect(path)
    raw = conn.execute("SELECT data FROM feed WHERE entity = 'account' AND entity_id = ?", [client_id]).fetchone()[0]
    conn.close()
    return json.loads(raw)


def _scene(path: Path) -> dict[str, Any]:
    """Her purchase 15 days ago (applied by the hub's rules then); another's birthday today
    (registered 15 days ago, when the hub last published her account)."""
    bought = utcnow() - dt.timedelta(days=15)
    today = utcnow().astimezone(MSK).date()
    born = today.replace(year=1990) if (today.month, today.day) != (2, 29) else dt.date(1992, 2, 29)
    rid = new_id()
    receipt = {
        "id": rid,
        "store_id": STORE,
        "fn": "9281000100200777",
        "i": str(int(rid[-8:], 16) % 10**9),
        "fp": "4242",
        "type": 1,
        "at": bought.isoformat(),
        "total": 1_000_000,
        "lines": [{"sku": "SCARF-1", "name": "Платок", "price": 1_000_000}],
    }
    db = HubDB(str(path))
    try:
        with db.write() as conn:
            buyer = _new_client(conn, "Времянкина", "Ольга", "+79990007711", bought - dt.timedelta(days=60))
            birthday = _new_client(conn, "Именинникова", "Вера", "+79990007722", bought, born.isoformat())
        with db.write() as conn:
            conn.execute(
                schema.receipts.insert(),
                [{k: receipt[k] for k in ("id", "store_id", "fn", "i", "fp")} | {"data": json.dumps(receipt)}],
            )
            client = members.load(conn, buyer["id"])
            assert client is not None
            receipt = handlers._attach(conn, receipt, client, "till", now=bought + dt.timedelta(minutes=1))
    finally:
        db.dispose()
    return {"buyer": buyer, "earned": receipt["points_earned"], "birthday": birthday}


@pytest.fixture
def loyalty_hub(tmp_path) -> Iterator[tuple[HubProcess, dict[str, Any]]]:
    path = seeded_db(tmp_path, clients=120)
    scene = _scene(path)
    port = free_port()
    hub = HubProcess(f"http://127.0.0.1:{port}", path, spawn_hub(path, port, ("--expiry-interval", "0")))
    wait_http(hub.url + "/healthz")
    yield hub, scene
    stop_process(hub.proc)


def _spaced(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def test_points_unlocked_yesterday_and_a_birthday_today_show_without_a_purchase(loyalty_hub, app_factory, screen):
    hub, scene = loyalty_hub
    buyer, earned = scene["buyer"], scene["earned"]
    assert earned == 300  # 3% of 10,000 RUB, Silver
    before = _account(hub.db_path, buyer["id"])
    assert any(p["points"] >= earned for p in before["pending"])  # what the hub said 15 days ago
    app = app_factory(hub.url)
    logged_in(screen, app.url)

    # (1) The job is off: the app counts the unlocked points itself, as of now.
    open_profile(screen, buyer)
    estimate = loyalty_view.figures(Account.from_data(before), before["balance"], utcnow())
    shown = estimate.balance
    assert estimate.unlocked >= earned
    screen.text(_spaced(shown), exact=True)
    screen.text("ждём подтверждения сервера")
    screen.shot("1-unlocked-as-of-now")

    # (2) The hub's job runs on start: it republishes her account, confirmed.
    stop_process(hub.proc)
    hub.proc = spawn_hub(hub.db_path, int(hub.url.rsplit(":", 1)[1]), ("--expiry-interval", "3600"))
    wait_http(hub.url + "/healthz")
    after = _account(hub.db_path, buyer["id"])
    for _ in range(50):  # the job runs right after start-up
        if after["as_of"] != before["as_of"]:
            break
        screen.page.wait_for_timeout(200)
        after = _account(hub.db_path, buyer["id"])
    assert after["as_of"] != before["as_of"], "the hub's job did not republish her account"
    assert (after["balance"], after["pending_total"]) == (shown, sum(p.points for p in estimate.pending))
    screen.page.get_by_text("ждём подтверждения сервера").first.wait_for(state="detached", timeout=30_000)
    screen.text(_spaced(after["balance"]), exact=True)
    screen.shot("2-confirmed-by-the-hub")

    # The birthday bonus, given by the same run, in her points history dated today.
    person = scene["birthday"]
    open_profile(screen, person, from_profile=True)
    screen.text("История баллов")
    screen.text("Бонус ко дню рождения")
    screen.text(utcnow().astimezone(MSK).strftime("%d.%m.%Y"))
    screen.page.get_by_text("Бонус ко дню рождения").first.scroll_into_view_if_needed()
    screen.shot("3-birthday-bonus-in-history")
