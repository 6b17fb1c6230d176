"""Local writes: the row and its outbox mutation in one transaction.

Every function here takes the writer's `Database` (run it through `Cache.write`), so
the row a consultant sees and the mutation that carries it to the hub commit together
or not at all.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pydantic_core
from sqlite_utils import Database

from app.cache import search_index
from sync.models import PROFILE_FIELDS, Client, ClientProfile, new_id, utcnow


def dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)


def fast_dumps(data: object) -> str:
    """Compact JSON of plain JSON data (what came from JSON): ~4x faster than `dumps`."""
    return pydantic_core.to_json(data).decode()


CLIENT_COLUMNS = ("last_name", "first_name", "middle_name", "phone", "email", "birthday", "card_number",
                  "store_id", "consultant_id", "tier", "points_balance", "last_visit", "created_at")


class ClientColumns(msgspec.Struct, frozen=True, gc=False):
    """What the cache reads of a client in the feed: its columns and searched fields.

    Decoded from the hub's JSON with every other field skipped, and untracked by the
    garbage collector: a first sync holds tens of thousands of these at once, and as
    dicts (nested lists, consents) they made every collection walk them all. Reads like
    the dict `save_clients` and `search_index` take (`c["id"]`, `c.get("phone")`). Its
    fields are the clients table's columns in their order: `save_clients` binds them as
    they are.
    """

    id: str
    last_name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    phone: str | None = None
    email: str | None = None
    birthday: str | None = None
    card_number: str | None = None
    store_id: str | None = None
    consultant_id: str | None = None
    tier: str | None = None
    points_balance: int = 0
    last_visit: str | None = None
    created_at: str | None = None

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)


assert ClientColumns.__struct_fields__ == ("id", *CLIENT_COLUMNS), "ClientColumns must list the columns in order"


def enqueue(db: Database, kind: str, entity_id: str, payload: dict[str, Any], mid: str | None = None) -> str:
    mid = mid or new_id()
    db.execute(
        "INSERT INTO outbox (id, kind, entity_id, payload, client_time) VALUES (?, ?, ?, ?, ?)",
        [mid, kind, entity_id, dumps(payload), utcnow().isoformat()],
    )
    return mid


SAME_AS_DATA = ""
"""`clients.hub_data` when the hub's snapshot is `data` itself (nothing local on top, the
usual case): a first sync would otherwise write every client's JSON twice. NULL means
the hub has no snapshot yet (registered here, not synced); other text is the hub's
snapshot under this device's unsent patches."""
HUB_DATA = "CASE hub_data WHEN '' THEN data ELSE hub_data END"
"""SQL for a client's hub snapshot as JSON (or NULL), whichever way it is stored."""

# CAST: the JSON may come as the hub's UTF-8 bytes (replica.Json); a str is unchanged.
_UPSERT = ("INSERT OR REPLACE INTO clients (id, %s, data, hub_data) VALUES (?, %s, CAST(? AS TEXT), CAST(? AS TEXT))"
           % (", ".join(CLIENT_COLUMNS), ", ".join("?" * len(CLIENT_COLUMNS))))


def save_clients(db: Database, items: list[tuple[dict, dict | None]], texts: list[str | bytes] | None = None) -> None:
    """Upsert (local view, hub snapshot) pairs and keep the search index in step.

    `texts`, when given, are the local views already as JSON (str, or the hub's UTF-8
    bytes from a pull: see replica.Json).
    """
    rows = []
    for k, (data, hub) in enumerate(items):
        text = fast_dumps(data) if texts is None else texts[k]
        if hub is None or hub is data:
            hub_text = None if hub is None else SAME_AS_DATA
        else:
            hub_text = fast_dumps(hub)
            hub_text = SAME_AS_DATA if hub_text == text else hub_text
        if isinstance(data, ClientColumns):  # a pull: the columns as they are, in order
            rows.append((*msgspec.structs.astuple(data), text, hub_text))
        else:
            rows.append((data["id"], *[data.get(k) for k in CLIENT_COLUMNS], text, hub_text))
    db.conn.executemany(_UPSERT, rows)
    search_index.index_clients(db, [data for data, _ in items])


def save_client(db: Database, data: dict, hub_data: dict | None) -> None:
    save_clients(db, [(data, hub_data)])


def register_client(db: Database, profile: ClientProfile, store_id: str) -> str:
    """A new client, usable at once offline; the hub learns of it on the next push."""
    cid = new_id()
    payload = {**profile.model_dump(mode="json"), "store_id": store_id}
    client = Client(id=cid, store_id=store_id, created_at=utcnow(), **profile.model_dump())
    save_client(db, client.model_dump(mode="json"), None)
    enqueue(db, "client.register", cid, payload)
    return cid


def update_client(db: Database, client_id: str, fields: dict[str, Any]) -> str | None:
    """Patch only the fields that changed. None when nothing did."""
    row = db.execute(f"SELECT data, {HUB_DATA} FROM clients WHERE id = ?", [client_id]).fetchone()
    if row is None:
        raise KeyError(client_id)
    current = json.loads(row[0])
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    merged = ClientProfile.model_validate({**{k: current[k] for k in PROFILE_FIELDS if k in current}, **fields})
    merged_json = merged.model_dump(mode="json")
    changed = {k: merged_json[k] for k in fields if merged_json[k] != current.get(k)}
    if not changed:
        return None
    save_client(db, {**current, **changed}, None if row[1] is None else json.loads(row[1]))
    return enqueue(db, "client.update", client_id, {"fields": changed})


def add_record(db: Database, entity: str, kind: str, entity_id: str, client_id: str, data: dict,
               payload: dict) -> str:
    """A diary entry, contact or form: shown at once as pending, pushed later."""
    db.execute("INSERT OR REPLACE INTO entities (entity, id, client_id, data) VALUES (?, ?, ?, ?)",
               [entity, entity_id, client_id, dumps({**data, "pending": True})])
    return enqueue(db, kind, entity_id, payload)


def link_receipt(db: Database, client_id: str, fiscal: dict[str, Any]) -> str:
    """Link a scanned receipt to a client: a receipt.link mutation and a local pending link.

    `fiscal` holds fn, i, fp, s (kopecks), t (ISO time) and n (type) from the QR. The
    link is keyed by the mutation id, as the hub publishes it, so the hub's answer
    replaces this placeholder.
    """
    mid = new_id()
    payload = {"client_id": client_id, **{k: fiscal[k] for k in ("fn", "i", "fp", "s", "t", "n")}}
    db.execute("INSERT OR REPLACE INTO entities (entity, id, client_id, data) VALUES ('link', ?, ?, ?)",
               [mid, client_id, dumps({"id": mid, **payload, "state": "pending", "receipt_id": None})])
    return enqueue(db, "receipt.link", new_id(), payload, mid)
