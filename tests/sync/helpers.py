"""Devices, hub inspection and comparisons shared by the sync tests.

A `Device` is what a tablet runs: its own cache file, its own HubClient (with its own
login, session and tokens) and its own SyncEngine with the device id the hub issued.
`HubView` reads the hub's database directly (SQLite's WAL lets a reader sit beside the
serving process; or PostgreSQL), so the tests check what the hub really stored, not what
it answered.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import sqlite3
import ssl
from collections.abc import Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from app.cache import clients, outbox, records
from app.cache.clients import HUB_DATA
from app.cache.replica import CacheReplica
from app.cache.store import Cache
from app.sync_engine import SyncEngine
from sync.client import HubClient, HubError
from sync.hub import demo
from sync.models import new_id, utcnow

STORES = [s["id"] for s in demo.stores(1)]
CONSULTANTS = {c["login"]: c for c in demo.consultants(1)}
PASSWORDS = {
    **{k: c["password"] for k, c in CONSULTANTS.items()},
    **{f"till{i}": "vitrine" for i in (1, 2, 3)},
    **{f"manager{i}": "vitrine" for i in (1, 2, 3)},
}


@functools.cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def store_of(login: str) -> str:
    if login in CONSULTANTS:
        return CONSULTANTS[login]["store_id"]
    return STORES[int(login[-1]) - 1]


def till_of(store_id: str) -> str:
    """The login of a store's till (a till posts its own store's receipts only)."""
    return f"till{STORES.index(store_id) + 1}"


def logins_of_store(index: int) -> list[str]:
    return [k for k, c in CONSULTANTS.items() if c["store_id"] == STORES[index]]


TEST_KEY = bytes(range(32))
"""The devices' cache key in these tests (the app's comes from its secret store): encrypted like the app's."""


# --- the hub's side ------------------------------------------------------------------


class HubView:
    """Read-only look at the hub's database: a SQLite file, or a postgresql:// URL."""

    def __init__(self, db: Path | str):
        self.pg = str(db).startswith("postgresql://")
        self.conn: Any
        if self.pg:
            import psycopg

            self.conn = psycopg.connect(str(db), autocommit=True)  # each query sees what is committed
            self.conn.execute("SET default_transaction_read_only = on")
        else:
            self.conn = sqlite3.connect(str(db), timeout=30, check_same_thread=False)
            self.conn.execute("PRAGMA query_only = ON")

    def close(self) -> None:
        self.conn.close()

    def q(self, sql: str, *args: Any) -> list[tuple]:
        return self.conn.execute(sql.replace("?", "%s") if self.pg else sql, args).fetchall()

    def visible(self, store_id: str) -> dict[tuple[str, str], dict | None]:
        """Every feed entity a device of `store_id` must hold: (entity, id) -> data (None: deleted)."""
        rows = self.q(  # a client of another store shared into this one is served here too
            "SELECT entity, entity_id, deleted, data FROM feed WHERE store_id = ? OR store_id IS NULL"
            " OR client_id IN (SELECT client_id FROM client_shares WHERE store_id = ?) ORDER BY seq",
            store_id,
            store_id,
        )
        return {(e, i): (None if d or data is None else json.loads(data)) for e, i, d, data in rows}

    def mutations(self, device_ids: list[str]) -> dict[tuple[str, str], dict]:
        """(device_id, mutation id) -> {status, response, rowid} for these devices.

        `rowid` orders the mutations as the hub applied them: SQLite's rowid (one writer at
        a time); on PostgreSQL the hub's time of the answer, which orders any two mutations
        that touch one client or receipt (they take turns on its row lock, and each records
        its answer holding it)."""
        marks = ",".join("?" * len(device_ids))
        order = "at" if self.pg else "rowid"
        rows = self.q(
            f"SELECT {order}, device_id, id, status, response FROM mutations WHERE device_id IN ({marks})", *device_ids
        )
        return {(d, i): {"rowid": r, "status": s, "response": json.loads(resp)} for r, d, i, s, resp in rows}

    def client(self, client_id: str) -> dict | None:
        row = self.q("SELECT data FROM clients WHERE id = ?", client_id)
        return json.loads(row[0][0]) if row else None

    def diary_revisions(self, entry_id: str) -> list[dict]:
        rows = self.q("SELECT data FROM records WHERE entity = 'diary_rev' AND owner_id = ?", entry_id)
        return sorted((json.loads(r[0]) for r in rows), key=lambda r: r["hub_order"])

    def history(self, client_id: str) -> list[tuple]:
        return self.q(
            "SELECT field, old_value, new_value, mutation_id, device_id FROM client_history "
            "WHERE client_id = ? ORDER BY id",
            client_id,
        )

    def receipt(self, fn: str, i: str, fp: str) -> dict | None:
        row = self.q("SELECT data FROM receipts WHERE fn = ? AND i = ? AND fp = ?", fn, i, fp)
        return json.loads(row[0][0]) if row else None

    def ledger(self, client_id: str) -> list[dict]:
        return [json.loads(r[0]) for r in self.q("SELECT data FROM ledger WHERE client_id = ?", client_id)]


