"""Where the hub's storage meets the loyalty rules: ledger rows in, figures out.

The rules live in sync.hub.loyalty (pure functions over a program file). This module
loads a client's ledger and receipts, asks the rules for new entries, appends them
(append-only; entry ids are deterministic, so a replay adds nothing), and publishes the
client's figures: the hub-owned fields of the client snapshot (stored by
members.set_figures, which the handlers call with `figures()`) and an "account" entity
with the whole summary the profile screen shows.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable
from functools import lru_cache

from sqlalchemy import Connection, insert, select

from sync.hub import feed
from sync.hub import loyalty as rules
from sync.hub.storage import schema, sql
from sync.models import utcnow
from sync.rules import counter

PROGRAM_ENV = "VITRINE_PROGRAM"


@lru_cache(maxsize=4)
def _load(name: str) -> rules.Program:
    return rules.builtin_program(name) if name in rules.BUILTIN_PROGRAMS else rules.load_program(name)


def program() -> rules.Program:
    """The brand's program: a built-in name or a TOML path, from VITRINE_PROGRAM."""
    return _load(os.environ.get(PROGRAM_ENV, "dboutique"))


def _utc_key(t: dt.datetime | None) -> str | None:
    return None if t is None else t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


# --- storage --------------------------------------------------------------------------


def _in_order(entries: Iterable[rules.LedgerEntry]) -> list[rules.LedgerEntry]:
    return sorted(entries, key=lambda e: (e.at, e.id))


def entries(conn: Connection, client_id: str) -> list[rules.LedgerEntry]:
    ledger = schema.ledger
    rows = conn.execute(select(ledger.c.data).where(ledger.c.client_id == client_id)).all()
    return _in_order(rules.LedgerEntry.model_validate_json(r.data) for r in rows)


def history(conn: Connection, client_id: str, exclude: str | None = None) -> list[rules.Receipt]:
    receipts = schema.receipts
    rows = conn.execute(select(receipts.c.id, receipts.c.data).where(receipts.c.client_id == client_id)).all()
    out = []
    for r in rows:
        if r.id == exclude:
            continue
        data = json.loads(r.data)
        if data.get("type") in (1, 2):
            out.append(to_receipt(data))
    return sorted(out, key=lambda x: x.at)


def to_receipt(data: dict) -> rules.Receipt:
    return rules.receipt_from_record({**data, "redeem_points": data.get("redeem_points", 0)})


def ledger_rows(client_id: str, new: Iterable[rules.LedgerEntry]) -> list[dict]:
    return [
        {
            "id": e.id,
            "client_id": client_id,
            "data": e.model_dump_json(),
            "expires_at": _utc_key(e.expires_at) if e.is_bucket else None,
        }
        for e in new
    ]


def append(conn: Connection, client: dict, new: list[rules.LedgerEntry]) -> None:
    """Append entries the ledger does not hold yet, and publish them."""
    if not new:
        return
    ledger = schema.ledger
    known = {r.id for r in conn.execute(select(ledger.c.id).where(ledger.c.id.in_([e.id for e in new])))}
    fresh = [e for e in new if e.id not in known]
    if fresh:
        conn.execute(insert(ledger), ledger_rows(client["id"], fresh))
        feed.publish_many(conn, [("ledger", e.id, client["store_id"], e.model_dump(mode="json"), False) for e in fresh])


# --- events ---------------------------------------------------------------------------


def member(client: dict) -> rules.Member:
    born = client.get("birthday")
    return rules.Member(
        id=client["id"], registered_at=client.get("created_at"), birthday=dt.date.fromisoformat(born) if born else None
    )


def enroll(client: dict, at: dt.datetime) -> tuple[list[rules.LedgerEntry], dict, dict]:
    """A new member's welcome entries, client figures and account entity (pure: a client
    being registered has no ledger and no receipts yet). The handler stores the client
    with its figures once, then `append`s the entries and publishes the account."""
    new = list(rules.on_register(program(), client["id"], at).entries)
    figures, data = account(client["id"], _in_order(new), [], utcnow(), client.get("birthday"))
    return new, figures, data


def on_receipt(conn: Connection, client: dict, receipt: dict, now: dt.datetime | None = None) -> None:
    """A receipt just tied to `client`: accrue and redeem (sale) or reverse (return).

    Fills the receipt's points in place; the handler then refreshes the figures."""
    now = now or utcnow()
    prog = program()
    ledger_now = entries(conn, client["id"])
    past = history(conn, client["id"], exclude=receipt["id"])
    r = to_receipt(receipt)
    if r.kind == "sale":
        res = rules.on_purchase(prog, member(client), ledger_now, past, r, now)
        receipt["points_earned"] = res.accrual
        receipt["points_spent"] = res.applied_redemption
        append(conn, client, res.entries)
    else:
        original = _original_of(past, receipt)
        if original is not None:
            prior = [x for x in past if x.kind == "return" and x.refers_to == original.id]
            ret = rules.on_return(prog, ledger_now, original, r, now, prior)
            receipt["points_earned"] = -ret.reversed_points
            receipt["points_spent"] = -ret.restored_points
            append(conn, client, ret.entries)


