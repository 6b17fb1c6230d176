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
from typing import Literal

from sqlalchemy import Connection, delete, insert, select

from sync.hub import clock, feed
from sync.hub import loyalty as rules
from sync.hub.storage import row_locks, schema, sql
from sync.rules import counter

PROGRAM_ENV = "VITRINE_PROGRAM"


@lru_cache(maxsize=4)
def _load(name: str) -> rules.Program:
    return rules.builtin_program(name) if name in rules.BUILTIN_PROGRAMS else rules.load_program(name)


def program() -> rules.Program:
    """The brand's program: a built-in name or a TOML path, from VITRINE_PROGRAM."""
    return _load(os.environ.get(PROGRAM_ENV, "dboutique"))


_NEXT = dt.timedelta(microseconds=1)
"""The newcomer's discount shown is for her next purchase: one after `now`, so a purchase
made at `now` has used it."""


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
    datas = [json.loads(r.data) for r in rows if r.id != exclude]
    sales = [to_receipt(d) for d in datas if d.get("type") == 1]
    returns = [to_receipt(d, _original_of(sales, d)) for d in datas if d.get("type") == 2]
    return sorted([*sales, *returns], key=lambda x: x.at)


def to_receipt(data: dict, original: rules.Receipt | None = None) -> rules.Receipt:
    """The rules' Receipt of a stored receipt. A return names its sale by fiscal key
    (or not at all); the rules want the sale's id: `original`, found by the caller. A
    return whose sale the hub does not hold counts on its own date (rules.spend_in_window)."""
    record = {**data, "redeem_points": data.get("redeem_points", 0)}
    if data.get("type") == 2:
        record["refers_to"] = original.id if original is not None else f"unknown:{data['id']}"
    return rules.receipt_from_record(record)


def due_row(client_id: str, when: dt.datetime | None) -> dict | None:
    """A loyalty_due row for a bulk insert (the seed, an import); None: nothing due."""
    return None if when is None else {"client_id": client_id, "due_at": _utc_key(when)}


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


def member(client: dict, referred_by: rules.ReferralLink | None = None) -> rules.Member:
    born = client.get("birthday")
    return rules.Member(
        id=client["id"],
        registered_at=client.get("created_at"),
        birthday=dt.date.fromisoformat(born) if born else None,
        referred_by=referred_by,
    )


def enroll(client: dict, at: dt.datetime) -> tuple[list[rules.LedgerEntry], dict, dict]:
    """A new member's welcome entries, client figures and account entity (pure: a client
    being registered has no ledger and no receipts yet). The handler stores the client
    with its figures once, then `append`s the entries and publishes the account."""
    new = list(rules.on_register(program(), client["id"], at).entries)
    figures, data = account(client["id"], _in_order(new), [], clock.now(), client.get("birthday"))
    return new, figures, data


def on_receipt(conn: Connection, client: dict, receipt: dict, now: dt.datetime | None = None) -> None:
    """A receipt just tied to `client`: accrue and redeem (sale) or reverse (return).

    Fills the receipt's points in place; the handler then refreshes the figures."""
    now = now or clock.now()
    prog = program()
    ledger_now = entries(conn, client["id"])
    past = history(conn, client["id"], exclude=receipt["id"])
    r = to_receipt(receipt, _original_of(past, receipt) if receipt.get("type") == 2 else None)
    if r.kind == "sale":
        floor = tier_floor(conn, client["id"])
        res = rules.on_purchase(prog, member(client), ledger_now, past, r, now, tier_floor=floor)
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
    referral: rules.ReferralLink | None = None,
    floor: rules.TierFloor | None = None,
) -> tuple[dict, dict]:
    """(client figures, account entity) from a ledger and receipts (pure). `referral`:
    the newcomer's accepted referral, for the till discount she still has; `floor`: her
    imported tier and until when it stands (`tier_floor`)."""
    prog = program()
    born = dt.date.fromisoformat(birthday) if birthday else None
    s = rules.summary(prog, ledger_now, past, now, birthday=born, tier_floor=floor)
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
        "referral_code": rules.referral_code(prog, client_id) if has_referrals(prog) else None,
        "newcomer_discount_percent": str(
            rules.referral_discount(prog, rules.Member(id=client_id, referred_by=referral), past, now + _NEXT)
        )
        if referral
        else None,
        "offers": [
            {
                "id": o.id,
                "kind": o.kind,
                "title": o.title,
                # in the program's local time: the profile shows the days the file names
                "starts": o.starts.astimezone(prog.tz).isoformat() if o.starts else None,
                "ends": o.ends.astimezone(prog.tz).isoformat() if o.ends else None,
                "discount_percent": None if o.discount_percent is None else str(o.discount_percent),
                "code": o.code,
            }
            for o in prog.offers_for(s.tier, now)
        ],
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
        client["id"],
        entries(conn, client["id"]),
        history(conn, client["id"]),
        now or clock.now(),
        client.get("birthday"),
        referral_of(conn, client["id"]),
        tier_floor(conn, client["id"]),
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