# --- the device's side ---------------------------------------------------------------


def cache_view(db) -> tuple[dict[str, tuple[dict, dict | None]], dict[tuple[str, str], dict]]:
    """(clients: id -> (local view, hub snapshot), entities: (entity, id) -> data) of a cache."""
    clients = {
        i: (json.loads(d), None if h is None else json.loads(h))
        for i, d, h in db.execute(f"SELECT id, data, {HUB_DATA} FROM clients")
    }
    entities = {(e, i): json.loads(d) for e, i, d in db.execute("SELECT entity, id, data FROM entities")}
    return clients, entities


def outbox_rows(db) -> list[dict]:
    cols = ("seq", "id", "kind", "entity_id", "payload", "status", "reason", "attempts")
    return [dict(zip(cols, r, strict=True)) for r in db.execute(f"SELECT {', '.join(cols)} FROM outbox ORDER BY seq")]


def compare_cache_with_hub(
    cache: Cache,
    hub: HubView,
    store_id: str,
    local_only_clients: Set[str] = frozenset(),
    visible: dict[tuple[str, str], dict | None] | None = None,
) -> list[str]:
    """Differences between a settled device cache and the hub's view for its store ([] if equal)."""
    clients, entities = cache.read_sync(cache_view)
    if visible is None:
        visible = hub.visible(store_id)
    problems: list[str] = []
    hub_clients = {i: d for (e, i), d in visible.items() if e == "client" and d is not None}
    hub_entities = {k: d for k, d in visible.items() if k[0] != "client" and d is not None}
    for cid, data in hub_clients.items():
        if cid not in clients:
            problems.append(f"client {cid} missing from the cache")
            continue
        local, snap = clients[cid]
        if snap != data:
            problems.append(f"client {cid}: hub snapshot differs: {_diff(snap, data)}")
        if local != data:
            problems.append(f"client {cid}: local view differs from the hub: {_diff(local, data)}")
    for cid in set(clients) - set(hub_clients) - set(local_only_clients):
        problems.append(f"client {cid} in the cache but not visible on the hub")
    for key, data in hub_entities.items():
        if key not in entities:
            problems.append(f"{key} missing from the cache")
        elif entities[key] != data:
            problems.append(f"{key} differs: {_diff(entities[key], data)}")
    for key in set(entities) - set(hub_entities):
        problems.append(f"{key} in the cache but not on the hub: {entities[key]}")
    # a client's records are found by the client_id column: it must name the client the record names
    filed = cache.read_sync(lambda db: db.execute("SELECT entity, id, client_id, data FROM entities").fetchall())
    misfiled = [(e, i, c) for e, i, c, data in filed if c != json.loads(data).get("client_id")]
    if misfiled:
        problems.append(f"{len(misfiled)} records filed under the wrong client, e.g. {misfiled[:3]}")
    # the search index follows every client write
    has_index = cache.read_sync(lambda db: "search_doc" in db.table_names())
    if has_index:
        indexed = set(cache.read_sync(lambda db: [r[0] for r in db.execute("SELECT client_id FROM search_doc")]))
        if indexed != set(clients):
            problems.append(
                f"search index out of step: {len(set(clients) - indexed)} clients unindexed, "
                f"{len(indexed - set(clients))} stale rows"
            )
    return problems


