"""A client the hub tombstones (erased under 152-FZ): every trace of her leaves this cache.

The feed carries a tombstone for the client and for each of her entities; this removes, in
the transaction that applies the page, what the device holds of her beyond those rows:
entities it has only locally (pending records), its own field history, drafts of her
profile, queued or refused operations (their payloads hold what was typed) and her search
rows and name words. SQLite's secure_delete is on meanwhile, so the freed pages are zeroed
rather than left readable in the file.
"""

from __future__ import annotations

from sqlite_utils import Database

from app.cache import bulk_load, diary_index, search_index


def forget_clients(db: Database, ids: list[str]) -> None:
    """Remove these clients and everything of theirs from the cache (in the caller's transaction)."""
    if not ids:
        return
    was = db.execute("PRAGMA secure_delete").fetchone()[0]
    db.execute("PRAGMA secure_delete = ON")
    try:
        rows = [(i,) for i in ids]
        if db.execute("SELECT 1 FROM outbox LIMIT 1").fetchone():  # a first sync's outbox is empty: no scan
            db.conn.executemany(
                "DELETE FROM outbox WHERE entity_id = ? OR json_extract(payload, '$.client_id') = ?"
                " OR entity_id IN (SELECT id FROM entities WHERE client_id = ?)",  # a revision of her diary entry
                [(i, i, i) for i in ids],
            )
        db.conn.executemany("DELETE FROM clients WHERE id = ?", rows)
        search_index.forget_clients(db, ids)
        diary_index.forget_clients(db, ids)  # her diary's words, from search and prefix vocabulary
        if bulk_load.bulk_loading(db):  # no client index to find them by: deleted when it is back
            upto = db.execute("SELECT coalesce(max(rowid), 0) FROM entities").fetchone()[0]
            db.conn.executemany(
                "INSERT INTO bulk_gone_clients (client_id, upto) VALUES (?, ?)", [(i, upto) for i in ids]
            )
        else:
            db.conn.executemany("DELETE FROM entities WHERE client_id = ?", rows)
        db.conn.executemany("DELETE FROM field_history WHERE client_id = ?", rows)
        db.conn.executemany("DELETE FROM drafts WHERE form = 'profile:' || ?", rows)
    finally:
        db.execute(f"PRAGMA secure_delete = {int(was)}")
