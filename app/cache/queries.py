"""Reads the screens need, straight from the cache (run through `Cache.read`)."""

from __future__ import annotations

import json

from sqlite_utils import Database

from app.cache import search
from app.cache.clients import HUB_DATA

LIST_COLUMNS = "id, last_name, first_name, middle_name, phone, tier, points_balance, last_visit, store_id"


def _row(r) -> dict:
    keys = [c.strip() for c in LIST_COLUMNS.split(",")]
    return dict(zip(keys, r))


def client_count(db: Database) -> int:
    return db.execute("SELECT count(*) FROM clients").fetchone()[0]


def client_list(db: Database, query: str, limit: int = 100) -> list[dict]:
    """The client book in name order, or the lookup's best matches for `query`."""
    q = query.strip()
    if not q:
        rows = db.execute(f"SELECT {LIST_COLUMNS} FROM clients ORDER BY last_name, first_name LIMIT ?",
                          [limit]).fetchall()
        return [_row(r) for r in rows]
    return [hit.model_dump() for hit in search.search(db, q, limit)]


def client(db: Database, client_id: str) -> dict | None:
    row = db.execute(f"SELECT data, {HUB_DATA} FROM clients WHERE id = ?", [client_id]).fetchone()
    if row is None:
        return None
    data = json.loads(row[0])
    data["_pending"] = row[1] is None or row[0] != row[1]  # not on the hub yet, or edited here
    return data


def client_by_card(db: Database, card: str) -> dict | None:
    row = db.execute(f"SELECT {LIST_COLUMNS} FROM clients WHERE card_number = ? LIMIT 1", [card]).fetchone()
    return None if row is None else _row(row)


def client_by_phone(db: Database, phone: str) -> dict | None:
    row = db.execute(f"SELECT {LIST_COLUMNS} FROM clients WHERE phone = ? LIMIT 1", [phone]).fetchone()
    return None if row is None else _row(row)


def consultant_names(db: Database) -> dict[str, str]:
    rows = db.execute("SELECT id, json_extract(data, '$.name') FROM entities WHERE entity = 'consultant'")
    return dict(rows.fetchall())


def store_names(db: Database) -> dict[str, str]:
    rows = db.execute("SELECT id, json_extract(data, '$.name') FROM entities WHERE entity = 'store'")
    return dict(rows.fetchall())


def profile_bundle(db: Database, client_id: str) -> dict | None:
    """Everything the profile screen shows, in one read."""
    found = client(db, client_id)
    if found is None:
        return None
    by_entity: dict[str, list[dict]] = {}
    for entity, data in db.execute("SELECT entity, data FROM entities WHERE client_id = ?", [client_id]):
        by_entity.setdefault(entity, []).append(json.loads(data))
    account = db.execute("SELECT data FROM entities WHERE entity = 'account' AND id = ?", [client_id]).fetchone()
    pending = [
        {"id": r[0], "kind": r[1], "payload": json.loads(r[2]), "client_time": r[3], "status": r[4], "reason": r[5],
         "code": r[6]}
        for r in db.execute(
            "SELECT id, kind, payload, client_time, status, reason, code FROM outbox "
            "WHERE entity_id = ? OR json_extract(payload, '$.client_id') = ? ORDER BY seq",
            [client_id, client_id])
    ]
    newest = lambda key: (lambda e: e.get(key) or "")  # noqa: E731
    diary = [d for d in by_entity.get("diary", []) if not d.get("deleted")]
    diary.sort(key=newest("updated_at"), reverse=True)
    diary.sort(key=lambda d: not d.get("pinned"))
    return {
        "client": found,
        "account": json.loads(account[0]) if account else None,
        "receipts": sorted(by_entity.get("receipt", []), key=newest("at"), reverse=True),
        "ledger": sorted(by_entity.get("ledger", []), key=newest("at"), reverse=True),
        "diary": diary,
        "contacts": sorted(by_entity.get("contact", []), key=newest("at"), reverse=True),
        "history": sorted(by_entity.get("history", []), key=newest("at"), reverse=True),
        "links": by_entity.get("link", []),
        "pending": pending,
    }
