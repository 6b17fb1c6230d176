"""The cache's side of sync: outbox reads and answers, change pages, sync state.

Called by sync.engine through `Cache.write`/`Cache.read`; each function runs in one
transaction, so an applied page and its cursor commit together, and a mutation leaves
the outbox in the same transaction that records the hub's answer.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from app.cache import search_index
from app.cache.outbox import dumps, save_client, save_clients
from sync.models import Change, Mutation, MutationResult, utcnow

# --- sync state -----------------------------------------------------------------------


def get_state(db: Database, key: str, default: str | None = None) -> str | None:
    row = db.execute("SELECT value FROM sync_state WHERE key = ?", [key]).fetchone()
    return default if row is None else row[0]


def set_state(db: Database, key: str, value: str | None) -> None:
    db.execute("INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)", [key, value])


def cursor(db: Database) -> int:
    return int(get_state(db, "cursor", "0") or 0)


# --- outbox ---------------------------------------------------------------------------


def pending_batch(db: Database, limit: int) -> list[Mutation]:
    """The oldest mutations still to send, in the order they were made."""
    return pending_after(db, limit, 0)[0]


def pending_after(db: Database, limit: int, after_seq: int) -> tuple[list[Mutation], int]:
    """The next mutations to send after outbox position `after_seq`, and the position reached.

    One push walks the outbox once, in order, batch after batch: a mutation the hub
    answers `waiting` stays behind the position and is retried on the next push, so
    however many wait, they never hold up the ones queued after them.
    """
    rows = db.execute(
        "SELECT seq, id, kind, entity_id, payload, client_time FROM outbox "
        "WHERE status IN ('pending', 'waiting') AND seq > ? ORDER BY seq LIMIT ?", [after_seq, limit]).fetchall()
    muts = [Mutation(id=r[1], kind=r[2], entity_id=r[3], payload=json.loads(r[4]), client_time=r[5]) for r in rows]
    return muts, (rows[-1][0] if rows else after_seq)


def counts(db: Database) -> dict[str, int]:
    out = {"pending": 0, "waiting": 0, "rejected": 0}
    for status, n in db.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall():
        out[status] = n
    return out


def rejected(db: Database) -> list[dict]:
    rows = db.execute("SELECT id, kind, entity_id, payload, client_time, reason, code FROM outbox "
                      "WHERE status = 'rejected' ORDER BY seq").fetchall()
    return [{"id": r[0], "kind": r[1], "entity_id": r[2], "payload": json.loads(r[3]),
             "client_time": r[4], "reason": r[5], "code": r[6]} for r in rows]


def dismiss_rejected(db: Database, mutation_id: str) -> None:
    db.execute("DELETE FROM outbox WHERE id = ? AND status = 'rejected'", [mutation_id])


def record_results(db: Database, results: list[MutationResult]) -> list[str]:
    """Apply the hub's answers. Returns the entity ids whose local state must be rebased."""
    touched = []
    for r in results:
        row = db.execute("SELECT kind, entity_id FROM outbox WHERE id = ?", [r.id]).fetchone()
        if row is None:
            continue
        status = r.status
        if status == "duplicate":  # a replay: the first answer is the one that counts
            first = (r.result or {}).get("first", {})
            status = first.get("status", "applied")
        if status == "applied":
            db.execute("DELETE FROM outbox WHERE id = ?", [r.id])
        elif status == "rejected":
            code = r.code or (r.result or {}).get("first", {}).get("code")
            db.execute("UPDATE outbox SET status = 'rejected', reason = ?, code = ? WHERE id = ?",
                       [r.reason, code, r.id])
            # A placeholder shown for this mutation (e.g. a pending receipt link) shows why.
            db.execute("UPDATE entities SET data = json_set(data, '$.state', 'rejected', '$.code', ?, "
                       "'$.reason', ?) WHERE entity = 'link' AND id = ?", [code, r.reason, r.id])
            touched.append(row[1])
        else:  # waiting: keep it, try again later
            db.execute("UPDATE outbox SET status = 'waiting', reason = ?, attempts = attempts + 1 WHERE id = ?",
                       [r.reason, r.id])
    for entity_id in touched:
        rebase_client(db, entity_id)
    return touched


# --- pull -----------------------------------------------------------------------------


def _pending_patches(db: Database, client_id: str) -> list[dict[str, Any]]:
    rows = db.execute("SELECT payload FROM outbox WHERE entity_id = ? AND kind = 'client.update' "
                      "AND status IN ('pending', 'waiting') ORDER BY seq", [client_id]).fetchall()
    return [json.loads(r[0])["fields"] for r in rows]


def rebase_client(db: Database, client_id: str, hub_data: dict | None = None) -> None:
    """Local view = the hub's snapshot with this device's unsent patches replayed on top."""
    row = db.execute("SELECT data, hub_data FROM clients WHERE id = ?", [client_id]).fetchone()
    if hub_data is None:
        if row is None or row[1] is None:
            return
        hub_data = json.loads(row[1])
    local = dict(hub_data)
    for patch in _pending_patches(db, client_id):
        local.update(patch)
    save_client(db, local, hub_data)


def apply_page(db: Database, changes: list[Change], next_cursor: int) -> dict[str, int]:
    """Apply one page of the change feed and advance the cursor, in one transaction."""
    applied = {"client": 0, "other": 0}
    entity_rows, entity_deletes, plain_clients = [], [], []
    patched = {r[0] for r in db.execute(
        "SELECT DISTINCT entity_id FROM outbox WHERE kind = 'client.update' AND status IN ('pending', 'waiting')")}
    for ch in changes:
        if ch.entity == "client":
            if ch.deleted or ch.data is None:
                db.execute("DELETE FROM clients WHERE id = ?", [ch.entity_id])
                search_index.unindex_clients(db, [ch.entity_id])
            elif ch.entity_id in patched:
                rebase_client(db, ch.entity_id, ch.data)
            else:  # nothing local to replay: the hub's snapshot is the local view
                plain_clients.append((ch.data, ch.data))
            applied["client"] += 1
            continue
        if ch.deleted or ch.data is None:
            entity_deletes.append((ch.entity, ch.entity_id))
        else:
            entity_rows.append((ch.entity, ch.entity_id, ch.data.get("client_id"), dumps(ch.data)))
        applied["other"] += 1
    if plain_clients:
        save_clients(db, plain_clients)
    if entity_rows:
        db.conn.executemany("INSERT OR REPLACE INTO entities (entity, id, client_id, data) VALUES (?, ?, ?, ?)",
                            entity_rows)
    if entity_deletes:
        db.conn.executemany("DELETE FROM entities WHERE entity = ? AND id = ?", entity_deletes)
    set_state(db, "cursor", str(next_cursor))
    set_state(db, "last_pull_at", utcnow().isoformat())
    return applied
