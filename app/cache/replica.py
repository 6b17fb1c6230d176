"""The cache's side of sync: outbox reads and answers, change pages, sync state.

Called by sync.engine through `Cache.write`/`Cache.read`; each function runs in one
transaction, so an applied page and its cursor commit together, and a mutation leaves
the outbox in the same transaction that records the hub's answer.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pydantic_core
from sqlite_utils import Database

from app.cache import search_index
from app.cache.outbox import HUB_DATA, ClientColumns, save_client, save_clients
from sync.client import FeedRow
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
    row = db.execute(f"SELECT data, {HUB_DATA} FROM clients WHERE id = ?", [client_id]).fetchone()
    if hub_data is None:
        if row is None or row[1] is None:
            return
        hub_data = json.loads(row[1])
    local = dict(hub_data)
    for patch in _pending_patches(db, client_id):
        local.update(patch)
    save_client(db, local, hub_data)


Json = str | msgspec.Raw
"""An entity's JSON text: a str, or the hub's UTF-8 bytes as they came (bound as bytes
and stored as TEXT by `CAST(? AS TEXT)`: no decoding into a str per row, and no encoding
back to UTF-8 when SQLite binds it)."""


@dataclass(slots=True)
class PreparedPage:
    """A page of the feed sorted into what `apply_page` writes, ready to bind.

    Made by `prepare_page`, which touches no database (the engine runs it in the
    writer, just before `apply_page`; see sync.engine._apply_pages for why).
    """

    clients: list[tuple[ClientColumns, Json]] = field(default_factory=list)   # (columns, the hub's JSON)
    client_deletes: list[str] = field(default_factory=list)
    entity_rows: list[tuple[str, str, str | None, Json]] = field(default_factory=list)
    entity_deletes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.clients) + len(self.client_deletes) + len(self.entity_rows) + len(self.entity_deletes)


class _ClientRef(msgspec.Struct):
    client_id: str | None = None


_CLIENT_REF = msgspec.json.Decoder(_ClientRef)
_CLIENT = msgspec.json.Decoder(ClientColumns)


def _feed_row(ch: dict[str, Any] | Change) -> FeedRow:
    """A change given as a dict or a `Change` model, as the pull decodes one."""
    if not isinstance(ch, dict):
        ch = ch.model_dump(mode="json", exclude_unset=True)  # an unset client_id is read from data
    data = ch.get("data")
    return FeedRow(ch.get("seq", 0), ch["entity"], ch["entity_id"], bool(ch.get("deleted")),
                   msgspec.Raw(pydantic_core.to_json(data)), ch.get("client_id", msgspec.UNSET))


def prepare_page(changes: list[FeedRow] | list[dict[str, Any]] | list[Change]) -> PreparedPage:
    """Sort a page's changes into rows to write.

    `FeedRow`s (the engine's pull) keep each entity's JSON as the hub sent it (`Json`):
    of a client only its columns are read (`ClientColumns`); any other entity is not
    read at all, the change names its client (an older hub's does not: then only
    `client_id` is read from the entity). Dicts and `Change` models (tests, small
    callers) are turned into `FeedRow`s first.
    """
    if changes and not isinstance(changes[0], FeedRow):
        changes = [_feed_row(ch) for ch in changes]
    out = PreparedPage()
    for ch in changes:  # every row of a sync passes here: keep it lean
        if ch.gone:
            if ch.entity == "client":
                out.client_deletes.append(ch.entity_id)
            else:
                out.entity_deletes.append((ch.entity, ch.entity_id))
        elif ch.entity == "client":
            out.clients.append((_CLIENT.decode(ch.data), ch.data))
        else:
            ref = ch.client_id
            if ref is msgspec.UNSET:  # a hub that does not name it: read it from the entity
                ref = _CLIENT_REF.decode(ch.data).client_id
            out.entity_rows.append((ch.entity, ch.entity_id, ref, ch.data))
    return out


WRITER_CACHE_KIB = 64 * 1024
"""Page cache of the writer while it applies pages: the entity indexes take random keys,
and with SQLite's default 2 MB an initial sync of a big store reads index pages back
from the OS for every insert (~15% of the apply time at 350,000 rows)."""


def apply_page(db: Database, changes: list[FeedRow] | list[dict[str, Any]] | list[Change] | PreparedPage,
               next_cursor: int) -> dict[str, int]:
    """Apply one page of the change feed and advance the cursor, in one transaction.

    `changes` are the feed's rows (see `prepare_page`) or a page it already sorted.
    """
    page = changes if isinstance(changes, PreparedPage) else prepare_page(changes)
    if page.count >= 500:
        db.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
    patched = {r[0] for r in db.execute(
        "SELECT DISTINCT entity_id FROM outbox WHERE kind = 'client.update' AND status IN ('pending', 'waiting')")}
    if page.client_deletes:
        db.conn.executemany("DELETE FROM clients WHERE id = ?", [(i,) for i in page.client_deletes])
        search_index.unindex_clients(db, page.client_deletes)
    plain = [(cols, text) for cols, text in page.clients if cols.id not in patched]
    if plain:  # nothing local to replay: the hub's snapshot is the local view
        save_clients(db, [(cols, cols) for cols, _ in plain], texts=[text for _, text in plain])
    for cols, text in page.clients:
        if cols.id in patched:
            rebase_client(db, cols.id, json.loads(text if isinstance(text, str) else bytes(text)))
    if page.entity_rows:
        db.conn.executemany("INSERT OR REPLACE INTO entities (entity, id, client_id, data) "
                            "VALUES (?, ?, ?, CAST(? AS TEXT))", page.entity_rows)
    if page.entity_deletes:
        if bulk_loading(db):  # no key index to find them by: deleted when it is back
            upto = db.execute("SELECT coalesce(max(rowid), 0) FROM entities").fetchone()[0]
            db.conn.executemany("INSERT INTO bulk_gone (entity, id, upto) VALUES (?, ?, ?)",
                                [(e, i, upto) for e, i in page.entity_deletes])
        else:
            db.conn.executemany("DELETE FROM entities WHERE entity = ? AND id = ?", page.entity_deletes)
    set_state(db, "cursor", str(next_cursor))
    set_state(db, "last_pull_at", utcnow().isoformat())
    n_clients = len(page.clients) + len(page.client_deletes)
    return {"client": n_clients, "other": page.count - n_clients}


# --- pages as files -------------------------------------------------------------------

PAGE_FILE_FORMAT = "1"
_FILE_CLIENTS = 5000  # clients decoded and indexed at a time


def apply_page_file(db: Database, expect_cursor: int) -> int:
    """Apply the page attached as `page` (sync.hub.page_file) and its cursor, in this transaction.

    Live entities other than clients are copied by one INSERT … SELECT, in SQLite's C
    code; clients and deletions go through `apply_page` a few thousand at a time (their
    columns, search rows, replayed patches of this device, bulk bookkeeping). Returns
    the changes applied.
    """
    meta = dict(db.execute("SELECT key, value FROM page.meta").fetchall())
    if meta.get("format") != PAGE_FILE_FORMAT:
        raise ValueError(f"page file format {meta.get('format')!r}, this app reads {PAGE_FILE_FORMAT}")
    cursor_ = int(meta["next_cursor"])
    if cursor_ != expect_cursor:
        raise ValueError(f"the page file's cursor {cursor_} is not the {expect_cursor} the hub announced")
    db.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
    n = db.execute("INSERT OR REPLACE INTO entities (entity, id, client_id, data) SELECT entity, entity_id,"
                   " client_id, data FROM page.changes WHERE NOT deleted AND entity <> 'client'").rowcount
    found = db.execute("SELECT entity, entity_id, deleted, data FROM page.changes"
                       " WHERE deleted OR entity = 'client' ORDER BY seq")
    while rows := found.fetchmany(_FILE_CLIENTS):
        page = PreparedPage()
        for entity, entity_id, deleted, data in rows:
            if (deleted or data is None) and entity == "client":
                page.client_deletes.append(entity_id)
            elif deleted or data is None:
                page.entity_deletes.append((entity, entity_id))
            else:
                page.clients.append((_CLIENT.decode(data), data))
        n += page.count
        apply_page(db, page, cursor_)
    apply_page(db, PreparedPage(), cursor_)
    set_state(db, FILE_PULL, "1")
    return n


FILE_PULL = "file_pull"
"""sync_state key: a pull in SQLite pages is under way (set with each page, cleared when
the pull ends), so one broken off resumes in them too (sync.engine.SyncEngine.pull)."""


def end_file_pull(db: Database) -> None:
    db.execute("DELETE FROM sync_state WHERE key = ?", [FILE_PULL])


def file_pull(db: Database) -> bool:
    return bool(get_state(db, FILE_PULL))


# --- bulk load ------------------------------------------------------------------------

BULK_DROPPED = ("entities_key", "entities_client", "clients_name", "clients_store", "search_doc_phone",
                "search_doc_card", "search_doc_email", "search_doc_twin", "search_doc_ai", "search_doc_ad",
                "search_doc_au")
"""Indexes and full-text triggers set aside while a big pull loads.

Every row of an initial sync otherwise pays a random insert into each of these
B-trees (their keys are UUIDs), and the full-text triggers cost ten times what one
`rebuild` does at the end (measured: 33,000 clients, 1.1 s of triggers against
0.08 s). Sorting and building them once when the pull is done is cheaper than keeping
them in step row by row. Without `entities_key` an entity published twice during the
load is appended twice (the later row wins when the key is rebuilt) and a deletion is
noted in `bulk_gone`. Meanwhile lookups by phone, card or e-mail and a client's records
still answer (by scanning), name search finds the clients it had before the load, and
the client list sorts by name without its index.
"""


def bulk_loading(db: Database) -> bool:
    return get_state(db, "bulk_load") is not None


def begin_bulk(db: Database) -> None:
    """Set the indexes aside (their DDL kept in sync_state), in this transaction."""
    if bulk_loading(db):
        return
    placeholders = ",".join("?" * len(BULK_DROPPED))
    ddl = db.execute(f"SELECT name, type, sql FROM sqlite_master WHERE name IN ({placeholders})",
                     list(BULK_DROPPED)).fetchall()
    for name, kind, _ in ddl:
        db.execute(f"DROP {kind.upper()} {name}")
    set_state(db, "bulk_load", json.dumps([sql for _, _, sql in ddl]))


def finish_bulk(db: Database) -> bool:
    """Rebuild what `begin_bulk` set aside; True when there was a bulk load to finish.

    Run at the end of the pull that began it, and when the cache opens (a process
    killed mid-load leaves the flag committed with its last page).
    """
    saved = get_state(db, "bulk_load")
    if saved is None:
        return False
    db.execute("PRAGMA threads = 2")  # index builds sort with a helper thread (the pull is over: a core is free)
    for sql in json.loads(saved):
        try:
            db.execute(sql)
        except sqlite3.IntegrityError:  # the entity key, with entities appended twice: keep the later
            db.execute("DELETE FROM entities WHERE rowid NOT IN (SELECT max(rowid) FROM entities GROUP BY entity, id)")
            db.execute(sql)
    db.execute("DELETE FROM entities WHERE rowid IN (SELECT e.rowid FROM bulk_gone g JOIN entities e "
               "ON e.entity = g.entity AND e.id = g.id AND e.rowid <= g.upto)")
    db.execute("DELETE FROM bulk_gone")
    search_index.rebuild_names(db)
    db.execute("DELETE FROM sync_state WHERE key = 'bulk_load'")
    return True
