"""Receipts from the tills and their links to clients.

A till's receipt may name its client (phone or card); otherwise it stays unidentified
until a consultant links it (receipt.link), matched by the fiscal triple (fn, i, fp).
A link may arrive before the till's upload: it waits in receipt_links and matches
when the receipt comes. The first link wins; a second is rejected.
"""

from __future__ import annotations

import json
from functools import lru_cache

from pydantic import ValidationError
from sqlalchemy import Connection, func, insert, select, update

from sync.hub import feed, loyalty_service, members
from sync.hub.db import sql
from sync.hub.auth import Account
from sync.hub.errors import Rejected
from sync.hub.schema import accounts, receipt_links, receipts
from sync.models import Mutation, PosReceipt, ReceiptLinkPayload, new_id
from sync.rules.contacts import normalise_phone
from sync.rules.receipts import refusal


def _by_fiscal(conn: Connection, fn: str, i: str, fp: str):
    return conn.execute(
        select(receipts).where(receipts.c.fn == fn, receipts.c.i == i, receipts.c.fp == fp)
    ).first()


def _attach(conn: Connection, receipt: dict, client: dict, linked_by: str | None) -> dict:
    """Tie a stored receipt to a client, run the loyalty rules, publish the result."""
    receipt = {**receipt, "client_id": client["id"], "linked_by": linked_by}
    # Owned first, so the client's figures (12-month spend, tier) count this receipt.
    conn.execute(update(receipts).where(receipts.c.id == receipt["id"]).values(client_id=client["id"]))
    loyalty_service.on_receipt(conn, client, receipt)
    conn.execute(update(receipts).where(receipts.c.id == receipt["id"]).values(data=feed.dumps(receipt)))
    feed.publish(conn, "receipt", receipt["id"], client["store_id"], receipt)
    return receipt


def ingest(conn: Connection, r: PosReceipt) -> dict:
    """Store a till receipt (idempotent by fiscal triple) and link it if its client is known."""
    return ingest_many(conn, [r])[0]


def ingest_many(conn: Connection, batch: list[PosReceipt]) -> list[dict]:
    """`ingest` for each receipt in turn, with the common path in two statements a batch.

    Tills post hundreds of receipts a second, nearly all new and without a client, and on
    PostgreSQL each statement costs ~100 us of psycopg CPU plus a round trip: one multi-row
    INSERT (duplicates skipped, the new ids returned) and one look-up of waiting links
    replace three statements a receipt. The rest runs per receipt, in batch order, as
    before: receipts inserted ahead of their turn have no client yet, so no loyalty
    figure sees them early.
    """
    datas = [{"id": new_id(), **r.model_dump(mode="json", exclude={"client_phone", "client_card"}),
              "client_id": None, "linked_by": None} for r in batch]
    params = [v for r, d in zip(batch, datas) for v in (d["id"], r.store_id, r.fn, r.i, r.fp, feed.dumps(d))]
    new = {row[0] for row in sql(conn, _insert_sql(len(batch)), params).fetchall()}
    links = _waiting_links(conn, [r for r, d in zip(batch, datas) if d["id"] in new])
    out = []
    for r, data in zip(batch, datas):
        if data["id"] in new:
            out.append(_identify(conn, r, data, links.get((r.fn, r.i, r.fp))))
        else:  # known before, or earlier in this batch (then it may have its client by now)
            existing = sql(conn, "SELECT id, client_id FROM receipts WHERE fn = ? AND i = ? AND fp = ?",
                           (r.fn, r.i, r.fp)).fetchone()
            out.append({"receipt_id": existing[0], "client_id": existing[1], "duplicate": True})
    return out


@lru_cache(maxsize=64)
def _insert_sql(n: int) -> str:
    return ("INSERT INTO receipts (id, store_id, fn, i, fp, data) VALUES "
            + ", ".join(["(?, ?, ?, ?, ?, ?)"] * n) + " ON CONFLICT (fn, i, fp) DO NOTHING RETURNING id")


def _waiting_links(conn: Connection, batch: list[PosReceipt]) -> dict[tuple[str, str, str], dict]:
    """Consultants' links that wait for these receipts, by fiscal triple (one statement)."""
    if not batch:
        return {}
    # `fn IN (…) AND i IN (…)` walks the primary key (fn, i, fp) on both databases; a row
    # value `(fn, i, fp) IN (VALUES …)` made SQLite scan the table. Extra rows are dropped.
    fns, nums = sorted({r.fn for r in batch}), sorted({r.i for r in batch})
    wanted = {(r.fn, r.i, r.fp) for r in batch}
    found = sql(conn, "SELECT fn, i, fp, client_id, mutation_id, account_id FROM receipt_links"
                      f" WHERE fn IN ({', '.join('?' * len(fns))}) AND i IN ({', '.join('?' * len(nums))})",
                [*fns, *nums]).fetchall()
    return {(fn, i, fp): {"client_id": c, "mutation_id": mid, "account_id": a, "fn": fn, "i": i, "fp": fp}
            for fn, i, fp, c, mid, a in found if (fn, i, fp) in wanted}


