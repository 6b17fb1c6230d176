"""Receipts from the tills and their links to clients.

A till's receipt may name its client (phone or card); otherwise it stays unidentified
until a consultant links it (receipt.link), matched by the fiscal triple (fn, i, fp).
A link may arrive before the till's upload: it waits in receipt_links and matches
when the receipt comes. The first link wins; a second is rejected.

This module stores and publishes receipts and links; finding a receipt's client and
running the loyalty rules on it is sequenced by the handlers (sync.hub.handlers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import Connection, update

from sync.hub import feed
from sync.hub.auth import Account
from sync.hub.errors import Rejected, parse
from sync.hub.storage import for_update, lock_names, schema, sql
from sync.models import Mutation, PosReceipt, ReceiptLinkPayload, new_id
from sync.rules.receipts import refusal

# Bounds on a till's receipt time, against the hub's clock (the till's own clock is not
# trusted; a receipt's time sets when its points mature and expire).
TILL_CLOCK_AHEAD = dt.timedelta(days=1)
"""A till clock a few hours wrong or in another time zone still posts; a receipt dated
further ahead is a typo or a forgery (its points would mature and expire late)."""
TILL_OLDEST = dt.timedelta(days=3 * 366)
"""A till that was offline uploads its backlog late, but a fiscal drive (ФН) lives at most
36 months: nothing older can come from a working till. Older history is imported by an
admin on the hub (csv_import), which these bounds do not limit."""


def till_refusals(batch: list[PosReceipt], store_id: str, now: dt.datetime) -> tuple[list[int], list[dict]]:
    """What a till of `store_id` may not post from `batch`: (indexes of other stores'
    receipts, [{"index", "reason"}] of receipts dated out of bounds). Amounts are bounded
    by the model (sync.models.MAX_RECEIPT_TOTAL, MAX_REDEEM_POINTS)."""
    foreign = [k for k, r in enumerate(batch) if r.store_id != store_id]
    out_of_bounds = []
    for k, r in enumerate(batch):
        at = r.at if r.at.tzinfo else r.at.replace(tzinfo=dt.UTC)
        if at > now + TILL_CLOCK_AHEAD:
            out_of_bounds.append({"index": k, "reason": "dated more than a day ahead of the hub's clock"})
        elif at < now - TILL_OLDEST:
            out_of_bounds.append({"index": k, "reason": "older than a fiscal drive lives (3 years)"})
    return foreign, out_of_bounds


def utc_key(t: dt.datetime | str | None) -> str | None:
    """A receipt time as the `receipts.at` column holds it: UTC "YYYY-MM-DDTHH:MM:SS" (a
    naive time is taken as UTC, as the till's model does)."""
    if t is None or t == "":
        return None
    if isinstance(t, str):
        t = dt.datetime.fromisoformat(t)
    return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


class Stored(NamedTuple):
    id: str
    client_id: str | None
    data: str  # the snapshot as JSON


def lock_fiscal(conn: Connection, keys: Iterable[tuple[str, str, str]]) -> None:
    """Take the receipts' fiscal triples in turn with anyone else's transaction on them
    (storage.lock_names), before their rows exist: a till's upload and a consultant's link
    of the same receipt at once would otherwise each miss the other (the link waiting for
    a receipt that was stored without it, for good)."""
    lock_names(conn, (f"receipt {fn}/{i}/{fp}" for fn, i, fp in keys))


def by_fiscal(conn: Connection, fn: str, i: str, fp: str) -> Stored | None:
    """The stored receipt, its row locked (storage.locks): of two links to one receipt
    made at once, the second waits for the first and sees its claim."""
    row = sql(
        conn,
        for_update(conn, "SELECT id, client_id, data FROM receipts WHERE fn = ? AND i = ? AND fp = ?"),
        (fn, i, fp),
    ).fetchone()
    return None if row is None else Stored(*row)


def own(conn: Connection, receipt: dict, client: dict, linked_by: str | None) -> dict:
    """Give a stored receipt its client: first, so the client's figures count it."""
    receipt = {**receipt, "client_id": client["id"], "linked_by": linked_by}
    receipts = schema.receipts
    conn.execute(
        update(receipts).where(receipts.c.id == receipt["id"]).values(client_id=client["id"], linked_by=linked_by)
    )
    return receipt


def publish(conn: Connection, receipt: dict, store_id: str) -> None:
    """Store a receipt's final snapshot (with its points) and publish it."""
    receipts = schema.receipts
    conn.execute(update(receipts).where(receipts.c.id == receipt["id"]).values(data=feed.dumps(receipt)))
    feed.publish(conn, "receipt", receipt["id"], store_id, receipt)


def store_new(conn: Connection, batch: list[PosReceipt]) -> tuple[list[dict], set[str]]:
    """Insert a batch of till receipts, skipping those known by fiscal triple:
    (each receipt's snapshot as stored, the ids of those inserted).

    Tills post hundreds of receipts a second, nearly all new and without a client, and on
    PostgreSQL each statement costs ~100 us of psycopg CPU plus a round trip: one multi-row
    INSERT (duplicates skipped, the new ids returned) and one look-up of waiting links
    (`waiting_links`) replace three statements a receipt.
    """
    datas = [
        {
            "id": new_id(),
            **r.model_dump(mode="json", exclude={"client_phone", "client_card"}),
            "client_id": None,
            "linked_by": None,
        }
        for r in batch
    ]
    params = [
        v
        for r, d in zip(batch, datas, strict=True)
        for v in (d["id"], r.store_id, r.fn, r.i, r.fp, feed.dumps(d), utc_key(r.at), r.type, r.cashier)
    ]
    new = {row[0] for row in sql(conn, _insert_sql(len(batch)), params).fetchall()}
    return datas, new


def known(conn: Connection, r: PosReceipt) -> dict:
    """The ingestion result of a receipt stored before (its client may be known by now)."""
    existing = sql(
        conn, "SELECT id, client_id FROM receipts WHERE fn = ? AND i = ? AND fp = ?", (r.fn, r.i, r.fp)
    ).fetchone()
    return {"receipt_id": existing[0], "client_id": existing[1], "duplicate": True}


@lru_cache(maxsize=64)
def _insert_sql(n: int) -> str:
    return (
        "INSERT INTO receipts (id, store_id, fn, i, fp, data, at, kind, cashier) VALUES "
        + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?)"] * n)
        + " ON CONFLICT (fn, i, fp) DO NOTHING RETURNING id"
    )


