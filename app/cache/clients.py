"""Clients in the cache: the local view, the hub's snapshot under it, and local edits.

Every function takes the writer's `Database` (run it through `Cache.write`), so the row a
consultant sees and the mutation that carries it to the hub commit together or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import msgspec
from sqlite_utils import Database

from app.cache import search_index
from app.cache.outbox import enqueue, pending_patches
from sync.models import Client, ClientProfile, new_id, utcnow
from sync.profile import merge_profile
from sync.rules.jsontext import dumps

CLIENT_COLUMNS = (
    "last_name",
    "first_name",
    "middle_name",
    "phone",
    "email",
    "birthday",
    "card_number",
    "store_id",
    "consultant_id",
    "tier",
    "points_balance",
    "last_visit",
    "created_at",
)


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

ClientData = dict[str, Any] | ClientColumns
"""A client as `save_clients` takes it: the whole entity, or a pull's columns of it."""


SAME_AS_DATA = ""
"""`clients.hub_data` when the hub's snapshot is `data` itself (nothing local on top, the
usual case): a first sync would otherwise write every client's JSON twice. NULL means
the hub has no snapshot yet (registered here, not synced); other text is the hub's
snapshot under this device's unsent patches."""


HUB_DATA = "CASE hub_data WHEN '' THEN data ELSE hub_data END"
"""SQL for a client's hub snapshot as JSON (or NULL), whichever way it is stored."""

# CAST: the JSON may come as the hub's UTF-8 bytes (replica.Json); a str is unchanged.


_UPSERT = (
    f"INSERT OR REPLACE INTO clients (id, {', '.join(CLIENT_COLUMNS)}, data, hub_data)"
    f" VALUES (?, {', '.join('?' * len(CLIENT_COLUMNS))}, CAST(? AS TEXT), CAST(? AS TEXT))"
)


def save_clients(
    db: Database, items: Sequence[tuple[ClientData, ClientData | None]], texts: Sequence[str | bytes] | None = None
) -> None:
    """Upsert (local view, hub snapshot) pairs and keep the search index in step.

    `texts`, when given, are the local views already as JSON (str, or the hub's UTF-8
    bytes from a pull: see replica.Json).
    """
    rows = []
    for k, (data, hub) in enumerate(items):
        text = dumps(data) if texts is None else texts[k]
        if hub is None or hub is data:
            hub_text = None if hub is None else SAME_AS_DATA
        else:
            hub_text = dumps(hub)
            hub_text = SAME_AS_DATA if hub_text == text else hub_text
        if isinstance(data, ClientColumns):  # a pull: the columns as they are, in order
            rows.append((*msgspec.structs.astuple(data), text, hub_text))
        else:
            rows.append((data["id"], *[data.get(k) for k in CLIENT_COLUMNS], text, hub_text))
    db.conn.executemany(_UPSERT, rows)
    search_index.index_clients(db, [data for data, _ in items])


def save_client(db: Database, data: dict, hub_data: dict | None) -> None:
    save_clients(db, [(data, hub_data)])


def register_client(
    db: Database, profile: ClientProfile, store_id: str, cid: str | None = None, referral_code: str | None = None
) -> str:
    """A new client, usable at once offline; the hub learns of it on the next push. `cid`: an
    id chosen before (a signed form names its client in what it hashes). `referral_code`:
    the code she came with, for the hub to check (it is no field of the client: an unknown
    code is only noted by the hub, she is registered all the same)."""
    cid = cid or new_id()
    payload = {**profile.model_dump(mode="json"), "store_id": store_id}
    if referral_code:
        payload["referral_code"] = referral_code
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
    changed = merge_profile(current, fields)  # NotEditable (a ValueError), pydantic.ValidationError
    if not changed:
        return None
    save_client(db, {**current, **changed}, None if row[1] is None else json.loads(row[1]))
    return enqueue(db, "client.update", client_id, {"fields": changed})


def rebase_client(db: Database, client_id: str, hub_data: dict | None = None) -> None:
    """Local view = the hub's snapshot with this device's unsent patches replayed on top."""
    row = db.execute(f"SELECT data, {HUB_DATA} FROM clients WHERE id = ?", [client_id]).fetchone()
    if hub_data is None:
        if row is None or row[1] is None:
            return
        hub_data = json.loads(row[1])
    local = dict(hub_data)
    for patch in pending_patches(db, client_id):
        local.update(patch)
    save_client(db, local, hub_data)
