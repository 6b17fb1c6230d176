"""client.erase: a data-subject request (152-FZ art. 14, 21) carried out on the hub.

What goes, in the one transaction of the mutation:
- the client snapshot is anonymised: every profile field cleared (name replaced by a dash),
  only her id, store, creation time and hub-owned loyalty figures kept, marked `erased_at`;
  the snapshot is never published again, and no mutation names her any more;
- her field history (old phones, e-mails, notes) and her diary revisions (every text ever
  written) and contact log entries are deleted;
- the blobs her forms and diary name (signature images, signed PDFs, photos) are deleted;
- every feed entity of hers (the client, history, diary, contacts, forms, consents,
  receipts, ledger, links, account) is replaced by a tombstone, so each device deletes
  her data from its cache at its next pull.

What stays, and why:
- receipts and ledger entries, under her (now anonymous) id: the brand's accounting and the
  fiscal record (402-FZ / 54-FZ) must keep the sales; they hold no name, phone or e-mail;
- her consent records and her signed forms' records (purpose, granted, text version, form
  id, account, device, the hub's time; the form's type, version and the SHA-256 of its
  signature and PDF): the operator bears the burden of proving a consent it relied on
  (152-FZ art. 9 part 3), and a hash proves which document was signed without keeping the
  signature or the document; a withdrawal of every purpose is recorded with them;
- the audit log (ids only).
"""

from __future__ import annotations

import json

from sqlalchemy import Connection

from sync.hub import consents, feed, members
from sync.hub.auth import Account
from sync.hub.errors import Rejected, parse
from sync.hub.storage import sql
from sync.models import CONSENT_PURPOSES, ClientErasePayload, Mutation, utcnow

KEPT = ("id", "store_id", "created_at", "last_visit", "tier", "points_balance", "pending_points", "spend_12m")
"""Fields of a snapshot an erase keeps: no personal data, the loyalty figures are the ledger's."""
ANONYMOUS = {"last_name": "—", "first_name": "—"}


def erase(conn: Connection, m: Mutation, account: Account, device_id: str) -> dict:
    p = parse(ClientErasePayload, m.payload)
    client = members.existing(conn, m.entity_id, account.store_id)
    if client["store_id"] != account.store_id:  # she is only shared into this store: her home store erases
        raise Rejected("unknown_client", "This client is not known to the hub.")
    cid = client["id"]
    # Every purpose withdrawn, on the record the law keeps (not published: she leaves every device).
    answers = {purpose: (False, None) for purpose in CONSENT_PURPOSES}
    source = consents.Source("erase", m, account.id, device_id)
    consents.record(conn, client, answers, source, publish=False)

    sql(conn, "DELETE FROM client_history WHERE client_id = ?", (cid,))
    entries = [r[0] for r in sql(conn, "SELECT entity_id FROM feed WHERE entity = 'diary' AND client_id = ?", (cid,))]
    blobs: set[str] = set()
    for entry_id in entries:
        for (data,) in sql(conn, "SELECT data FROM records WHERE entity = 'diary_rev' AND owner_id = ?", (entry_id,)):
            blobs.update(json.loads(data).get("photos") or ())  # her diary's photos go with it
        sql(conn, "DELETE FROM records WHERE entity = 'diary_rev' AND owner_id = ?", (entry_id,))
    sql(conn, "DELETE FROM records WHERE entity = 'contact' AND owner_id = ?", (cid,))
    sql(conn, "DELETE FROM contact_log WHERE client_id = ?", (cid,))  # the results' copy (sync.hub.outreach)
    for (data,) in sql(conn, "SELECT data FROM records WHERE entity = 'form' AND owner_id = ?", (cid,)):
        form = json.loads(data)
        blobs.update(filter(None, (form.get("signature_sha256"), form.get("pdf_sha256"))))
    for sha in sorted(blobs):
        sql(conn, "DELETE FROM blob_stores WHERE sha256 = ?", (sha,))
        sql(conn, "DELETE FROM blobs WHERE sha256 = ?", (sha,))
    # A waiting link would attach a later till receipt to her and publish it again.
    sql(conn, "DELETE FROM receipt_links WHERE client_id = ? AND receipt_id IS NULL", (cid,))

    live = sql(
        conn, "SELECT entity, entity_id, store_id FROM feed WHERE client_id = ? AND NOT deleted", (cid,)
    ).fetchall()
    feed.publish_many(conn, [(e, i, s, None, True) for e, i, s in live if e != "client"])
    anonymous = {k: client[k] for k in KEPT if k in client} | ANONYMOUS
    members.save(conn, anonymous | {"erased_at": utcnow().isoformat()})  # published as a tombstone
    return {
        "client_id": cid,
        "request_ref": p.request_ref,
        "tombstoned": len(live) + 1,
        "blobs_deleted": len(blobs),
        "diary_entries": len(entries),
    }
