"""Where the hub's storage meets the loyalty rules: ledger rows in, figures out.

The rules themselves live in sync.hub.loyalty (pure functions over a program file);
this module loads a client's ledger and receipts, asks the rules for new entries,
appends them and publishes the client's figures.
"""

from __future__ import annotations

import json
import uuid

from sqlalchemy import Connection, insert, select

from sync.hub import feed, members
from sync.hub.schema import ledger

ACCRUAL_PERCENT = 5


def entries(conn: Connection, client_id: str) -> list[dict]:
    rows = conn.execute(select(ledger.c.data).where(ledger.c.client_id == client_id)).all()
    return sorted((json.loads(r.data) for r in rows), key=lambda e: (e["at"], e["id"]))


def append(conn: Connection, client: dict, new: list[dict]) -> None:
    """Append ledger entries (append-only: ids are deterministic, a replay is a no-op)."""
    known = {e["id"] for e in entries(conn, client["id"])}
    fresh = [e for e in new if e["id"] not in known]
    if fresh:
        conn.execute(insert(ledger), [{"id": e["id"], "client_id": client["id"], "data": feed.dumps(e)}
                                      for e in fresh])
        feed.publish_many(conn, [("ledger", e["id"], client["store_id"], e, False) for e in fresh])


def accrue(client: dict, receipt: dict, history: list[dict]) -> list[dict]:
    """New ledger entries for a receipt linked to a client (pure)."""
    eligible = sum(line["price"] * line.get("qty", 1) for line in receipt.get("lines", [])
                   if not line.get("sale")) or (receipt["total"] if not receipt.get("lines") else 0)
    points = eligible * ACCRUAL_PERCENT // 100 // 100
    sign = -1 if receipt.get("type") == 2 else 1
    if not points:
        return []
    return [{
            "id": str(uuid.uuid5(uuid.UUID(receipt["id"]), "accrual")), "client_id": client["id"],
            "kind": "accrual" if sign > 0 else "reversal", "points": sign * points,
            "at": receipt["at"], "receipt_id": receipt["id"],
            "reason": f"{ACCRUAL_PERCENT}% of {eligible // 100} RUB",
    }]


def figures(history: list[dict]) -> dict:
    """The hub-owned figures written into the client snapshot (pure)."""
    return {"points_balance": sum(e["points"] for e in history)}


def on_receipt(conn: Connection, client: dict, receipt: dict) -> None:
    history = entries(conn, client["id"])
    new = accrue(client, receipt, history)
    append(conn, client, new)
    receipt["points_earned"] = sum(e["points"] for e in new)
    members.set_figures(conn, client["id"], figures(history + new))