def _original_of(past: list[rules.Receipt], receipt: dict) -> rules.Receipt | None:
    """The sale a return reverses: named by the till, else the latest sale with its items."""
    ref = receipt.get("refers_to")
    sales = [x for x in past if x.kind == "sale"]
    if ref:
        for x in sales:
            if (x.fn, x.i, x.fp) == (ref["fn"], ref["i"], ref["fp"]):
                return x
    skus = {line["sku"] for line in receipt.get("lines", [])}
    for x in reversed(sales):
        if skus and skus <= {line.sku for line in x.lines}:
            return x
    return None


# --- figures --------------------------------------------------------------------------


def account(
    client_id: str,
    ledger_now: list[rules.LedgerEntry],
    past: list[rules.Receipt],
    now: dt.datetime,
    birthday: str | None = None,
) -> tuple[dict, dict]:
    """(client figures, account entity) from a ledger and receipts (pure)."""
    prog = program()
    s = rules.summary(prog, ledger_now, past, now, birthday=dt.date.fromisoformat(birthday) if birthday else None)
    threshold = next((t.min_spend_kopecks for t in prog.tiers if t.name == s.next_tier), None) if s.next_tier else None
    progress = min(1.0, s.spend_12m / threshold) if threshold else 1.0
    figures = {"tier": s.tier, "points_balance": s.balance, "pending_points": s.pending_total, "spend_12m": s.spend_12m}
    data = {
        "id": client_id,
        "client_id": client_id,
        "as_of": now.isoformat(),
        "program": prog.name,
        "tier": s.tier,
        "tier_percent": str(s.tier_percent),
        "benefits": s.tier_benefits,
        "balance": s.balance,
        "pending_total": s.pending_total,
        "pending": [{"points": p.points, "at": p.at.isoformat()} for p in s.pending],
        "expiring": [{"points": p.points, "at": p.at.isoformat()} for p in s.expiring],
        "spend_12m": s.spend_12m,
        "next_tier": s.next_tier,
        "to_next_tier": s.to_next_tier,
        "next_tier_by": s.next_tier_deadline.isoformat() if s.next_tier_deadline else None,
        "progress": round(progress, 4),
        "max_redeem_percent": str(s.max_redeem_percent),
        "campaigns": s.campaigns,
        "counter": counter_rules(prog, s.tier, now).to_data(),
    }
    return figures, data


def counter_rules(prog: rules.Program, tier: str, at: dt.datetime) -> counter.CounterRules:
    """The program's caps and her accrual as of `at` (sync.rules.counter): the hub quotes
    with them, and publishes them in the account so the device can quote offline."""
    r, a = prog.redemption, prog.accrual
    multipliers = prog.active_campaigns(at, "multiplier", tier)
    return counter.CounterRules(
        point_value_kopecks=prog.point_value_kopecks,
        max_percent=r.max_percent,
        redeem_sale_items=r.sale_items,
        cap_includes_discounts=r.cap_includes_discounts,
        accrue_sale_items=a.sale_items,
        accrue_on_points_paid=a.on_points_paid,
        tier_percent=prog.tier(tier).accrual_percent,
        extra_percents=tuple(c.percent for c in prog.active_campaigns(at, "extra_percent", tier)),
        multiplier=max(c.factor for c in multipliers) if multipliers else None,
    )


def figures(conn: Connection, client: dict, now: dt.datetime | None = None) -> tuple[dict, dict]:
    """(client figures, account entity) from the client's stored ledger and receipts."""
    return account(
        client["id"], entries(conn, client["id"]), history(conn, client["id"]), now or utcnow(), client.get("birthday")
    )


def publish_account(conn: Connection, client: dict, data: dict) -> None:
    feed.publish(conn, "account", client["id"], client["store_id"], data)


# --- scheduled job (run by handlers.expire_points) -----------------------------------


def due_for_expiry(conn: Connection, now: dt.datetime) -> list[str]:
    """Clients with a bucket whose expiry came since the last run."""
    hub_state, ledger = schema.hub_state, schema.ledger
    last = conn.execute(select(hub_state.c.value).where(hub_state.c.key == "expiry_run")).scalar_one_or_none()
    return [
        r.client_id
        for r in conn.execute(
            select(ledger.c.client_id)
            .distinct()
            .where(ledger.c.expires_at <= _utc_key(now), ledger.c.expires_at > (last or ""))
        )
    ]


def expiry(conn: Connection, client_id: str, now: dt.datetime) -> list[rules.LedgerEntry]:
    """The expiry entries due for a client by `now` (not appended yet)."""
    return rules.run_expiry(program(), entries(conn, client_id), now)


def record_expiry_run(conn: Connection, now: dt.datetime) -> None:
    # One upsert: every worker runs the job, and two that deleted and inserted the key at
    # once (PostgreSQL) failed the second's insert on it.
    sql(
        conn,
        "INSERT INTO hub_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        ("expiry_run", _utc_key(now)),
    )