def _identify(conn: Connection, r: PosReceipt, data: dict, link: dict | None) -> dict:
    """A new receipt: find its client (named by the till, or by a waiting link) and attach."""
    client = members.find_by_contact(conn, normalise_phone(r.client_phone), r.client_card)
    linked_by = "till" if client else None
    if client is None and link is not None:
        client = members.load(conn, link["client_id"])
        linked_by = link["account_id"]
    if client is None:
        return {"receipt_id": data["id"], "client_id": None, "duplicate": False}
    data = _attach(conn, data, client, linked_by)
    if link is not None:
        conn.execute(update(receipt_links).where(receipt_links.c.mutation_id == link["mutation_id"])
                     .values(receipt_id=data["id"]))
        # The link belongs to the store of the client it named, whoever the till named.
        linked = members.load(conn, link["client_id"]) or client
        _publish_link(conn, link | {"receipt_id": data["id"]}, linked["store_id"],
                      "matched" if link["client_id"] == client["id"] else "rejected")
    return {"receipt_id": data["id"], "client_id": client["id"], "duplicate": False}


def _publish_link(conn: Connection, link: dict, store_id: str, state: str) -> None:
    data = {"id": link["mutation_id"], "fn": link["fn"], "i": link["i"], "fp": link["fp"],
            "client_id": link["client_id"], "receipt_id": link.get("receipt_id"), "state": state}
    feed.publish(conn, "link", link["mutation_id"], store_id, data)


def link(conn: Connection, m: Mutation, account: Account) -> dict:
    try:
        p = ReceiptLinkPayload.model_validate(m.payload)
    except ValidationError as e:
        raise Rejected("invalid_payload", members.describe(e)) from None
    if (why := refusal(p.n)) is not None:
        raise Rejected("not_a_sale", why)
    client = members.load(conn, p.client_id)
    if client is None:
        raise Rejected("unknown_client", "This client is not known to the hub.")
    row = _by_fiscal(conn, p.fn, p.i, p.fp)
    link_row = {"fn": p.fn, "i": p.i, "fp": p.fp, "client_id": p.client_id, "mutation_id": m.id}
    if row is not None:
        if row.client_id is not None and row.client_id != p.client_id:
            raise Rejected("receipt_taken", "This receipt is already linked to another client.")
        already = row.client_id == p.client_id
        if not already:
            _attach(conn, json.loads(row.data), client, account.id)
        _publish_link(conn, {**link_row, "receipt_id": row.id}, client["store_id"], "matched")
        return {"state": "matched", "receipt_id": row.id, "already": already}
    waiting = conn.execute(select(receipt_links).where(
        receipt_links.c.fn == p.fn, receipt_links.c.i == p.i, receipt_links.c.fp == p.fp)).first()
    if waiting is not None:
        if waiting.client_id == p.client_id:
            return {"state": "waiting", "already": True}
        raise Rejected("receipt_taken", "This receipt is already linked to another client.")
    values = {"fn": p.fn, "i": p.i, "fp": p.fp, "client_id": p.client_id, "mutation_id": m.id,
              "account_id": account.id, "at": m.client_time.isoformat(), "receipt_id": None}
    conn.execute(insert(receipt_links).values(values))
    _publish_link(conn, values, client["store_id"], "waiting")
    return {"state": "waiting"}


def identified_share(conn: Connection) -> list[dict]:
    """Share of sale receipts linked to a client, per store and per consultant who linked them."""
    by_store = conn.execute(
        select(receipts.c.store_id, func.count(), func.count(receipts.c.client_id))
        .group_by(receipts.c.store_id)
    ).all()
    out = [{"store_id": s, "receipts": n, "identified": k, "share": round(k / n, 4) if n else 0.0}
           for s, n, k in by_store]
    names = dict(conn.execute(select(accounts.c.id, accounts.c.name)).all())
    links = conn.execute(
        select(receipt_links.c.account_id, func.count(), func.count(receipt_links.c.receipt_id))
        .group_by(receipt_links.c.account_id)
    ).all()
    for account_id, n, matched in links:
        out.append({"consultant_id": account_id, "consultant": names.get(account_id), "links": n,
                    "matched": matched})
    return out
