"""The audit log: who changed or viewed which client, on the hub's clock.

Rows hold ids only (client, account, device, entity, mutation) and what was done, never a
name, phone or text, so the log itself needs no erasing and can be handed to the client or
an inspector as it is. What is logged:

- change: every mutation applied for a client (kind, account, device, the device's time);
- view: a `client.viewed` mutation, sent by the device when a consultant opens a profile.
  A device holds its store's client book offline, so the hub cannot see a profile being
  read; the device reports it, and an offline view arrives with the next sync;
- read: a hub endpoint that returns one client's data (a blob of hers, her audit export).
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import Connection, insert, select

from sync.hub import auth
from sync.hub.storage import schema, sql
from sync.models import Mutation, utcnow

VIEW_KIND = "client.viewed"
COLUMNS = (
    "id",
    "at",
    "client_id",
    "store_id",
    "account_id",
    "role",
    "device_id",
    "action",
    "kind",
    "entity_id",
    "mutation_id",
    "device_time",
)


def client_of_mutation(conn: Connection, m: Mutation) -> str | None:
    """The client a mutation concerns: its entity for client.*, the payload's client_id, or
    (diary.revise / diary.delete) the client its entry belongs to."""
    if m.kind.startswith("client."):
        return m.entity_id
    named = m.payload.get("client_id")
    if isinstance(named, str):
        return named
    row = sql(conn, "SELECT client_id FROM feed WHERE entity = 'diary' AND entity_id = ?", (m.entity_id,)).fetchone()
    return None if row is None else row[0]


def log_mutation(
    conn: Connection, m: Mutation, account_id: str, role: str, store_id: str, device_id: str, client_id: str | None
) -> None:
    """A mutation applied for `client_id` (none: nothing to log, e.g. a receipt link to no client).

    A plain driver statement (storage.sql): it runs in every mutation's transaction, and
    SQLAlchemy's compile of an insert cost as much as the rest of a diary.add."""
    if client_id is None:
        return
    sql(
        conn,
        "INSERT INTO audit_log (at, client_id, store_id, account_id, role, device_id, action, kind, entity_id,"
        " mutation_id, device_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            utcnow().isoformat(),
            client_id,
            store_id,
            account_id,
            role,
            device_id[:100],
            "view" if m.kind == VIEW_KIND else "change",
            m.kind[:40],
            m.entity_id,
            m.id,
            m.client_time.isoformat(),
        ),
    )


def log_read(conn: Connection, client_id: str, account_id: str, role: str, store_id: str | None, what: str) -> None:
    """A hub endpoint served one client's data to an account."""
    conn.execute(
        insert(schema.audit_log).values(
            at=utcnow().isoformat(),
            client_id=client_id,
            store_id=store_id,
            account_id=account_id,
            role=role,
            action="read",
            kind=what[:40],
        )
    )


def log_change(
    conn: Connection, client_id: str, account_id: str, role: str, store_id: str | None, what: str, entity_id: str | None
) -> None:
    """A hub endpoint changed a client (a merge, sync.hub.merge): `entity_id` names the other party."""
    conn.execute(
        insert(schema.audit_log).values(
            at=utcnow().isoformat(),
            client_id=client_id,
            store_id=store_id,
            account_id=account_id,
            role=role,
            action="change",
            kind=what[:40],
            entity_id=entity_id,
        )
    )


def of_client(conn: Connection, client_id: str) -> list[dict]:
    """The client's audit rows, in the order they were written."""
    a = schema.audit_log
    rows = conn.execute(select(a).where(a.c.client_id == client_id).order_by(a.c.id)).all()
    return [{k: r._mapping[k] for k in COLUMNS} for r in rows]


def to_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return out.getvalue()


READERS = frozenset({auth.MANAGER, auth.ADMIN})
"""Who may export a client's audit log: a manager for a client of the store, an admin of its brand's stores."""


def export(conn: Connection, client_id: str, account: auth.Account) -> list[dict] | None:
    """The client's audit rows for `account` (write transaction: the export is logged too);
    None when the hub has no such client or she is another store's (answered alike).
    An erased client's log stays exportable: it names no one."""
    row = sql(conn, "SELECT store_id FROM clients WHERE id = ?", (client_id[:36],)).fetchone()
    if row is None:
        return None
    wide = account.may(auth.BRAND_WIDE)
    if not (row[0] in auth.brand_stores(conn, account.brand_id) if wide else row[0] == account.store_id):
        return None
    log_read(conn, client_id, account.id, account.role, row[0], "audit.export")
    return of_client(conn, client_id)