def _diff(a: dict | None, b: dict | None) -> str:
    if a is None or b is None:
        return f"{a!r} != {b!r}"
    keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return ", ".join(f"{k}: {a.get(k)!r} != {b.get(k)!r}" for k in keys[:5])


@dataclass
class Device:
    """One simulated tablet."""

    folder: Path
    login: str
    token: str
    base_url: str
    device_id: str  # the hub's, issued with the token's session
    refresh_token: str | None = None
    timeout: float = 5.0
    blobs: dict[str, bytes] = field(default_factory=dict)  # what the device has on disk
    cache_file: str | None = None  # default: <device id>.sqlite
    page_files: bool = True  # a first sync pulls SQLite pages

    def __post_init__(self) -> None:
        self.store_id = store_of(self.login)
        self.cache = Cache(self.folder / (self.cache_file or f"{self.device_id}.sqlite"), TEST_KEY)
        # A transport on a shared TLS context: httpx would build a new one per client (~35 ms).
        self.client = HubClient(
            self.base_url,
            self.token,
            refresh_token=self.refresh_token,
            timeout=self.timeout,
            transport=httpx.AsyncHTTPTransport(verify=_tls()),
        )
        self.engine = SyncEngine(
            CacheReplica(self.cache),
            self.client,
            self.device_id,
            blob_loader=self._load_blob,
            page_files=self.page_files,
        )

    def _load_blob(self, sha: str) -> tuple[bytes, str] | None:
        found = self.blobs.get(sha)
        return None if found is None else (found, "image/png")

    def connect(self, base_url: str, timeout: float | None = None) -> None:
        """Talk to the hub through another address (a proxy, a dead port, the hub itself)."""
        self.client.base_url = base_url.rstrip("/")
        self.client._http.base_url = httpx.URL(self.client.base_url)
        self.client._http.timeout = httpx.Timeout(timeout or self.timeout, connect=5.0)

    async def close(self) -> None:
        await self.engine.stop()
        await self.client.close()
        self.cache.close()

    async def settle(self, attempts: int = 20) -> None:
        """Sync until nothing is pending or waiting (the connection must be clean)."""
        last: Exception | None = None
        for _ in range(attempts):
            try:
                await self.engine.sync_once()
            except HubError as e:
                last = e
                await asyncio.sleep(0.05)
                continue
            counts = await self.cache.read(outbox.counts)
            if counts["pending"] == 0 and counts["waiting"] == 0:
                return
        raise AssertionError(
            f"device {self.device_id} did not settle: {await self.cache.read(outbox.counts)} last error {last}"
        )

    # --- local writes, as the app makes them --------------------------------------------

    async def register(self, last_name: str, first_name: str, **fields: Any) -> str:
        from sync.models import ClientProfile

        return await self.cache.write(
            clients.register_client, ClientProfile(last_name=last_name, first_name=first_name, **fields), self.store_id
        )

    async def update(self, client_id: str, **fields: Any) -> str | None:
        return await self.cache.write(clients.update_client, client_id, fields)

    async def diary_add(self, client_id: str, text: str) -> tuple[str, str]:
        entry_id = new_id()
        data = {"id": entry_id, "client_id": client_id, "text": text, "pinned": False, "tags": []}
        mid = await self.cache.write(
            records.add_record, "diary", "diary.add", entry_id, client_id, data, {"client_id": client_id, "text": text}
        )
        return entry_id, mid

    async def diary_revise(self, entry_id: str, client_id: str, text: str) -> str:
        data = {"id": entry_id, "client_id": client_id, "text": text}
        return await self.cache.write(
            records.add_record, "diary", "diary.revise", entry_id, client_id, data, {"text": text}
        )

    async def link_receipt(self, client_id: str, fn: str, i: str, fp: str) -> str:
        payload = {"client_id": client_id, "fn": fn, "i": i, "fp": fp, "n": 1}
        return await self.cache.write(outbox.enqueue, "receipt.link", new_id(), payload)

    async def sign_form(self, client_id: str, signature: bytes) -> tuple[str, str]:
        sha = hashlib.sha256(signature).hexdigest()
        self.blobs[sha] = signature
        form_id = new_id()
        payload = {
            "client_id": client_id,
            "form_type": "consent",
            "version": "1",
            "signature_sha256": sha,
            "signed_at": utcnow().isoformat(),
            "consents": {"sms": True},
        }
        mid = await self.cache.write(
            records.add_record,
            "form",
            "form.sign",
            form_id,
            client_id,
            {"id": form_id, "client_id": client_id},
            payload,
        )
        return form_id, mid

    async def raw(self, kind: str, entity_id: str, payload: dict) -> str:
        """A mutation as an older or broken app would queue it (no local validation)."""
        return await self.cache.write(outbox.enqueue, kind, entity_id, payload)

    # --- reads --------------------------------------------------------------------------

    def outbox(self) -> list[dict]:
        return self.cache.read_sync(outbox_rows)

    def client_row(self, client_id: str) -> tuple[dict, dict | None] | None:
        row = self.cache.read_sync(
            lambda db: db.execute(f"SELECT data, {HUB_DATA} FROM clients WHERE id = ?", [client_id]).fetchone()
        )
        return None if row is None else (json.loads(row[0]), None if row[1] is None else json.loads(row[1]))

    def entity(self, entity: str, entity_id: str) -> dict | None:
        row = self.cache.read_sync(
            lambda db: db.execute(
                "SELECT data FROM entities WHERE entity = ? AND id = ?", [entity, entity_id]
            ).fetchone()
        )
        return None if row is None else json.loads(row[0])

    def entities(self, entity: str) -> list[dict]:
        return [
            json.loads(r[0])
            for r in self.cache.read_sync(
                lambda db: db.execute("SELECT data FROM entities WHERE entity = ?", [entity]).fetchall()
            )
        ]

    def clients_of_store(self) -> list[str]:
        return self.cache.read_sync(
            lambda db: [r[0] for r in db.execute("SELECT id FROM clients WHERE hub_data IS NOT NULL ORDER BY id")]
        )