def waiting_links(conn: Connection, batch: list[PosReceipt]) -> dict[tuple[str, str, str], dict]:
    """Consultants' links that wait for these receipts, by fiscal triple (one statement)."""
    if not batch:
        return {}
    # `fn IN (…) AND i IN (…)` walks the primary key (fn, i, fp) on both databases; a row
    # value `(fn, i, fp) IN (VALUES …)` made SQLite scan the table. Extra rows are dropped.
    fns, nums = sorted({r.fn for r in batch}), sorted({r.i for r in batch})
    wanted = {(r.fn, r.i, r.fp) for r in batch}
    found = sql(
        conn,
        "SELECT fn, i, fp, client_id, mutation_id, account_id, at FROM receipt_links"
        f" WHERE fn IN ({', '.join('?' * len(fns))}) AND i IN ({', '.join('?' * len(nums))})",
        [*fns, *nums],
    ).fetchall()
    return {
        (fn, i, fp): {"client_id": c, "mutation_id": mid, "account_id": a, "fn": fn, "i": i, "fp": fp, "at": at}
        for fn, i, fp, c, mid, a, at in found
        if (fn, i, fp) in wanted
    }


def close_link(conn: Connection, link: dict, receipt_id: str) -> None:
    """A waiting link found its receipt (published by `publish_link`, matched or rejected)."""
    receipt_links = schema.receipt_links
    conn.execute(
        update(receipt_links).where(receipt_links.c.mutation_id == link["mutation_id"]).values(receipt_id=receipt_id)
    )


def publish_link(conn: Connection, link: dict, store_id: str, state: str) -> None:
    """A link as devices see it. `at` (when it was made), `s` and `t` (the receipt's sum and
    time) let any device name the receipt and who holds it (None when not known)."""
    data = {
        "id": link["mutation_id"],
        "fn": link["fn"],
        "i": link["i"],
        "fp": link["fp"],
        "client_id": link["client_id"],
        "receipt_id": link.get("receipt_id"),
        "state": state,
        "at": link.get("at"),
        "s": link.get("s"),
        "t": link.get("t"),
    }
    feed.publish(conn, "link", link["mutation_id"], store_id, data)


def link_request(m: Mutation) -> ReceiptLinkPayload:
    """A receipt.link mutation's payload; only sales and returns link to clients."""
    p = parse(ReceiptLinkPayload, m.payload)
    if (why := refusal(p.n)) is not None:
        raise Rejected("not_a_sale", why)
    return p


def claim(row: Stored, client_id: str) -> bool:
    """Whether the stored receipt `row` is already this client's; Rejected when another's."""
    if row.client_id is not None and row.client_id != client_id:
        raise Rejected("receipt_taken", "This receipt is already linked to another client.")
    return row.client_id == client_id


def link_matched(conn: Connection, m: Mutation, p: ReceiptLinkPayload, receipt: dict, store_id: str) -> None:
    """`receipt`: the till's copy, whose sum and time are the ones that count."""
    link = {
        "fn": p.fn,
        "i": p.i,
        "fp": p.fp,
        "client_id": p.client_id,
        "mutation_id": m.id,
        "at": m.client_time.isoformat(),
        "s": receipt.get("total"),
        "t": receipt.get("at"),
    }
    publish_link(conn, {**link, "receipt_id": receipt["id"]}, store_id, "matched")


def link_waiting(conn: Connection, m: Mutation, account: Account, p: ReceiptLinkPayload, store_id: str) -> dict:
    """A link to a receipt the till has not uploaded yet: it waits for the receipt."""
    values = {
        "fn": p.fn,
        "i": p.i,
        "fp": p.fp,
        "client_id": p.client_id,
        "mutation_id": m.id,
        "account_id": account.id,
        "at": m.client_time.isoformat(),
        "receipt_id": None,
    }
    # Inserted unless a link waits already: two links made at once (several workers on
    # PostgreSQL) both saw none, and the second's plain INSERT failed on the key; this one
    # waits for the first to commit, then reads it.
    inserted = sql(
        conn,
        "INSERT INTO receipt_links (fn, i, fp, client_id, mutation_id, account_id, at, receipt_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (fn, i, fp) DO NOTHING RETURNING mutation_id",
        tuple(values.values()),
    ).fetchone()
    if inserted is None:
        waiting = sql(
            conn, "SELECT client_id FROM receipt_links WHERE fn = ? AND i = ? AND fp = ?", (p.fn, p.i, p.fp)
        ).fetchone()
        if waiting is not None and waiting[0] == p.client_id:
            return {"state": "waiting", "already": True}
        raise Rejected("receipt_taken", "This receipt is already linked to another client.")
    publish_link(conn, {**values, "s": p.s, "t": p.t.isoformat() if p.t else None}, store_id, "waiting")
    return {"state": "waiting"}