# --- time-driven changes (run by sync.hub.schedule) ---------------------------------------


def has_referrals(prog: rules.Program) -> bool:
    return any(c.kind == "referral" for c in prog.campaigns)


def schedule_next(
    conn: Connection,
    client: dict,
    now: dt.datetime,
    *,
    tried: bool = False,
    ledger_now: list[rules.LedgerEntry] | None = None,
    past: list[rules.Receipt] | None = None,
    link: rules.ReferralLink | None = None,
    floor: rules.TierFloor | Literal["unread"] | None = "unread",
) -> dt.datetime | None:
    """Store when the client's figures next change by time alone (loyalty_due). `tried`:
    the job has just looked at her birthday (see rules.next_change). What the caller has
    loaded already (her ledger, receipts, referral, tier floor) is not read again."""
    ledger_now = entries(conn, client["id"]) if ledger_now is None else ledger_now
    past = history(conn, client["id"]) if past is None else past
    link = referral_of(conn, client["id"]) if link is None else link
    if isinstance(floor, str):
        floor = tier_floor(conn, client["id"])
    when = rules.next_change(
        program(), ledger_now, past, now, member(client, link), birthday_tried=tried, tier_floor=floor
    )
    due = schema.loyalty_due
    if when is None or client.get("erased_at"):
        conn.execute(delete(due).where(due.c.client_id == client["id"]))
    else:
        sql(
            conn,
            "INSERT INTO loyalty_due (client_id, due_at) VALUES (?, ?) "
            "ON CONFLICT (client_id) DO UPDATE SET due_at = excluded.due_at",
            (client["id"], _utc_key(when)),
        )
    return when


def refresh(conn: Connection, client: dict, now: dt.datetime, *, tried: bool = False) -> tuple[dict, dict]:
    """(client figures, account entity) as `figures`, and her next moment stored
    (`schedule_next`), from one read of her ledger, receipts and referral."""
    ledger_now, past, link = entries(conn, client["id"]), history(conn, client["id"]), referral_of(conn, client["id"])
    floor = tier_floor(conn, client["id"])
    out = account(client["id"], ledger_now, past, now, client.get("birthday"), link, floor)
    schedule_next(conn, client, now, tried=tried, ledger_now=ledger_now, past=past, link=link, floor=floor)
    return out


def floor_of(tier: str | None, imported_at: dt.datetime) -> rules.TierFloor | None:
    """The floor an imported tier gives: it stands for one tier window (the program's,
    12 months by default) from the import, the time her spend here needs to fill a whole
    window. None for no tier, or a tier the program no longer has."""
    prog = program()
    if not tier or tier not in {t.name for t in prog.tiers}:
        return None
    return tier, prog.tier_window.after(imported_at.astimezone(dt.UTC))


def tier_floor(conn: Connection, client_id: str) -> rules.TierFloor | None:
    """Her imported tier as a floor (member_import), from one query. Keyed by her own
    client id: a client merged into another leaves her floor behind (see docs/loyalty.md)."""
    mi, runs = schema.member_imports, schema.import_runs
    row = conn.execute(
        select(mi.c.tier, runs.c.started_at).join(runs, runs.c.id == mi.c.run_id).where(mi.c.client_id == client_id)
    ).first()
    return None if row is None else floor_of(row[0], dt.datetime.fromisoformat(row[1]))


def claim_due(conn: Connection, now: dt.datetime, limit: int) -> list[str]:
    """Up to `limit` clients whose figures are due to change by `now`, soonest first.

    On PostgreSQL their client rows are locked (FOR UPDATE, the lock every writer of a
    client takes first: storage.locks) and rows another transaction holds are skipped
    (SKIP LOCKED): several workers running the job share the due clients without waiting
    for each other, and a client a till is busy with is taken on the next run. SQLite has
    one writer: the transaction itself is the lock."""
    key = _utc_key(now)
    if row_locks(conn):
        rows = sql(
            conn,
            "SELECT c.id FROM loyalty_due d JOIN clients c ON c.id = d.client_id WHERE d.due_at <= ? "
            "ORDER BY d.due_at, d.client_id LIMIT ? FOR UPDATE OF c SKIP LOCKED",
            (key, limit),
        ).fetchall()
    else:
        rows = sql(
            conn,
            "SELECT client_id FROM loyalty_due WHERE due_at <= ? ORDER BY due_at, client_id LIMIT ?",
            (key, limit),
        ).fetchall()
    return [r[0] for r in rows]


