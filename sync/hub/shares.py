"""Clients shared into other stores of their brand.

A client belongs to one store (her home: `clients.store_id`), whose devices get her in their
feed. A consultant of another store of the brand who finds her by a lookup (sync.hub.duplicates)
shares her into that store, so she is served there rather than registered twice: from then on
her entities (profile, receipts, ledger, diary, contacts, forms, consents) reach that store's
devices too (sync.hub.feed, a page's third range, by `feed.client_id`), and mutations from that
store may name her (sync.hub.members.existing). Her entities stay filed under her home store.
"""

from __future__ import annotations

from sqlalchemy import Connection

from sync.hub.storage import sql
from sync.models import utcnow


def shared(conn: Connection, client_id: str, store_id: str) -> bool:
    """Whether the client is shared into `store_id` (her home store is not asked here)."""
    return (
        sql(conn, "SELECT 1 FROM client_shares WHERE client_id = ? AND store_id = ?", (client_id, store_id)).fetchone()
        is not None
    )


def stores_of(conn: Connection, client_id: str) -> list[str]:
    """The stores the client is shared into."""
    rows = sql(conn, "SELECT store_id FROM client_shares WHERE client_id = ? ORDER BY store_id", (client_id,))
    return [r[0] for r in rows.fetchall()]


def add(conn: Connection, client_id: str, store_id: str, account_id: str) -> bool:
    """Share the client into `store_id`; False when she was already (two shares at once
    on PostgreSQL: one inserts, the other finds the row, neither fails)."""
    done = sql(
        conn,
        "INSERT INTO client_shares (client_id, store_id, account_id, at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (client_id, store_id) DO NOTHING RETURNING client_id",
        (client_id, store_id, account_id, utcnow().isoformat()),
    )
    return done.fetchone() is not None  # not rowcount: a pipelined write (PostgreSQL) has none yet


def remove_all(conn: Connection, client_id: str) -> None:
    sql(conn, "DELETE FROM client_shares WHERE client_id = ?", (client_id,))
