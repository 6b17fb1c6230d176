"""The loyalty rules wired into the hub's storage: figures published, expiry as a job."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from sync.hub import loyalty_service, members
from sync.hub import loyalty as rules
from sync.hub.storage.schema import feed as feed_table
from sync.hub.storage.schema import ledger
from sync.models import new_id

UTC = dt.timezone.utc


def _published(db, entity: str, entity_id: str) -> dict | None:
    with db.read() as conn:
        raw = conn.execute(select(feed_table.c.data).where(feed_table.c.entity == entity,
                                                           feed_table.c.entity_id == entity_id)).scalar_one_or_none()
    return None if raw is None else json.loads(raw)


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
    client = {"id": cid, "store_id": store, "last_name": "Тестова", "first_name": "Ира",
              "created_at": "2025-01-01T10:00:00+00:00", "birthday": None}
    assert loyalty_service.expire_due(hub_db) == 0  # the seed already expired everything due
    # Bought five months ago: the points (six months from unlock) expire after the last run.
    long_ago = dt.datetime.now(UTC) - dt.timedelta(days=150)
    receipt = {"id": new_id(), "fn": "9281000100200399", "i": "1", "fp": "1", "type": 1, "at": long_ago.isoformat(),
               "total": 10_000_000, "lines": [{"sku": "A", "name": "Пальто", "price": 10_000_000}]}
    with hub_db.write() as conn:
        members.save(conn, client, new=True)
        loyalty_service.on_receipt(conn, client, receipt, now=long_ago)
    assert receipt["points_earned"] > 0
    later = dt.datetime.now(UTC) + dt.timedelta(days=90)
    first = loyalty_service.expire_due(hub_db, later)
    assert first >= 1
    with hub_db.read() as conn:
        kinds = [e.kind for e in loyalty_service.entries(conn, cid)]
    assert "expiry" in kinds
    assert _published(hub_db, "account", cid)["balance"] == 0
    assert loyalty_service.expire_due(hub_db, later + dt.timedelta(hours=1)) == 0


def _store_ids(db):
    with db.read() as conn:
        return [r[0] for r in conn.exec_driver_sql("SELECT id FROM stores")]


def test_ledger_rows_carry_expiry_for_buckets_only(hub_db):
    with hub_db.read() as conn:
        rows = conn.execute(select(ledger.c.data, ledger.c.expires_at).limit(200)).all()
    for data, expires in rows:
        e = rules.LedgerEntry.model_validate_json(data)
        assert (expires is not None) == (e.is_bucket and e.expires_at is not None)
