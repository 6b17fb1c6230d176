"""Property: through the hub (its storage, handlers and the scheduled job), random
sequences of purchases (with redemptions), returns, manager grants and deductions, and
time passing (unlocks, expiries, tier roll-off) keep the published balance equal to the
ledger's sum, and no bucket - so no balance - ever below zero (SQLite and PostgreSQL).

The calculator's own property test (test_loyalty_properties.py) explores the rules on
random programs; this one checks that what the hub stores and publishes keeps them."""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from sync.hub import handlers, loyalty_service, members, schedule
from sync.hub import loyalty as rules
from sync.hub.storage import HubDB, schema
from sync.models import new_id

UTC = dt.UTC
STORE = "00000000-0000-4000-8000-00000000cccc"
START = dt.datetime(2026, 1, 5, 10, tzinfo=UTC)
EXAMPLES = int(os.environ.get("VITRINE_LOYALTY_EXAMPLES", "25"))

steps = st.lists(
    st.one_of(
        st.tuples(st.just("buy"), st.integers(1, 400).map(lambda k: k * 10_000), st.integers(0, 3_000)),
        st.tuples(st.just("return"), st.integers(0, 9), st.sampled_from([1, 2, 4])),
        st.tuples(st.just("grant"), st.integers(1, 2_000), st.sampled_from([None, 1, 3, 30])),
        st.tuples(st.just("deduct"), st.integers(1, 3_000), st.just(None)),
        st.tuples(st.just("wait"), st.sampled_from([1, 3, 13, 14, 15, 40, 200, 370]), st.just(None)),
    ),
    min_size=1,
    max_size=14,
)


@pytest.fixture(scope="module")
def db(hub_url):
    d = HubDB(hub_url)
    d.migrate()
    yield d
    d.dispose()


class Client:
    def __init__(self, db: HubDB, program: str):
        self.db, self.now = db, START
        self.sales: list[dict[str, Any]] = []
        self.left: dict[str, int] = {}
        self.id = new_id()
        client = {"id": self.id, "store_id": STORE, "last_name": "Тест", "first_name": "Ира", "birthday": "1990-01-20"}
        client["created_at"] = START.isoformat()
        welcome, figures, _ = loyalty_service.enroll(client, START)
        with db.write() as conn:
            members.save(conn, {**client, **figures}, new=True)
            loyalty_service.append(conn, client, welcome)
            handlers.refresh_figures(conn, client, START)

    def _receipt(self, kind: int, total: int, **more: Any) -> dict[str, Any]:
        rid = new_id()
        r = {"id": rid, "store_id": STORE, "fn": "9281000100200311", "i": rid[-12:], "fp": "7", "type": kind}
        r |= {"at": self.now.isoformat(), "total": total, "lines": [], **more}
        with self.db.write() as conn:
            conn.execute(
                insert(schema.receipts),
                [{k: r[k] for k in ("id", "store_id", "fn", "i", "fp")} | {"data": json.dumps(r)}],
            )
            client = members.load(conn, self.id)
            assert client is not None
            return handlers._attach(conn, r, client, "till", now=self.now)

    def step(self, kind: str, a: int, b: Any) -> None:
        self.now += dt.timedelta(hours=1)
        if kind == "buy":
            self.sales.append(self._receipt(1, a, redeem_points=b))
            self.left[self.sales[-1]["id"]] = a
        elif kind == "return" and self.sales:
            sale = self.sales[a % len(self.sales)]
            part = self.left[sale["id"]] // b
            if part > 0:
                self.left[sale["id"]] -= part
                ref = {k: sale[k] for k in ("fn", "i", "fp")}
                self._receipt(2, part, refers_to=ref)
        elif kind in ("grant", "deduct"):
            payload: dict[str, Any] = {"client_id": self.id, "points": a, "reason": "проверка"}
            with self.db.write() as conn:
                client = members.load(conn, self.id)
                assert client is not None
                if kind == "grant":
                    life = f"{b} days" if b else None
                    new = [loyalty_service.grant(client, new_id(), payload["points"], self.now, "проверка", life)]
                else:
                    try:
                        new = loyalty_service.deduct(conn, client, new_id(), a, self.now, "проверка")
                    except ValueError:
                        new = []  # more than she has: refused (the mutation answers not_enough_points)
                loyalty_service.append(conn, client, new)
                handlers.refresh_figures(conn, client, self.now)
        elif kind == "wait":
            self.now += dt.timedelta(days=a)
        schedule.run_due(self.db, self.now)

    def check(self) -> None:
        with self.db.read() as conn:
            ledger = loyalty_service.entries(conn, self.id)
            row = members.load(conn, self.id)
            feed = schema.feed
            raw = conn.execute(
                select(feed.c.data).where(feed.c.entity == "account", feed.c.entity_id == self.id)
            ).scalar_one()
        account = json.loads(raw)
        assert rules.check_ledger(ledger) == []  # no bucket overdrawn: nothing negative anywhere
        total = rules.balance(ledger)
        assert total >= 0
        # The job ran at `now`: every due expiry is written, so what is published is the sum.
        assert account["balance"] + account["pending_total"] == total
        assert account["balance"] == rules.available_points(ledger, self.now) >= 0
        assert account["pending_total"] == rules.pending_points(ledger, self.now) >= 0
        assert row is not None and row["points_balance"] == account["balance"]
        assert row["pending_points"] == account["pending_total"]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=st.sampled_from(["dboutique", "intermoda", "you"]), plan=steps)
def test_the_published_balance_is_the_ledgers_sum_and_never_negative(db, program, plan):
    os.environ[loyalty_service.PROGRAM_ENV] = program
    try:
        c = Client(db, program)
        c.check()
        for kind, a, b in plan:
            c.step(kind, a, b)
            c.check()
    finally:
        os.environ.pop(loyalty_service.PROGRAM_ENV, None)
