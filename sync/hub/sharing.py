"""Serving a client of another store of the brand here: POST /v1/clients/{id}/share.

A consultant who found her with the brand-wide lookup (sync.hub.duplicates) opens her
rather than registering her twice. The hub shares her into the consultant's store
(sync.hub.shares): from now on that store's devices get her entities in their feed, its
staff may send mutations for her, and it may read the blobs of her signed forms. Her
entities are published again (each moves to the end of the feed), so a device of this
store whose cursor is past them gets them at its next pull; the answer also carries her
snapshot and those entities, for the device to put into its cache at once.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection

from sync.hub import audit, feed, members, records, shares
from sync.hub.auth import Account, brand_stores
from sync.hub.errors import Rejected
from sync.hub.storage import sql

SHARE_KIND = "client.share"


def share(conn: Connection, client_id: str, account: Account) -> dict:
    """Share the client into the account's store (write transaction). Rejected("unknown_client")
    for an unknown, erased or merged client, or one of another brand (answered alike)."""
    client = members.load(conn, client_id)
    if (
        client is None
        or client.get("erased_at")
        or client.get("merged_into")
        or client["store_id"] not in brand_stores(conn, account.brand_id)
    ):
        raise Rejected("unknown_client", "This client is not known to the hub.")
    home = client["store_id"] == account.store_id
    added = False if home else shares.add(conn, client_id, account.store_id, account.id)
    rows = sql(
        conn, "SELECT entity, entity_id, store_id, data FROM feed WHERE client_id = ? AND NOT deleted", (client_id,)
    ).fetchall()
    entities = [(e, i, s, json.loads(d)) for e, i, s, d in rows if d is not None]
    if added:
        for sha in sorted(records.form_blobs(conn, client_id)):
            records.grant_blob(conn, sha, account.store_id)
        feed.publish_many(conn, [(e, i, s, d, False) for e, i, s, d in entities])
    audit.log_read(conn, client_id, account.id, account.role, account.store_id, SHARE_KIND)
    return {
        "client_id": client_id,
        "home_store_id": client["store_id"],
        "shared": added,
        "client": client,
        "entities": [
            {"entity": e, "entity_id": i, "client_id": feed.client_of(e, i, d), "data": d}
            for e, i, _, d in entities
            if e != "client"
        ],
    }
