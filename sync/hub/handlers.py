"""The hub's use cases: each sequences the domain modules inside one write transaction.

members, loyalty_service, receipts and records never call each other; what one step
needs from another (a client's store, a receipt's points, a client's figures) is
fetched and handed over here. Mutation handlers share one signature (sync.hub.mutations
runs them exactly once); till receipts and the expiry job are sequenced here too.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Connection

from sync.hub import clock, consents, diary_tags, duplicates, loyalty_service, members, receipts, records
from sync.hub.auth import MANAGER, Account
from sync.hub.errors import Rejected, parse
from sync.hub.storage import HubDB
from sync.models import (
    ClientViewedPayload,
    ConsentRecordPayload,
    ContactPayload,
    FormSignPayload,
    Mutation,
    PointsDeductPayload,
    PointsGrantPayload,
    PosReceipt,
)
from sync.rules.contacts import normalise_phone

# --- mutations: (conn, mutation, account, device id) -> result ---------------------------
# Each works only on clients of the account's store (members.existing answers a foreign
# client like an unknown one); which roles may send each kind is sync.hub.mutations'.


def register(conn: Connection, m: Mutation, account: Account, device_id: str) -> dict:
    duplicates.lock_contacts(conn, m.payload)  # names before rows (storage.locks)
    client = members.registration(conn, m, account.store_id)
    if client.get("consents"):  # recorded as consents, dated by the hub (sync.hub.consents)
        source = consents.Source("register", m, account.id, device_id)
        client["consents"] = consents.record(
            conn, client | {"consents": {}}, consents.from_profile({}, client["consents"]), source
        )
    welcome, figures, summary = loyalty_service.enroll(client, m.client_time)
    members.save(conn, {**client, **figures}, new=True)  # the client row, written once
    loyalty_service.append(conn, client, welcome)
    loyalty_service.publish_account(conn, client, summary)
    now = clock.now()
    code = m.payload.get("referral_code")
    link, notes = loyalty_service.register_referral(conn, client["id"], code if isinstance(code, str) else None, now)
    loyalty_service.code_for(conn, client["id"], "client", client["store_id"])
    if link is not None:  # her account shows the newcomer's discount
        refresh_figures(conn, {**client, **figures}, now)
    else:
        loyalty_service.schedule_next(conn, client, now)
    out: dict = {"client_id": m.entity_id}
    if code:
        out["referral"] = {"accepted": link is not None, "notes": notes}
    # Both kept: two tablets may have registered her offline; a manager merges the pair.
    flagged = duplicates.flag(conn, client, account.brand_id)
    if flagged:
        out["duplicates"] = len(flagged)
    return out


def update(conn: Connection, m: Mutation, account: Account, device_id: str) -> dict:
    fields = m.payload.get("fields")
    # Who looks after a client is the manager's call (client.assign), not a profile edit.
    if isinstance(fields, dict) and "consultant_id" in fields and account.role != MANAGER:
        current = members.existing(conn, m.entity_id, account.store_id)
        if fields["consultant_id"] != current.get("consultant_id"):
            raise Rejected("forbidden", "Only a manager gives a client to another consultant.")
    if isinstance(fields, dict) and "consents" in fields:  # a profile toggle: a consent record
        current = members.existing(conn, m.entity_id, account.store_id)
        answers = consents.from_profile(current, fields["consents"])
        recorded = consents.record(conn, current, answers, consents.Source("profile", m, account.id, device_id))
        m = m.model_copy(update={"payload": {**m.payload, "fields": {**fields, "consents": recorded}}})
    return members.update_fields(conn, m, device_id, account.store_id, account.id, account.name)


def diary(conn: Connection, m: Mutation, account: Account, device_id: str) -> dict:
    tags = diary_tags.brand_tags(conn, account.brand_id)  # the only tags an entry may carry
    if m.kind != "diary.add":  # revise, delete: the entry knows its client and store
        return records.change_entry(conn, m, account, tags)
    p = records.new_entry(conn, m)
    store_id = members.existing(conn, p.client_id, account.store_id)["store_id"]
    return records.add_entry(conn, m, account, p, store_id, tags)


def contact(conn: Connection, m: Mutation, account: Account, device_id: str) -> dict:
    p = parse(ContactPayload, m.payload)
    client = members.existing(conn, p.client_id, account.store_id)
    out = records.contact(conn, m, account, p, client["store_id"])
    if p.channel == "visit":  # a visit to the boutique is a visit, bought or not
        _visited(conn, client, p.at or m.client_time)
    return out


def _visited(conn: Connection, client: dict, at: dt.datetime) -> None:
    """Move the client's last_visit forward to the local date of `at` (never back)."""
    day = at.astimezone(loyalty_service.program().tz).date().isoformat()
    if not client.get("last_visit") or client["last_visit"] < day:
        members.set_figures(conn, client, {"last_visit": day})


