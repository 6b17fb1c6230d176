"""The loyalty rules wired into the hub's storage: figures published, expiry as a job."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select

from sync.hub import handlers, loyalty_service, members, mutations
from sync.hub import loyalty as rules
from sync.hub.auth import Account
from sync.hub.storage import schema
from sync.models import Mutation, new_id, utcnow

UTC = dt.UTC


def _published(db, entity: str, entity_id: str) -> dict:
    with db.read() as conn:
        feed = schema.feed
        raw = conn.execute(
            select(feed.c.data).where(feed.c.entity == entity, feed.c.entity_id == entity_id)
        ).scalar_one_or_none()
    assert raw is not None, f"{entity} {entity_id} was never published"
    return json.loads(raw)


def test_seeded_figures_match_the_ledger(hub_db):
    with hub_db.read() as conn:
        cid = conn.exec_driver_sql("SELECT id FROM clients LIMIT 1").scalar_one()
        entries = loyalty_service.entries(conn, cid)
    client = _published(hub_db, "client", cid)
    account = _published(hub_db, "account", cid)
    assert rules.check_ledger(entries) == []
    now = dt.datetime.fromisoformat(account["as_of"])
    assert account["balance"] == client["points_balance"] == rules.available_points(entries, now)
    assert account["tier"] == client["tier"]


def test_purchase_then_expiry_job(hub_db):
    store = _store_ids(hub_db)[0]
    cid = new_id()
    client = {
        "id": cid,
        "store_id": store,
        "last_name": "Тестова",
        "first_name": "Ира",
        "created_at": "2025-01-01T10:00:00+00:00",
        "birthday": None,
    }
    assert handlers.expire_points(hub_db) == 0  # the seed already expired everything due
    # Bought five months ago: the points (six months from unlock) expire after the last run.
    long_ago = dt.datetime.now(UTC) - dt.timedelta(days=150)
    receipt: dict[str, Any] = {
        "id": new_id(),
        "fn": "9281000100200399",
        "i": "1",
        "fp": "1",
        "type": 1,
        "at": long_ago.isoformat(),
        "total": 10_000_000,
        "lines": [{"sku": "A", "name": "Пальто", "price": 10_000_000}],
    }
    with hub_db.write() as conn:
        members.save(conn, client, new=True)
        loyalty_service.on_receipt(conn, client, receipt, now=long_ago)
    assert receipt["points_earned"] > 0
    later = dt.datetime.now(UTC) + dt.timedelta(days=90)
    first = handlers.expire_points(hub_db, later)
    assert first >= 1
    with hub_db.read() as conn:
        kinds = [e.kind for e in loyalty_service.entries(conn, cid)]
    assert "expiry" in kinds
    assert _published(hub_db, "account", cid)["balance"] == 0
    assert handlers.expire_points(hub_db, later + dt.timedelta(hours=1)) == 0


def _store_ids(db):
    with db.read() as conn:
        return [r[0] for r in conn.exec_driver_sql("SELECT id FROM stores")]


def test_ledger_rows_carry_expiry_for_buckets_only(hub_db):
    with hub_db.read() as conn:
        rows = conn.execute(select(schema.ledger.c.data, schema.ledger.c.expires_at).limit(200)).all()
    for data, expires in rows:
        e = rules.LedgerEntry.model_validate_json(data)
        assert (expires is not None) == (e.is_bucket and e.expires_at is not None)


def test_a_registration_writes_the_client_row_once_with_its_figures(hub_db, monkeypatch):
    saves: list[bool] = []
    real_save = members.save

    def spy(conn, data, new=False):
        saves.append(new)
        return real_save(conn, data, new)

    monkeypatch.setattr(members, "save", spy)
    store, cid = _store_ids(hub_db)[0], new_id()
    m = Mutation(
        id=new_id(),
        kind="client.register",
        entity_id=cid,
        client_time=utcnow(),
        payload={"last_name": "Регистрова", "first_name": "Ая", "store_id": store},
    )
    account = Account(id=new_id(), store_id=store, login="x", name="X", role="consultant")
    assert mutations.apply_one(hub_db, account, "d-register", m).status == "applied"
    assert saves == [True]  # one INSERT, no second write for the loyalty figures
    client, summary = _published(hub_db, "client", cid), _published(hub_db, "account", cid)
    assert (client["tier"], client["points_balance"]) == (summary["tier"], summary["balance"])
    with hub_db.read() as conn:  # enroll's figures (no reads) are those of the stored ledger
        stored, _ = loyalty_service.figures(conn, client, dt.datetime.fromisoformat(summary["as_of"]))
    assert stored == {k: client[k] for k in stored}
    with hub_db.read() as conn:
        order = [
            e
            for (e,) in conn.execute(
                select(schema.feed.c.entity).where(schema.feed.c.client_id == cid).order_by(schema.feed.c.seq)
            )
        ]
    assert order[0] == "client" and order[-1] == "account" and set(order[1:-1]) <= {"ledger"}
