"""The scheduled loyalty job on a fake clock (SQLite and PostgreSQL): what time alone
changes - the 14-day unlock, the 12-month roll-off, birthdays (29 February too), month
and year ends - is applied when due, once, by several workers, and after downtime."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from typing import Any

import pytest
from sqlalchemy import insert, select

from sync.hub import clock, handlers, loyalty_service, members, schedule
from sync.hub import loyalty as rules
from sync.hub.auth import Account
from sync.hub.storage import HubDB, schema
from sync.models import Mutation, new_id
from tests.conftest import ROOT
from tests.hub import till

UTC = dt.UTC
MSK = dt.timezone(dt.timedelta(hours=3))
STORE = "00000000-0000-4000-8000-00000000aaaa"


@pytest.fixture(scope="module")
def db(hub_url):
    d = HubDB(hub_url)
    d.migrate()
    yield d
    d.dispose()


@pytest.fixture(autouse=True)
def dboutique(monkeypatch):
    monkeypatch.setenv(loyalty_service.PROGRAM_ENV, "dboutique")


def _client(db: HubDB, at: dt.datetime, birthday: str | None = None) -> str:
    cid = new_id()
    client = {
        "id": cid,
        "store_id": STORE,
        "last_name": "Тестова",
        "first_name": "Ира",
        "created_at": at.isoformat(),
        "birthday": birthday,
    }
    welcome, figures, _ = loyalty_service.enroll(client, at)  # as handlers.register does
    with db.write() as conn:
        members.save(conn, {**client, **figures}, new=True)
        loyalty_service.append(conn, client, welcome)
        handlers.refresh_figures(conn, client, at)
    return cid


def _buy(db: HubDB, cid: str, at: dt.datetime, total: int) -> dict[str, Any]:
    """A till's sale tied to the client at `at` (the hub's clock then)."""
    return till.sell(db, STORE, cid, at, total, "Пальто")[1]


def _account(db: HubDB, cid: str) -> tuple[int, dict]:
    with db.read() as conn:
        feed = schema.feed
        row = conn.execute(
            select(feed.c.seq, feed.c.data).where(feed.c.entity == "account", feed.c.entity_id == cid)
        ).one()
    return row[0], json.loads(row[1])


def _due(db: HubDB, cid: str) -> str | None:
    with db.read() as conn:
        due = schema.loyalty_due
        return conn.execute(select(due.c.due_at).where(due.c.client_id == cid)).scalar_one_or_none()


def _ledger(db: HubDB, cid: str) -> list[rules.LedgerEntry]:
    with db.read() as conn:
        return loyalty_service.entries(conn, cid)


def test_pending_points_unlock_after_14_days_without_a_purchase(db):
    t0 = dt.datetime(2026, 2, 10, 12, tzinfo=UTC)
    cid = _client(db, t0 - dt.timedelta(days=1))
    _buy(db, cid, t0, 1_000_000)  # 10,000 RUB at 3% (Silver): 300 points, pending 14 days
    seq0, acc = _account(db, cid)
    assert (acc["balance"], acc["pending_total"]) == (500, 300)  # the welcome bonus is available
    assert (_due(db, cid) or "") <= "2026-02-24T12:00:00"  # the unlock, or a campaign's start before it
    schedule.run_due(db, t0 + dt.timedelta(days=13))
    assert _account(db, cid)[1]["pending_total"] == 300
    done = schedule.run_due(db, t0 + dt.timedelta(days=14, minutes=1))
    assert done.clients >= 1
    seq1, acc = _account(db, cid)
    assert seq1 > seq0  # republished in the change feed: devices pull it
    assert (acc["balance"], acc["pending_total"]) == (800, 0)
    with db.read() as conn:
        client = members.load(conn, cid)
    assert client is not None and client["points_balance"] == 800 and client["pending_points"] == 0


def test_tier_drops_when_the_purchase_leaves_the_12_month_window_at_a_month_end(db):
    t0 = dt.datetime(2025, 3, 31, 12, tzinfo=UTC)
    cid = _client(db, t0 - dt.timedelta(days=1))
    _buy(db, cid, t0, 35_000_000)  # 350,000 RUB: Gold
    _, acc = _account(db, cid)
    assert acc["tier"] == "Gold"
    schedule.run_due(db, dt.datetime(2026, 3, 31, 11, 59, tzinfo=UTC))
    assert _account(db, cid)[1]["tier"] == "Gold"
    schedule.run_due(db, dt.datetime(2026, 3, 31, 12, 0, 1, tzinfo=UTC))
    _, acc = _account(db, cid)
    assert (acc["tier"], acc["spend_12m"]) == ("Silver", 0)
    with db.read() as conn:
        client = members.load(conn, cid)
    assert client is not None and client["tier"] == "Silver"


def test_a_purchase_on_29_february_leaves_the_window_on_1_march(db):
    t0 = dt.datetime(2024, 2, 29, 10, tzinfo=UTC)
    cid = _client(db, t0 - dt.timedelta(days=1))
    _buy(db, cid, t0, 35_000_000)
    # 2025 has no 29 February: 12 months later the window still holds the purchase on the
    # 28th, and drops it at the first moment it no longer does (1 March, midnight).
    schedule.run_due(db, dt.datetime(2025, 2, 28, 23, tzinfo=UTC))
    assert _account(db, cid)[1]["tier"] == "Gold"
    assert _due(db, cid) == "2025-03-01T00:00:00"
    schedule.run_due(db, dt.datetime(2025, 3, 1, 0, 0, 1, tzinfo=UTC))
    assert _account(db, cid)[1]["tier"] == "Silver"


def test_a_birthday_on_29_february_is_celebrated_on_28_february_once(db):
    cid = _client(db, dt.datetime(2026, 6, 1, tzinfo=UTC), birthday="2000-02-29")
    schedule.run_due(db, dt.datetime(2027, 2, 24, 20, 59, tzinfo=UTC))
    # D'Boutique: the window opens three days before (25 Feb 2027, local midnight).
    assert _due(db, cid) == "2027-02-24T21:00:00"
    assert not [e for e in _ledger(db, cid) if e.kind == "birthday"]
    schedule.run_due(db, dt.datetime(2027, 2, 24, 21, 5, tzinfo=UTC))
    schedule.run_due(db, dt.datetime(2027, 2, 28, 9, tzinfo=UTC))  # again, inside the window
    bonus = [e for e in _ledger(db, cid) if e.kind == "birthday"]
    assert [(e.points, e.reason) for e in bonus] == [(1_000, "Birthday bonus 2027: Happy birthday from D'Boutique")]
    assert _account(db, cid)[1]["balance"] == 1_000  # the welcome bonus (30 days) expired long ago
    assert _due(db, cid) == "2027-03-10T21:05:00"  # the bonus lives 14 days
    schedule.run_due(db, dt.datetime(2027, 3, 10, 21, 5, tzinfo=UTC))
    assert _account(db, cid)[1]["balance"] == 0
    # then next year's window: 2028 is a leap year, 29 Feb - 3 days, local midnight
    assert _due(db, cid) == "2028-02-25T21:00:00"


def test_a_january_birthday_whose_window_opens_in_december_is_given_once(db):
    cid = _client(db, dt.datetime(2026, 6, 1, tzinfo=UTC), birthday="1990-01-01")
    schedule.run_due(db, dt.datetime(2026, 12, 29, 9, tzinfo=UTC))  # 29 Dec: three days before
    schedule.run_due(db, dt.datetime(2027, 1, 2, 9, tzinfo=UTC))  # the new year, same window
    bonus = [e for e in _ledger(db, cid) if e.kind == "birthday"]
    assert len(bonus) == 1 and bonus[0].reason.startswith("Birthday bonus 2027")


def test_the_unlock_crosses_the_year_end_in_local_time(db):
    t0 = dt.datetime(2025, 12, 31, 22, tzinfo=UTC)  # 1 January 01:00 in Moscow
    cid = _client(db, t0 - dt.timedelta(days=40))  # her welcome bonus has expired by now
    _buy(db, cid, t0, 1_000_000)
    schedule.run_due(db, dt.datetime(2026, 1, 14, 21, 59, tzinfo=UTC))
    assert _account(db, cid)[1]["pending_total"] == 300
    schedule.run_due(db, dt.datetime(2026, 1, 14, 22, 0, tzinfo=UTC))
    _, acc = _account(db, cid)
    assert (acc["balance"], acc["pending_total"]) == (300, 0)


def test_after_downtime_one_run_catches_up_with_entries_dated_by_the_rules(db):
    t0 = dt.datetime(2025, 1, 15, 12, tzinfo=UTC)
    cid = _client(db, t0 - dt.timedelta(days=1))
    _buy(db, cid, t0, 1_000_000)
    # nobody ran the job for two years: unlock (14 days), expiry (6 months later), roll-off
    later = dt.datetime(2027, 1, 1, tzinfo=UTC)
    schedule.run_due(db, later)
    expiries = sorted((e for e in _ledger(db, cid) if e.kind == "expiry"), key=lambda e: e.at)
    assert [(e.points, e.at) for e in expiries] == [
        (-500, dt.datetime(2025, 2, 13, 12, tzinfo=UTC)),  # the welcome bonus: 30 days
        (-300, dt.datetime(2025, 7, 29, 12, tzinfo=UTC)),  # the purchase: unlock + 6 months
    ]
    _, acc = _account(db, cid)
    assert (acc["balance"], acc["pending_total"], acc["spend_12m"]) == (0, 0, 0)
    assert _due(db, cid) is None  # nothing more will change by itself
    assert schedule.run_due(db, later).entries == 0


def test_several_workers_apply_each_due_change_once(db):
    t0 = dt.datetime(2030, 5, 1, 12, tzinfo=UTC)
    ids = [_client(db, t0 - dt.timedelta(days=40), birthday="1985-05-20") for _ in range(12)]
    for cid in ids:
        _buy(db, cid, t0, 2_000_000)
    when = dt.datetime(2030, 5, 20, 9, tzinfo=UTC)  # unlocked, and their birthday
    results: list[schedule.Done] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(schedule.run_due(db, when, batch=3))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for cid in ids:
        ledger = _ledger(db, cid)
        assert rules.check_ledger(ledger) == []
        assert [e.points for e in ledger if e.kind == "birthday"] == [1_000]
        _, acc = _account(db, cid)
        assert (acc["balance"], acc["pending_total"]) == (1_600, 0)  # 600 unlocked + birthday
    assert sum(r.entries for r in results) >= len(ids)  # at least the birthdays, each once


def test_last_visit_follows_purchases_and_visits(db):
    t0 = dt.datetime(2026, 3, 1, 22, 30, tzinfo=UTC)  # 01:30 on 2 March in Moscow
    cid = _client(db, t0 - dt.timedelta(days=5))
    _buy(db, cid, t0, 500_000)
    assert _client_row(db, cid)["last_visit"] == "2026-03-02"
    visit = Mutation(
        id=new_id(),
        kind="contact.log",
        entity_id=new_id(),
        payload={"client_id": cid, "channel": "visit", "text": "Примерила пальто", "at": "2026-03-09T12:00:00+03:00"},
        client_time=t0,
    )
    staff = Account(new_id(), STORE, "demo", "Консультант", "consultant")
    with db.write() as conn:
        handlers.contact(conn, visit, staff, "device-1")
    assert _client_row(db, cid)["last_visit"] == "2026-03-09"
    _buy(db, cid, dt.datetime(2026, 3, 5, tzinfo=UTC), 100_000)  # an older receipt, arrived late
    assert _client_row(db, cid)["last_visit"] == "2026-03-09"


def _client_row(db: HubDB, cid: str) -> dict:
    with db.read() as conn:
        client = members.load(conn, cid)
    assert client is not None
    return client


def test_the_referrers_reward_comes_when_the_newcomers_first_purchase_clears_its_pending_period(db):
    t0 = dt.datetime(2026, 4, 1, 10, tzinfo=UTC)
    owner = _client(db, t0)
    with db.write() as conn:
        code = loyalty_service.code_for(conn, owner, "client", STORE)
    assert code is not None and _account(db, owner)[1]["referral_code"] == code
    newcomer, small = _client(db, t0 + dt.timedelta(days=1)), _client(db, t0 + dt.timedelta(days=1))
    with db.write() as conn:
        link, notes = loyalty_service.register_referral(conn, newcomer, code.lower(), t0 + dt.timedelta(days=1))
        assert link is not None and link.owner_id == owner and notes == []
        assert loyalty_service.register_referral(conn, small, code, t0 + dt.timedelta(days=1))[0] is not None
        unknown, why = loyalty_service.register_referral(conn, new_id(), "DBO-NOPE", t0)
        assert unknown is None and why == ["Referral code DBO-NOPE is not known"]
    _buy(db, newcomer, t0 + dt.timedelta(days=2), 1_500_000)  # from 10,000 RUB: counts
    _buy(db, small, t0 + dt.timedelta(days=2), 500_000)  # too small a first purchase
    assert _account(db, newcomer)[1]["newcomer_discount_percent"] == "0"  # used on her first purchase
    schedule.run_due(db, t0 + dt.timedelta(days=15))
    assert not [e for e in _ledger(db, owner) if e.kind == "referral"]
    schedule.run_due(db, t0 + dt.timedelta(days=16, minutes=1))
    schedule.run_due(db, t0 + dt.timedelta(days=17))
    rewards = [e for e in _ledger(db, owner) if e.kind == "referral"]
    assert [(e.points, e.at) for e in rewards] == [(1_000, t0 + dt.timedelta(days=16))]
    assert _account(db, owner)[1]["balance"] == 500 + 1_000  # her welcome bonus, and the reward


def test_a_till_return_naming_its_sale_by_fiscal_key_takes_the_points_back(db):
    # A return receipt names its sale by fiscal key (PosReceipt.refers_to); the rules want
    # the sale's id. Before, such a receipt failed validation on every later figure.
    t0 = dt.datetime(2026, 6, 1, 12, tzinfo=UTC)
    cid = _client(db, t0 - dt.timedelta(days=40))
    sale = _buy(db, cid, t0, 1_000_000)
    rid = new_id()
    back: dict[str, Any] = {
        "id": rid,
        "store_id": STORE,
        "fn": sale["fn"],
        "i": rid[-12:],
        "fp": "1",
        "type": 2,
        "at": (t0 + dt.timedelta(days=2)).isoformat(),
        "total": 1_000_000,
        "refers_to": {"fn": sale["fn"], "i": sale["i"], "fp": sale["fp"]},
        "lines": [{"sku": "A", "name": "Пальто", "price": 1_000_000}],
    }
    with db.write() as conn:
        conn.execute(
            insert(schema.receipts),
            [{"id": rid, "store_id": STORE, "fn": back["fn"], "i": back["i"], "fp": "1", "data": json.dumps(back)}],
        )
        client = members.load(conn, cid)
        assert client is not None
        back = handlers._attach(conn, back, client, "till", now=t0 + dt.timedelta(days=2))
    assert back["points_earned"] == -300
    _, acc = _account(db, cid)
    assert (acc["balance"], acc["pending_total"], acc["spend_12m"]) == (0, 0, 0)
    assert _client_row(db, cid)["last_visit"] == "2026-06-01"  # a return is no visit


def test_run_due_from_the_command_line(tmp_path):
    """`python -m sync.hub run-due` (for cron): brings a database up to date and says so."""
    path = tmp_path / "hub.sqlite"
    d = HubDB(str(path))
    d.migrate()
    cid = _client(d, dt.datetime.now(UTC) - dt.timedelta(days=60))  # her welcome bonus expired
    assert _account(d, cid)[1]["balance"] == 500
    d.dispose()
    out = subprocess.run(
        [sys.executable, "-m", "sync.hub", "run-due", "--db", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "VITRINE_PROGRAM": "dboutique"},
    )
    assert out.returncode == 0, out.stderr
    assert "loyalty job: 1 clients up to date" in out.stdout
    d = HubDB(str(path))
    try:
        assert _account(d, cid)[1]["balance"] == 0
        assert [e.points for e in _ledger(d, cid) if e.kind == "expiry"] == [-500]
    finally:
        d.dispose()


def test_the_test_clock_needs_its_switch(monkeypatch):
    monkeypatch.setenv(clock.OFFSET_ENV, "15")
    monkeypatch.delenv(clock.ENABLE_ENV, raising=False)
    assert clock.offset() == dt.timedelta(0)  # a stray offset on a real hub is ignored
    monkeypatch.setenv(clock.ENABLE_ENV, "1")
    assert clock.offset() == dt.timedelta(days=15)
    assert clock.now() - dt.datetime.now(UTC) > dt.timedelta(days=14, hours=23)
