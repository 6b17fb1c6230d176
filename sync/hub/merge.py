"""Merging a duplicate pair (sync.hub.duplicates) into one client: POST /v1/duplicates/{id}/merge.

Nothing of either is lost: every receipt, ledger entry (the survivor's balance is her
ledger's sum afterwards: her figures are computed again from it), field history row,
diary entry (with all its revisions), contact, consent record, signed form and receipt
link of the merged client moves to the survivor, and is published again under her (same
entity ids, her client id, her home store), so each device files it under her. The
survivor's empty profile fields take the merged one's values; for each consent purpose
the later answer stands (both stay on the record). The stores either was shared into,
and the merged one's home store, get the survivor shared in, so every device that served
either keeps serving her.

The merged client becomes a tombstone that redirects: her row keeps no personal data and
names the survivor (`merged_into`); the feed publishes her deletion, on which devices drop
her (app.cache.erasure); a mutation that still names her (written offline before the
device heard of the merge) is applied to the survivor (sync.hub.mutations). All in one
write transaction.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection

from sync.hub import audit, duplicates, feed, loyalty_service, members, records, shares
from sync.hub.auth import Account, brand_stores
from sync.hub.errors import Rejected
from sync.hub.storage import lock_clients, sql
from sync.models import PROFILE_FIELDS, utcnow

MERGE_KIND = "client.merge"
KEPT = ("id", "store_id", "created_at")  # the tombstone's row: no personal data, the redirect


def merge(conn: Connection, pair_id: str, survivor_id: str, account: Account) -> dict:
    pair = duplicates.pair(conn, pair_id)
    if pair is None or pair["brand_id"] != account.brand_id:
        raise Rejected("unknown_pair", "No such duplicate pair.")
    if pair["status"] != duplicates.OPEN:
        raise Rejected("pair_closed", f"This pair was {pair['status']} already.")
    ids = (pair["client_a"], pair["client_b"])
    if survivor_id not in ids:
        raise Rejected("invalid_survivor", "The survivor must be one of the pair's two clients.")
    merged_id = ids[1] if survivor_id == ids[0] else ids[0]
    lock_clients(conn, ids)
    s, m = members.load(conn, survivor_id), members.load(conn, merged_id)
    mine = brand_stores(conn, account.brand_id)
    if s is None or m is None or s["store_id"] not in mine or m["store_id"] not in mine:
        raise Rejected("unknown_pair", "No such duplicate pair.")
    if account.store_id not in (s["store_id"], m["store_id"]):
        raise Rejected("unknown_pair", "No such duplicate pair.")  # another store's pair: as if unknown
    for c in (s, m):
        if c.get("erased_at") or c.get("merged_into"):
            raise Rejected("client_gone", "One of the two was erased or merged since; dismiss the pair.")
    home = s["store_id"]
    # Her own entities again, at the end of the feed, so a store she is newly shared into
    # gets them all. First: what this transaction publishes later (her account, her
    # snapshot) must win over these copies (the feed keeps an entity's last publication).
    live = sql(
        conn,
        "SELECT entity, entity_id, store_id, data FROM feed WHERE client_id = ? AND NOT deleted AND entity <> 'client'",
        (survivor_id,),
    ).fetchall()
    feed.publish_many(conn, [(e, i, st, json.loads(d), False) for e, i, st, d in live if d is not None])
    moved = _move_rows(conn, merged_id, survivor_id, home)

    # every store that served either keeps serving her
    for store in {*shares.stores_of(conn, merged_id), m["store_id"]} - {home}:
        shares.add(conn, survivor_id, store, account.id)
    shares.remove_all(conn, merged_id)
    # the forms' blobs (now all hers) readable wherever she is served
    for store in {home, *shares.stores_of(conn, survivor_id)}:
        for sha in sorted(records.form_blobs(conn, survivor_id)):
            records.grant_blob(conn, sha, store)

    survivor = _merged_profile(s, m)
    members.save(conn, survivor)
    figures, summary = loyalty_service.figures(conn, survivor, utcnow())
    members.set_figures(conn, survivor, figures)
    loyalty_service.publish_account(conn, survivor, summary)
    feed.publish(conn, "account", merged_id, m["store_id"], None, deleted=True)
    members.save(
        conn, {k: m[k] for k in KEPT if k in m} | {"last_name": "—", "first_name": "—", "merged_into": survivor_id}
    )

    duplicates.resolve(conn, pair_id, duplicates.MERGED, account.id, survivor_id)
    duplicates.repoint(conn, merged_id, survivor_id, account.brand_id)
    for cid, other in ((survivor_id, merged_id), (merged_id, survivor_id)):
        audit.log_change(conn, cid, account.id, account.role, account.store_id, MERGE_KIND, other)
    return {"pair_id": pair_id, "survivor_id": survivor_id, "merged_id": merged_id, "moved": moved}


def _move_rows(conn: Connection, merged_id: str, survivor_id: str, home: str) -> dict[str, int]:
    """Re-point every row of the merged client's to the survivor and publish it under her."""
    moved: dict[str, int] = {}

    def rewrite(table: str, key: str, where: str, param: str, publish_as: str | None, owner: bool = False) -> None:
        rows = sql(conn, f"SELECT {key}, data FROM {table} WHERE {where}", (param,)).fetchall()
        out = []
        for rid, data in rows:
            d = json.loads(data)
            d["client_id"] = survivor_id
            text = feed.dumps(d)
            if owner:
                sql(
                    conn,
                    f"UPDATE {table} SET owner_id = ?, data = ? WHERE {key} = ? AND entity = ?",
                    (survivor_id, text, rid, publish_as),
                )
            else:
                sql(conn, f"UPDATE {table} SET client_id = ?, data = ? WHERE {key} = ?", (survivor_id, text, rid))
            out.append((rid, d))
        if publish_as:
            feed.publish_many(conn, [(publish_as, rid, home, d, False) for rid, d in out])
        moved[publish_as or table] = moved.get(publish_as or table, 0) + len(out)

    rewrite("receipts", "id", "client_id = ?", merged_id, "receipt")
    rewrite("ledger", "id", "client_id = ?", merged_id, "ledger")
    rewrite("records", "id", "entity = 'form' AND owner_id = ?", merged_id, "form", owner=True)
    rewrite("records", "id", "entity = 'contact' AND owner_id = ?", merged_id, "contact", owner=True)
    sql(conn, "UPDATE contact_log SET client_id = ? WHERE client_id = ?", (survivor_id, merged_id))

    # diary: each revision names the client and the store the entry is filed under
    entries = [
        r[0] for r in sql(conn, "SELECT entity_id FROM feed WHERE entity = 'diary' AND client_id = ?", (merged_id,))
    ]
    for entry_id in entries:
        for rid, data in sql(
            conn, "SELECT id, data FROM records WHERE entity = 'diary_rev' AND owner_id = ?", (entry_id,)
        ).fetchall():
            rev = json.loads(data) | {"client_id": survivor_id, "store_id": home}
            sql(conn, "UPDATE records SET data = ? WHERE entity = 'diary_rev' AND id = ?", (feed.dumps(rev), rid))
        records.republish_entry(conn, entry_id)
    moved["diary"] = len(entries)

    for table in ("client_history", "consents", "receipt_links"):
        n = sql(conn, f"SELECT count(*) FROM {table} WHERE client_id = ?", (merged_id,)).fetchone()[0]
        sql(conn, f"UPDATE {table} SET client_id = ? WHERE client_id = ?", (survivor_id, merged_id))
        moved[table] = int(n)

    # what else the feed holds of hers (history, consents, links): the same entity, now hers
    rest = sql(
        conn,
        "SELECT entity, entity_id, data FROM feed WHERE client_id = ? AND NOT deleted"
        " AND entity NOT IN ('client', 'account', 'receipt', 'ledger', 'form', 'contact', 'diary')",
        (merged_id,),
    ).fetchall()
    feed.publish_many(
        conn, [(e, i, home, json.loads(d) | {"client_id": survivor_id}, False) for e, i, d in rest if d is not None]
    )
    return moved


def _merged_profile(s: dict, m: dict) -> dict:
    """The survivor's snapshot: her values stand; an empty field takes the merged one's;
    for each consent purpose, the later answer."""
    out = dict(s)
    for k in PROFILE_FIELDS:
        if k == "consents":
            continue
        if out.get(k) in (None, "", [], {}) and m.get(k) not in (None, "", [], {}):
            out[k] = m[k]
    consents = dict(s.get("consents") or {})
    for purpose, theirs in (m.get("consents") or {}).items():
        ours = consents.get(purpose)
        if ours is None or (theirs.get("date") or "") > (ours.get("date") or ""):
            consents[purpose] = theirs
    out["consents"] = consents
    return out