def grant_points(conn: Connection, m: Mutation, account: Account, device_id: str) -> dict:
    """points.grant: promotional points, fast-burning; the mutation id makes it once only."""
    p = parse(PointsGrantPayload, m.payload)
    client = members.existing(conn, p.client_id, account.store_id)
    now = clock.now()
    life = f"{p.expire_days} days" if p.expire_days else None
    entry = loyalty_service.grant(client, m.entity_id, p.points, now, p.reason, life)
    loyalty_service.append(conn, client, [entry])
    refresh_figures(conn, client, now)
    return {"entry_id": entry.id, "points": p.points, "expires_at": entry.expires_at and entry.expires_at.isoformat()}


def deduct_points(conn: Connection, m: Mutation, account: Account, device_id: str) -> dict:
    """points.deduct: take available points (soonest-expiring first) with a reason."""
    p = parse(PointsDeductPayload, m.payload)
    client = members.existing(conn, p.client_id, account.store_id)
    now = clock.now()
    try:
        new = loyalty_service.deduct(conn, client, m.entity_id, p.points, now, p.reason)
    except ValueError as e:
        raise Rejected("not_enough_points", str(e)) from None
    loyalty_service.append(conn, client, new)
    refresh_figures(conn, client, now)
    return {"entry_ids": [e.id for e in new], "points": p.points}


def form(conn: Connection, m: Mutation, account: Account, device_id: str) -> dict:
    p = parse(FormSignPayload, m.payload)
    client = members.existing(conn, p.client_id, account.store_id)
    out = records.form(conn, m, account, p, client["store_id"])
    if p.consents:
        source = consents.Source("form", m, account.id, device_id, form_id=m.entity_id)
        _save_consents(conn, client, consents.from_terms(p.consent_terms()), source)
    return out


def consent(conn: Connection, m: Mutation, account: Account, device_id: str) -> dict:
    p = parse(ConsentRecordPayload, m.payload)
    client = members.existing(conn, p.client_id, account.store_id)
    source = consents.Source("consent", m, account.id, device_id, form_id=p.form_id)
    state = _save_consents(conn, client, consents.from_terms(p.consents), source)
    return {"consents": sorted(p.consents), "state": state}


def _save_consents(conn: Connection, client: dict, answers: consents.Answers, source: consents.Source) -> dict:
    state = consents.record(conn, client, answers, source)
    members.save(conn, {**client, "consents": state})
    return state


def viewed(conn: Connection, m: Mutation, account: Account, device_id: str) -> dict:
    """client.viewed changes nothing: it is applied to be audited (sync.hub.audit)."""
    parse(ClientViewedPayload, m.payload)
    members.existing(conn, m.entity_id, account.store_id)
    return {}


def link_receipt(conn: Connection, m: Mutation, account: Account, device_id: str) -> dict:
    p = receipts.link_request(m)
    receipts.lock_fiscal(conn, [(p.fn, p.i, p.fp)])  # names before rows (storage.locks)
    client = members.existing(conn, p.client_id, account.store_id)
    row = receipts.by_fiscal(conn, p.fn, p.i, p.fp)
    if row is None:
        return receipts.link_waiting(conn, m, account, p, client["store_id"])
    already = receipts.claim(row, p.client_id)
    data = json.loads(row.data)
    if not already:
        _attach(conn, data, client, account.id)
    receipts.link_matched(conn, m, p, data, client["store_id"])
    return {"state": "matched", "receipt_id": row.id, "already": already}


# --- till receipts ------------------------------------------------------------------------