def due_now(conn: Connection, client_id: str) -> None:
    sql(
        conn,
        "INSERT INTO loyalty_due (client_id, due_at) VALUES (?, '') "
        "ON CONFLICT (client_id) DO UPDATE SET due_at = excluded.due_at",
        (client_id,),
    )


def rewarded(conn: Connection, reward: list[rules.LedgerEntry]) -> bool:
    """Whether these (deterministic) entries are in the ledger already."""
    ledger = schema.ledger
    ids = [e.id for e in reward]
    return len(conn.execute(select(ledger.c.id).where(ledger.c.id.in_(ids))).all()) == len(ids)


def drop_due(conn: Connection, client_id: str) -> None:
    due = schema.loyalty_due
    conn.execute(delete(due).where(due.c.client_id == client_id))


def due_entries(conn: Connection, client: dict, now: dt.datetime) -> list[rules.LedgerEntry]:
    """What time alone has made due for the client by `now` (not appended yet): expiries
    and a birthday bonus. Both are dated by the rule, not by the run, so a job that runs
    late (after downtime) writes what an on-time run would have."""
    prog = program()
    ledger_now = entries(conn, client["id"])
    past = history(conn, client["id"])
    new = rules.run_expiry(prog, ledger_now, now)
    new += rules.on_birthday(prog, member(client), past, now, tier_floor(conn, client["id"]))
    return new


def referral_reward(conn: Connection, client: dict, now: dt.datetime) -> list[rules.LedgerEntry]:
    """The referrer's reward this newcomer has earned by `now` (entries for the code
    owner's ledger: their client_id is the owner's); empty when none is due."""
    link = referral_of(conn, client["id"])
    if link is None or link.owner_kind != "client":
        return []  # a stylist's reward is paid by the brand outside the ledger (docs/loyalty.md)
    return rules.on_referral_unlock(program(), member(client, link), history(conn, client["id"]), now)


# --- manager grants and deductions ---------------------------------------------------------


def grant(
    client: dict, grant_id: str, points: int, at: dt.datetime, reason: str, life: str | None
) -> rules.LedgerEntry:
    """Promotional points (kind "campaign"): the program's short promo life unless `life`
    says otherwise; they expire first, so they are also spent first (FIFO by expiry)."""
    return rules.grant(program(), client["id"], grant_id, points, at, reason, expire_after=life)


def deduct(
    conn: Connection, client: dict, deduction_id: str, points: int, at: dt.datetime, reason: str
) -> list[rules.LedgerEntry]:
    """A deduction of available points (ValueError when she has fewer)."""
    return rules.deduct(program(), entries(conn, client["id"]), client["id"], deduction_id, points, at, reason)


# --- referral codes -------------------------------------------------------------------------


def code_for(conn: Connection, owner_id: str, owner_kind: str, store_id: str) -> str | None:
    """The owner's referral code, stored so a registration can resolve it (None: the
    program runs no referral campaign)."""
    prog = program()
    if not has_referrals(prog):
        return None
    code = rules.referral_code(prog, owner_id)
    sql(
        conn,
        "INSERT INTO referral_codes (code, owner_id, owner_kind, store_id) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (code) DO NOTHING",
        (code, owner_id, owner_kind, store_id),
    )
    return code


def resolve_code(conn: Connection, code: str) -> rules.ReferralCode | None:
    codes = schema.referral_codes
    row = conn.execute(select(codes.c.owner_id, codes.c.owner_kind).where(codes.c.code == code.strip().upper())).first()
    return None if row is None else rules.ReferralCode(code=code.strip().upper(), owner_id=row[0], owner_kind=row[1])


def save_referral(conn: Connection, client_id: str, link: rules.ReferralLink) -> None:
    conn.execute(
        insert(schema.referrals).values(client_id=client_id, owner_id=link.owner_id, data=link.model_dump_json())
    )


def referral_of(conn: Connection, client_id: str) -> rules.ReferralLink | None:
    refs = schema.referrals
    raw = conn.execute(select(refs.c.data).where(refs.c.client_id == client_id)).scalar_one_or_none()
    return None if raw is None else rules.ReferralLink.model_validate_json(raw)


def register_referral(
    conn: Connection, client_id: str, code: str | None, at: dt.datetime
) -> tuple[rules.ReferralLink | None, list[str]]:
    """Accept a newcomer's referral code (the link is stored); notes say why not."""
    if not code:
        return None, []
    ref = resolve_code(conn, code)
    if ref is None:
        return None, [f"Referral code {code.strip().upper()} is not known"]
    reg = rules.on_register(program(), client_id, at, ref)
    if reg.referral is not None:
        save_referral(conn, client_id, reg.referral)
    return reg.referral, reg.notes
