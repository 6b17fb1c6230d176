"""Local records of a client (diary entries, contacts, forms, receipt links), each with its mutation."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from app.cache import diary_index
from app.cache.outbox import enqueue
from sync.models import new_id
from sync.rules.jsontext import dumps


def add_record(db: Database, entity: str, kind: str, entity_id: str, client_id: str, data: dict, payload: dict) -> str:
    """A diary entry, contact or form: shown at once as pending, pushed later."""
    text = dumps({**data, "pending": True})
    db.execute(
        "INSERT OR REPLACE INTO entities (entity, id, client_id, data) VALUES (?, ?, ?, ?)",
        [entity, entity_id, client_id, text],
    )
    if entity == "diary":
        diary_index.index_entries(db, [(entity_id, client_id, text)])
    return enqueue(db, kind, entity_id, payload)


def link_receipt(db: Database, client_id: str, fiscal: dict[str, Any]) -> str:
    """Link a scanned receipt to a client: a receipt.link mutation and a local pending link.

    `fiscal` holds fn, i, fp, s (kopecks), t (ISO time) and n (type) from the QR. The
    link is keyed by the mutation id, as the hub publishes it, so the hub's answer
    replaces this placeholder.
    """
    mid = new_id()
    payload = {"client_id": client_id, **{k: fiscal[k] for k in ("fn", "i", "fp", "s", "t", "n")}}
    db.execute(
        "INSERT OR REPLACE INTO entities (entity, id, client_id, data) VALUES ('link', ?, ?, ?)",
        [mid, client_id, dumps({"id": mid, **payload, "state": "pending", "receipt_id": None})],
    )
    return enqueue(db, "receipt.link", new_id(), payload, mid)


VIEWED = "client.viewed"


def log_view(db: Database, client_id: str) -> str:
    """A consultant opened her profile: reported to the hub's audit log (sync.hub.audit) at the
    next push, offline or not. Not a change: it is left out of the pending counts and lists."""
    return enqueue(db, VIEWED, client_id, {})
