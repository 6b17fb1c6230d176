"""An imported tier is a floor (SQLite and PostgreSQL): a member another loyalty system
made Gold stays Gold here for one tier window (12 months) from the import, whatever she
spends, earns Gold's percent meanwhile, takes a higher tier her own spend earns, and the
scheduled job republishes her when the floor lapses."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from sync.hub import loyalty as rules
from sync.hub import loyalty_service, member_import, members, schedule
from sync.hub.storage import HubDB, schema, sql
from sync.models import new_id
from tests.hub import till

UTC = dt.UTC
STORE = "00000000-0000-4000-8000-0000000f100a"
T0 = dt.datetime(2026, 3, 10, 9, tzinfo=UTC)  # the import
LAPSE = dt.datetime(2027, 3, 10, 9, tzinfo=UTC)  # one tier window (12 months) later

MAPPING = """
source = "oldsys"
store = "Этаж"
[columns]
external_id = "ID"
last_name = "Фамилия"
first_name = "Имя"
tier = "Уровень"
points = "Баллы"
[tiers]
"Золото" = "Gold"
"""


@pytest.fixture(scope="module")
def db(hub_url):
    d = HubDB(hub_url)
    d.migrate()
    with d.write() as conn:
        conn.execute(insert(schema.stores), [{"id": STORE, "name": "Этаж", "brand_id": new_id()}])
    yield d
    d.dispose()


@pytest.fixture(autouse=True)
def dboutique(monkeypatch):
    monkeypatch.setenv(loyalty_service.PROGRAM_ENV, "dboutique")


def _import(db: HubDB, tmp_path: Path, ext: str, tier: str = "Золото") -> str:
    (tmp_path / "map.toml").write_text(MAPPING, encoding="utf-8")
    export = tmp_path / f"{ext}.csv"
    export.write_text(f"ID;Фамилия;Имя;Уровень;Баллы\n{ext};Гостева;Анна;{tier};100\n", encoding="utf-8")
    rep = member_import.run(db, export, member_import.load_mapping(tmp_path / "map.toml"), now=T0)
    assert rep.imported == 1  # (the reconciliation is per source, over every run: test_member_import)
    with db.read() as conn:
        return sql(conn, "SELECT client_id FROM member_imports WHERE external_id = ?", (ext,)).fetchone()[0]


def _buy(db: HubDB, cid: str, at: dt.datetime, total: int) -> dict[str, Any]:
    """A till's sale tied to the client at `at` (the hub's clock then)."""
    return till.sell(db, STORE, cid, at, total, "Шарф")[0]


def _account(db: HubDB, cid: str) -> dict:
    with db.read() as conn:
        feed = schema.feed
        row = conn.execute(
            select(feed.c.data).where(feed.c.entity == "account", feed.c.entity_id == cid).order_by(feed.c.seq.desc())
        ).first()
        assert row is not None
        client = members.load(conn, cid)
    assert client is not None
    data = json.loads(row[0])
    assert client["tier"] == data["tier"]  # the snapshot and the account say the same
    return data


def _accrual(db: HubDB, receipt_id: str) -> rules.LedgerEntry:
    with db.read() as conn:
        rows = sql(conn, "SELECT data FROM ledger").fetchall()
    (e,) = [
        x
        for x in (rules.LedgerEntry.model_validate_json(r[0]) for r in rows)
        if x.receipt_id == receipt_id and x.kind == "accrual"
    ]
    return e


def test_an_imported_gold_member_keeps_gold_after_a_small_purchase_and_earns_its_percent(db, tmp_path):
    cid = _import(db, tmp_path, "F-1")
    assert _account(db, cid)["tier"] == "Gold"
    r = _buy(db, cid, T0 + dt.timedelta(days=30), 1_000_000)  # 10,000 RUB: Silver by her spend here
    acc = _account(db, cid)
    assert (acc["tier"], acc["tier_percent"], acc["spend_12m"]) == ("Gold", "5", 1_000_000)
    assert acc["counter"]["tier_percent"] == "5"  # the device quotes offline at Gold's percent too
    e = _accrual(db, r["id"])
    assert (
        "Gold tier" in e.reason
        and e.points == 1_000_000 * 5 // 100 // rules.builtin_program("dboutique").point_value_kopecks
    )


def test_the_floor_lapses_12_months_after_the_import_when_the_job_runs(db, tmp_path):
    cid = _import(db, tmp_path, "F-2")
    _buy(db, cid, T0 + dt.timedelta(days=5), 1_000_000)
    with db.read() as conn:
        due = sql(conn, "SELECT due_at FROM loyalty_due WHERE client_id = ?", (cid,)).fetchone()[0]
    assert due <= "2027-03-10T09:00:00"  # the job will look at her by the lapse
    schedule.run_due(db, LAPSE - dt.timedelta(minutes=1))
    assert _account(db, cid)["tier"] == "Gold"
    done = schedule.run_due(db, LAPSE + dt.timedelta(seconds=1))
    assert done.clients >= 1
    acc = _account(db, cid)
    assert (acc["tier"], acc["tier_percent"]) == ("Silver", "3")
    r = _buy(db, cid, LAPSE + dt.timedelta(days=1), 1_000_000)
    assert "Silver tier" in _accrual(db, r["id"]).reason


def test_a_member_imported_without_a_purchase_is_republished_when_the_floor_lapses(db, tmp_path):
    cid = _import(db, tmp_path, "F-3")
    schedule.run_due(db, LAPSE + dt.timedelta(seconds=1))
    assert _account(db, cid)["tier"] == "Silver"


def test_her_own_spend_earns_a_higher_tier_than_the_floor(db, tmp_path):
    cid = _import(db, tmp_path, "F-4")
    first = _buy(db, cid, T0 + dt.timedelta(days=60), 100_000_000)  # 1,000,000 RUB: Platinum
    assert "Gold tier" in _accrual(db, first["id"]).reason  # accrual is at the tier she had before it
    assert _account(db, cid)["tier"] == "Platinum"
    second = _buy(db, cid, T0 + dt.timedelta(days=61), 1_000_000)
    assert "Platinum tier" in _accrual(db, second["id"]).reason
    schedule.run_due(db, LAPSE + dt.timedelta(seconds=1))
    assert _account(db, cid)["tier"] == "Platinum"  # her purchases are still in the window


def test_the_summary_says_when_the_floor_goes_and_the_job_looks_then():
    prog = rules.builtin_program("dboutique")
    floor = ("Gold", LAPSE)
    s = rules.summary(prog, [], [], T0, tier_floor=floor)
    assert (s.tier, s.tier_valid_until, s.next_tier) == ("Gold", LAPSE, "Platinum")
    assert rules.summary(prog, [], [], LAPSE, tier_floor=floor).tier == "Silver"
    assert rules.next_change(prog, [], [], LAPSE - dt.timedelta(days=1), tier_floor=floor) is not None
    assert rules.next_change(prog, [], [], LAPSE - dt.timedelta(seconds=1), tier_floor=floor) == LAPSE
    assert loyalty_service.floor_of("Gold", T0) == floor
    assert loyalty_service.floor_of("Bronze", T0) is None and loyalty_service.floor_of(None, T0) is None
