"""Clients (members) on the hub: their rows, registration checks, field-level updates, history.

Loyalty figures are not computed here: the handlers (sync.hub.handlers) ask the loyalty
service for them and hand them to `save`/`set_figures`.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection

from sync.hub import feed, shares
from sync.hub.errors import Rejected, describe, parse
from sync.hub.storage import for_update, lock_clients, row_locks, sql
from sync.models import Client, Mutation, RegisterPayload
from sync.profile import NotEditable, merge_profile, not_editable
from sync.rules.matching import name_key

# load/save/the history insert are plain driver statements (storage.sql): every mutation and
# every identified receipt runs them, and SQLAlchemy's per-statement overhead was most
# of their cost.


def load(conn: Connection, client_id: str) -> dict | None:
    """The client's snapshot, her row locked to the end of the write transaction (on
    PostgreSQL: storage.locks): every writer of a client's row or ledger reads her here
    (or by `find_by_contact`) first, so concurrent writers take turns and none works from
    a stale snapshot or balance."""
    row = sql(conn, for_update(conn, "SELECT data FROM clients WHERE id = ?"), (client_id,)).fetchone()
    return None if row is None else json.loads(row[0])


def save(conn: Connection, data: dict, new: bool = False) -> None:
    """Store a client snapshot and publish it to its store's devices."""
    values = (
        data["store_id"],
        data.get("phone"),
        data.get("card_number"),
        data.get("email"),
        name_key(data),
        feed.dumps(data),
        data["id"],
    )
    if new:
        sql(
            conn,
            "INSERT INTO clients (store_id, phone, card_number, email, name_key, data, id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            values,
        )
    else:
        sql(
            conn,
            "UPDATE clients SET store_id = ?, phone = ?, card_number = ?, email = ?, name_key = ?, data = ?"
            " WHERE id = ?",
            values,
        )
    if data.get("merged_into"):
        # one merged into another (sync.hub.merge) is a tombstone to every device, naming the
        # survivor: a device re-files its unsent work about her there (app.cache.erasure)
        tomb = {"id": data["id"], "merged_into": data["merged_into"]}
        feed.publish(conn, "client", data["id"], data["store_id"], tomb, deleted=True)
    elif data.get("erased_at"):  # an erased client (sync.hub.erase): a bare tombstone
        feed.publish(conn, "client", data["id"], data["store_id"], None, deleted=True)
    else:
        feed.publish(conn, "client", data["id"], data["store_id"], data)


def existing(conn: Connection, client_id: str, store_id: str) -> dict:
    """The client's snapshot when she belongs to `store_id` (the account's store) or is
    shared into it (sync.hub.shares); Rejected("unknown_client") when the hub has none, she
    is another store's or she was erased: all answered alike, so the answer tells no one
    which ids exist elsewhere. One merged into another raises `Merged` (a `client_merged`
    rejection naming the survivor), on which sync.hub.mutations applies the mutation to her."""
    client = load(conn, client_id)
    if client is None or client.get("erased_at"):
        raise Rejected("unknown_client", "This client is not known to the hub.")
    if client["store_id"] != store_id and not shares.shared(conn, client_id, store_id):
        raise Rejected("unknown_client", "This client is not known to the hub.")
    if client.get("merged_into"):
        raise Merged(client_id, client["merged_into"])
    return client


class Merged(Rejected):
    """The client was merged into another (sync.hub.merge): sync.hub.mutations applies the
    mutation to the survivor instead, so what a tablet wrote offline about her is kept."""

    def __init__(self, merged_id: str, survivor_id: str):
        super().__init__("client_merged", f"This client was merged into client {survivor_id}; send it for her instead.")
        self.merged_id, self.survivor_id = merged_id, survivor_id