def ingest_receipts(conn: Connection, batch: list[PosReceipt]) -> list[dict]:
    """Store till receipts (idempotent by fiscal triple), each tied to its client when known.

    The new ones are inserted in one statement (receipts.store_new); the rest runs per
    receipt, in batch order: receipts inserted ahead of their turn have no client yet, so
    no loyalty figure sees them early.
    """
    receipts.lock_fiscal(conn, [(r.fn, r.i, r.fp) for r in batch])  # before any client's row (storage.locks)
    datas, new = receipts.store_new(conn, batch)
    fresh = [r for r, d in zip(batch, datas, strict=True) if d["id"] in new]
    links = receipts.waiting_links(conn, fresh)
    for store_id in {r.store_id for r in fresh}:  # one store: a till posts only its own
        mine = [r for r in fresh if r.store_id == store_id]
        members.lock_named(
            conn,
            store_id,
            [p for r in mine if (p := normalise_phone(r.client_phone))],
            [r.client_card for r in mine if r.client_card],
            [link["client_id"] for link in links.values()],
        )
    out = []
    for r, data in zip(batch, datas, strict=True):
        if data["id"] in new:
            out.append(_identify(conn, r, data, links.get((r.fn, r.i, r.fp))))
        else:  # known before, or earlier in this batch (then it may have its client by now)
            out.append(receipts.known(conn, r))
    return out


def _identify(conn: Connection, r: PosReceipt, data: dict, link: dict | None) -> dict:
    """A new receipt: find its client (named by the till, or by a waiting link) and attach."""
    client = members.find_by_contact(conn, r.store_id, normalise_phone(r.client_phone), r.client_card)
    linked_by = "till" if client else None
    if client is None and link is not None:
        client = members.load(conn, link["client_id"])
        linked_by = link["account_id"]
    if client is None:
        return {"receipt_id": data["id"], "client_id": None, "duplicate": False}
    data = _attach(conn, data, client, linked_by)
    if link is not None:
        receipts.close_link(conn, link, data["id"])
        # The link belongs to the store of the client it named, whoever the till named.
        linked = members.load(conn, link["client_id"]) or client
        receipts.publish_link(
            conn,
            link | {"receipt_id": data["id"], "s": data.get("total"), "t": data.get("at")},
            linked["store_id"],
            "matched" if link["client_id"] == client["id"] else "rejected",
        )
    return {"receipt_id": data["id"], "client_id": client["id"], "duplicate": False}


def _attach(
    conn: Connection, receipt: dict, client: dict, linked_by: str | None, now: dt.datetime | None = None
) -> dict:
    """Tie a stored receipt to a client, run the loyalty rules, publish the result."""
    receipt = receipts.own(conn, receipt, client, linked_by)
    now = now or clock.now()
    loyalty_service.on_receipt(conn, client, receipt, now)
    extra = {}
    if receipt.get("type") == 1 and receipt.get("at"):  # a purchase is a visit (a return is not)
        at = dt.datetime.fromisoformat(receipt["at"])
        day = at.astimezone(loyalty_service.program().tz).date().isoformat()
        if not client.get("last_visit") or client["last_visit"] < day:
            extra["last_visit"] = day
    refresh_figures(conn, client, now, extra=extra)
    receipts.publish(conn, receipt, client["store_id"])
    return receipt


def refresh_figures(
    conn: Connection, client: dict, now: dt.datetime, *, tried: bool = False, extra: dict | None = None
) -> None:
    """The client's figures from its ledger and receipts, into its snapshot and account,
    and when they next change by time alone (sync.hub.schedule). `extra`: other hub-owned
    fields to save with them (last_visit)."""
    figures, summary = loyalty_service.refresh(conn, client, now, tried=tried)
    figures.update(extra or {})
    members.set_figures(conn, client, figures)
    loyalty_service.publish_account(conn, client, summary)


# --- scheduled job ------------------------------------------------------------------------


def expire_points(db: HubDB, now: dt.datetime | None = None) -> int:
    """Expire what is left of every bucket whose time has come since the last run.

    Visible as ledger entries of kind "expiry"; one transaction per client. Returns how
    many entries were written.
    """
    now = now or clock.now()
    with db.read() as conn:
        due = loyalty_service.due_for_expiry(conn, now)
    written = 0
    for client_id in due:
        with db.write() as conn:
            client = members.load(conn, client_id)
            if client is None:
                continue
            new = loyalty_service.expiry(conn, client_id, now)
            if new:
                loyalty_service.append(conn, client, new)
                written += len(new)
                refresh_figures(conn, client, now)
    with db.write() as conn:
        loyalty_service.record_expiry_run(conn, now)
    return written
