"""Every rule of the program file wired on the hub: manager grants (short life, burned
first) and deductions with a reason, referral codes at registration, coupons and closed
sales by tier on the account (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from sync.hub import loyalty as rules
from sync.hub import loyalty_service, members, mutations
from sync.hub.auth import Account
from sync.hub.storage import HubDB, schema
from sync.models import Mutation, new_id, utcnow

UTC = dt.UTC
STORE = "00000000-0000-4000-8000-00000000bbbb"
MANAGER = Account(new_id(), STORE, "manager", "Менеджер", "manager")
CONSULTANT = Account(new_id(), STORE, "consultant", "Консультант", "consultant")


@pytest.fixture(scope="module")
def db(hub_url):
    d = HubDB(hub_url)
    d.migrate()
    yield d
    d.dispose()


@pytest.fixture(autouse=True)
def dboutique(monkeypatch):
    monkeypatch.setenv(loyalty_service.PROGRAM_ENV, "dboutique")


def _send(db: HubDB, who: Account, kind: str, payload: dict, entity_id: str | None = None) -> dict:
    m = Mutation(id=new_id(), kind=kind, entity_id=entity_id or new_id(), payload=payload, client_time=utcnow())
    return mutations.apply_one(db, who, "device-1", m).model_dump()


def _register(db: HubDB, code: str | None = None) -> tuple[str, dict]:
    cid = new_id()
    payload = {"last_name": "Смирнова", "first_name": "Ольга", "store_id": STORE}
    if code is not None:
        payload["referral_code"] = code
    res = _send(db, CONSULTANT, "client.register", payload, cid)
    assert res["status"] == "applied", res
    return cid, res["result"]


def _account(db: HubDB, cid: str) -> dict:
    with db.read() as conn:
        feed = schema.feed
        raw = conn.execute(select(feed.c.data).where(feed.c.entity == "account", feed.c.entity_id == cid)).scalar_one()
    return json.loads(raw)


def _ledger(db: HubDB, cid: str) -> list[rules.LedgerEntry]:
    with db.read() as conn:
        return loyalty_service.entries(conn, cid)


def test_a_managers_grant_burns_first_and_a_deduction_keeps_its_reason(db):
    cid, _ = _register(db)  # 500 welcome points, 30 days
    res = _send(db, MANAGER, "points.grant", {"client_id": cid, "points": 300, "reason": "Извинение за ожидание"})
    assert res["status"] == "applied", res
    grant = next(e for e in _ledger(db, cid) if e.kind == "campaign")
    assert grant.points == 300 and grant.campaign_id is None and grant.reason == "Извинение за ожидание"
    assert grant.expires_at is not None and grant.expires_at - grant.at == dt.timedelta(days=7)  # promo life
    assert _account(db, cid)["balance"] == 800
    res = _send(db, MANAGER, "points.deduct", {"client_id": cid, "points": 400, "reason": "Ошибка кассира"})
    assert res["status"] == "applied", res
    taken = {e.bucket_id: -e.points for e in _ledger(db, cid) if e.kind == "adjustment"}
    assert taken[grant.id] == 300  # the fast-burning grant first, then 100 of the welcome bonus
    assert sum(taken.values()) == 400
    assert all(e.reason == "Ошибка кассира" for e in _ledger(db, cid) if e.kind == "adjustment")
    assert _account(db, cid)["balance"] == 400
    res = _send(db, MANAGER, "points.deduct", {"client_id": cid, "points": 401, "reason": "Слишком много"})
    assert (res["status"], res["code"]) == ("rejected", "not_enough_points")
    assert _account(db, cid)["balance"] == 400


def test_a_grant_with_its_own_life_and_bad_payloads(db):
    cid, _ = _register(db)
    res = _send(db, MANAGER, "points.grant", {"client_id": cid, "points": 50, "reason": "Акция дня", "expire_days": 2})
    assert res["status"] == "applied"
    grant = next(e for e in _ledger(db, cid) if e.kind == "campaign")
    assert grant.expires_at is not None and grant.expires_at - grant.at == dt.timedelta(days=2)
    for bad in ({"client_id": cid, "points": 0, "reason": "x"}, {"client_id": cid, "points": 5, "reason": ""}):
        res = _send(db, MANAGER, "points.grant", bad)
        assert (res["status"], res["code"]) == ("rejected", "invalid_payload"), res


def test_a_registration_with_a_referral_code_is_linked_to_its_owner(db):
    owner, _ = _register(db)
    code = _account(db, owner)["referral_code"]
    assert code and code.startswith("DBO-")
    newcomer, result = _register(db, code)
    assert result["referral"] == {"accepted": True, "notes": []}
    with db.read() as conn:
        link = loyalty_service.referral_of(conn, newcomer)
        stored = members.load(conn, newcomer)
    assert link is not None and link.owner_id == owner and link.discount_percent == 10
    assert stored is not None and "referral_code" not in stored  # a referral, not a profile field
    assert _account(db, newcomer)["newcomer_discount_percent"] == "10"  # until her first purchase
    _, result = _register(db, "DBO-UNKNOWN")
    assert result["referral"]["accepted"] is False


def test_coupons_and_closed_sales_follow_the_tier_and_their_dates():
    prog = rules.builtin_program("dboutique")
    december = dt.datetime(2026, 12, 1, tzinfo=UTC)
    assert [o.id for o in prog.offers_for("Silver", december)] == ["silver-coupon-welcome"]
    assert [o.id for o in prog.offers_for("Gold", december)] == ["closed-sale-winter-2026"]
    assert [o.id for o in prog.offers_for("Platinum", december)] == ["platinum-coupon-2026", "closed-sale-winter-2026"]
    # the closed sale runs through 28 December, local time; gone from 29 December 00:00 MSK
    last = dt.datetime(2026, 12, 28, 20, 59, tzinfo=UTC)
    assert "closed-sale-winter-2026" in [o.id for o in prog.offers_for("Gold", last)]
    assert prog.offers_for("Gold", last + dt.timedelta(minutes=1)) == []
    with pytest.raises(rules.ProgramError, match="unknown tiers"):
        rules.load_program(
            'id = "x"\nname = "X"\n[[tiers]]\nname = "A"\nmin_spend_kopecks = 0\naccrual_percent = 1\n'
            '[[offers]]\nid = "o"\nkind = "closed_sale"\ntitle = "T"\ntiers = ["B"]\n'
        )