def registration(conn: Connection, m: Mutation, store_id: str) -> dict:
    """The snapshot a client.register mutation creates in `store_id` (the account's store),
    checked but not stored yet (the handler adds the loyalty figures, then `save`s it once).

    The payload's store_id must be that store: a device that names another one (its session
    is older than a move of the account) is refused, rather than filing her silently where
    the consultant did not register her."""
    p = parse(RegisterPayload, m.payload)
    if p.store_id != store_id:
        raise Rejected(
            "wrong_store",
            "This client was registered for another store than the account's; log in again and register her anew.",
        )
    if load(conn, m.entity_id) is not None:
        raise Rejected("client_exists", "A client with this id is already registered.")
    profile = p.model_dump(exclude={"referral_code"})  # a code is a referral (loyalty_service), not a field
    return Client(id=m.entity_id, created_at=m.client_time, **profile).model_dump(mode="json")


def update_fields(
    conn: Connection,
    m: Mutation,
    device_id: str,
    store_id: str,
    consultant_id: str | None = None,
    consultant_name: str | None = None,
) -> dict:
    """Field-level patch of a client of `store_id`: last write in hub order wins per field;
    the loser goes to history.

    A history entry names the consultant who saved it, so a profile says who changed what."""
    fields = m.payload.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise Rejected("invalid_payload", "client.update needs a non-empty 'fields' object.")
    unknown = not_editable(fields)  # checked before the look-up, as the patch is bad whoever it names
    if unknown:
        raise Rejected("invalid_payload", str(NotEditable(unknown)))
    current = existing(conn, m.entity_id, store_id)
    try:
        changed = merge_profile(current, fields)
    except ValidationError as e:
        raise Rejected("invalid_payload", describe(e)) from None
    for name, new in changed.items():
        entry = {
            "id": str(uuid.uuid5(uuid.UUID(m.id), name)),
            "client_id": m.entity_id,
            "field": name,
            "old_value": current.get(name),
            "new_value": new,
            "mutation_id": m.id,
            "device_id": device_id,
            "at": m.client_time.isoformat(),
            "consultant_id": consultant_id,
            "consultant_name": consultant_name,
        }
        sql(
            conn,
            "INSERT INTO client_history (client_id, field, old_value, new_value, mutation_id, device_id, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (m.entity_id, name, feed.dumps(entry["old_value"]), feed.dumps(new), m.id, device_id, entry["at"]),
        )
        feed.publish(conn, "history", entry["id"], current["store_id"], entry)
    if changed:
        save(conn, {**current, **changed})
    return {"changed": sorted(changed)}


def find_by_contact(conn: Connection, store_id: str, phone: str | None, card: str | None) -> dict | None:
    """The client of `store_id` a till names by phone or card, if exactly one matches.

    Only the till's own store: a till sees no other store's client book, so it can neither
    learn which phones are clients elsewhere nor spend another store's client's points."""
    for column, value in (("phone", phone), ("card_number", card)):
        if value:
            # Locked like `load`: the receipt's points are drawn from what this reads.
            rows = sql(
                conn,
                for_update(conn, f"SELECT data FROM clients WHERE {column} = ? AND store_id = ? LIMIT 2"),
                (value, store_id),
            ).fetchall()
            if len(rows) == 1:
                return json.loads(rows[0][0])
    return None


def lock_named(conn: Connection, store_id: str, phones: list[str], cards: list[str], ids: list[str]) -> None:
    """Lock, in one go and in id order, every client of `store_id` these phones and cards
    name and the clients `ids`: a till batch that then works on them one by one
    cannot deadlock with another batch naming the same clients in another order."""
    if not row_locks(conn):
        return
    found: list[str] = list(ids)
    for column, values in (("phone", phones), ("card_number", cards)):
        if values:
            marks = ", ".join("?" * len(values))
            found += [
                r[0]
                for r in sql(
                    conn, f"SELECT id FROM clients WHERE store_id = ? AND {column} IN ({marks})", [store_id, *values]
                ).fetchall()
            ]
    lock_clients(conn, found)


def set_figures(conn: Connection, current: dict, figures: dict[str, Any]) -> None:
    """Write the hub-owned loyalty figures into the client snapshot `current`, publishing on change."""
    if any(current.get(k) != v for k, v in figures.items()):
        save(conn, {**current, **figures})
