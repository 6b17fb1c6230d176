"""A client the hub tombstones (erased under 152-FZ): every trace of her leaves this cache.

The feed carries a tombstone for the client and for each of her entities; this removes, in
the transaction that applies the page, what the device holds of her beyond those rows:
entities it has only locally (pending records), its own field history, drafts of her
profile, queued or refused operations (their payloads hold what was typed) and her search
rows and name words. SQLite's secure_delete is on meanwhile, so the freed pages are zeroed
rather than left readable in the file.

A client merged into another (sync.hub.merge) arrives as a tombstone too, naming her
survivor: she leaves the cache the same way, except for this device's unsent work about
her. Her outbox rows stay as they are: the hub applies a mutation naming a merged client
to her survivor (sync.hub.mutations._redirect), so keeping the queued mutation unchanged
(same id, same payload) is what keeps it idempotent and its answer recorded against it, and
the rule lives in one place. Her records the device shows (a pending diary note, contact,
form) are filed under the survivor, so what was typed stays in sight until the hub's copy
replaces it; a profile draft of hers becomes the survivor's unless she has one.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlite_utils import Database

from app.cache import bulk_load, diary_index, search_index


def forget_clients(db: Database, ids: list[str], merged_into: Mapping[str, str] | None = None) -> None:
    """Remove these clients and everything of theirs from the cache (in the caller's transaction).

    `merged_into` names the survivor of each one merged rather than erased: her unsent work
    is kept (see the module's docstring)."""
    if not ids:
        return
    merged = dict(merged_into or {})
    was = db.execute("PRAGMA secure_delete").fetchone()[0]
    db.execute("PRAGMA secure_delete = ON")
    try:
        rows = [(i,) for i in ids]
        erased = [i for i in ids if i not in merged]
        if erased and db.execute("SELECT 1 FROM outbox LIMIT 1").fetchone():  # a first sync's is empty: no scan
            db.conn.executemany(
                "DELETE FROM outbox WHERE entity_id = ? OR json_extract(payload, '$.client_id') = ?"
                " OR entity_id IN (SELECT id FROM entities WHERE client_id = ?)",  # a revision of her diary entry
                [(i, i, i) for i in erased],
            )
        db.conn.executemany("DELETE FROM clients WHERE id = ?", rows)
        search_index.forget_clients(db, ids)
        diary_index.forget_clients(db, ids)  # her diary's words, from search and prefix vocabulary
        if merged:
            _refile(db, merged)
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


# A record of this device's not yet on the hub (records.add_record, signed_forms), a receipt
# link placeholder (keyed by its mutation id), or one with a queued change (a revision).
# The rest the hub holds, and republishes under the survivor: those go as an erasure's do.
_UNSENT = (
    "(json_extract(data, '$.pending') OR json_extract(data, '$.state') IN ('pending', 'rejected')"
    " OR id IN (SELECT entity_id FROM outbox) OR id IN (SELECT id FROM outbox))"
)


def _refile(db: Database, merged: dict[str, str]) -> None:
    """File this device's unsent work about each merged client under her survivor: her
    pending records (the hub's copies, once it applies them to the survivor, replace them)
    and her profile draft (unless the survivor has one)."""
    for gone, survivor in merged.items():
        moved = db.execute(
            "UPDATE entities SET client_id = ?, data = json_set(data, '$.client_id', ?) WHERE client_id = ?"
            f" AND {_UNSENT} RETURNING entity, id, data",
            [survivor, survivor, gone],
        ).fetchall()
        diary_index.index_entries(db, [(i, survivor, d) for e, i, d in moved if e == "diary"])
        db.execute("UPDATE OR IGNORE drafts SET form = 'profile:' || ? WHERE form = 'profile:' || ?", [survivor, gone])