def login_session(base_url: str, login: str) -> dict:
    """A new session (and a new device, issued by the hub): the login's whole answer."""
    r = httpx.post(
        base_url + "/v1/auth/login", json={"login": login, "password": PASSWORDS[login]}, timeout=30, verify=_tls()
    )
    r.raise_for_status()
    return r.json()


def login_token(base_url: str, login: str) -> str:
    return login_session(base_url, login)["access_token"]


def post_receipts(base_url: str, till_token: str, receipts: list[dict]) -> list[dict]:
    r = httpx.post(
        base_url + "/v1/pos/receipts",
        json={"receipts": receipts},
        headers={"Authorization": f"Bearer {till_token}"},
        timeout=30,
        verify=_tls(),
    )
    r.raise_for_status()
    return r.json()["results"]


def till_receipt(store_id: str, fn: str, i: str, fp: str, total: int = 2_500_000, phone: str | None = None) -> dict:
    return {
        "store_id": store_id,
        "fn": fn,
        "i": i,
        "fp": fp,
        "at": "2026-11-20T14:05:00+03:00",
        "total": total,
        "type": 1,
        "client_phone": phone,
        "lines": [{"sku": "MM-1", "name": "Пальто Max Mara", "price": total, "qty": 1, "sale": False}],
    }
