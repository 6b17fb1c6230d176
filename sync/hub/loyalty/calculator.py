"""The loyalty rules as pure functions: inputs in, new ledger entries out.

Nothing here touches a database, a clock or the network. Every function takes the
program, the client's ledger (and receipts where needed) and an explicit `now`, and
returns NEW entries for the caller to append; old entries are never changed.

The ledger model
----------------
* Every entry with points >= 0 is a *bucket* (its `bucket_id` is its own `id`): a lot
  of points with one unlock time (`available_at`) and one expiry (`expires_at`).
* Every negative entry (redemption, expiry, reversal, deduction) draws from exactly
  one bucket and names it in `bucket_id`; a redemption spanning three buckets is three
  entries. So the points left in a bucket are the sum of the entries naming it, and a
  bucket never goes below zero: the balance can never be negative.
* Every entry copies its bucket's `available_at` and `expires_at`. So plain sums over
  the entries give the figures: available = sum(points where available_at <= now),
  pending = the rest, and expiring points can be grouped by `expires_at`.
* Redemption draws from the soonest-expiring buckets first (FIFO by expiry); the
  scheduled expiry job then removes only what is left of each bucket, dated at the
  bucket's `expires_at`.
* Entry ids are uuid5 of what caused them (receipt id + kind + bucket ...), so a replay
  yields the same ids. The purchase and return functions also recognise a receipt that
  is already in the ledger and answer with the entries it produced the first time.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from pydantic import Field, model_validator

from sync.rules import counter as counter_rule

from .program import (
    UTC,
    BirthdayCampaign,
    Duration,
    ExtraPercentCampaign,
    Frozen,
    MultiplierCampaign,
    Program,
    ReferralCampaign,
    Tier,
    UtcDatetime,
)

NS = uuid.UUID("5d2f0b8e-3c4a-5e71-9f0d-2b6c8a41e7d3")
"""Namespace of generated entry ids. Never change it: ids must survive upgrades."""

CLOCK_SKEW = dt.timedelta(minutes=10)
"""How far in the future a receipt may be dated before it is refused (device clocks)."""

EntryKind = Literal[
    "accrual",
    "redemption",
    "expiry",
    "reversal",
    "welcome",
    "birthday",
    "campaign",
    "referral",
    "adjustment",
]
PURCHASE_KINDS = frozenset({"accrual", "campaign", "redemption"})


def entry_id(*parts: object) -> str:
    """Deterministic id of a generated entry from what caused it."""
    return str(uuid.uuid5(NS, "|".join(map(str, parts))))


def fiscal_receipt_id(fn: str, i: str, fp: str) -> str:
    """A stable receipt id from its fiscal attributes (ФН, ФД, ФП), so the same paper
    receipt scanned on two devices is one receipt."""
    return entry_id("fiscal-receipt", fn.strip(), i.strip(), fp.strip())


# --- input models ----------------------------------------------------------------------


class ReceiptLine(Frozen):
    sku: str = ""
    name: str = ""
    price: int = Field(ge=0, description="Unit price in kopecks before till discounts")
    qty: int = Field(default=1, ge=1)
    discount: int = Field(default=0, ge=0, description="Till discount on the line, kopecks")
    sale: bool = False

    @model_validator(mode="after")
    def _discount(self) -> ReceiptLine:
        if self.discount > self.price * self.qty:
            raise ValueError(f"line {self.sku!r}: discount exceeds price x qty")
        return self

    @property
    def full(self) -> int:
        """Price x qty, before the till discount."""
        return self.price * self.qty

    @property
    def amount(self) -> int:
        """What the line costs after the till discount (points are a way to pay it)."""
        return self.price * self.qty - self.discount


class Receipt(Frozen):
    """A fiscal receipt. `total` is the sum of the line amounts (after till discounts,
    before points: points are one way of paying the total). A receipt without lines
    (only the QR code was scanned) counts as one ordinary line of `total`."""

    id: str = Field(min_length=1)
    fn: str | None = None
    i: str | None = None
    fp: str | None = None
    kind: Literal["sale", "return"] = "sale"
    at: UtcDatetime
    total: int = Field(ge=0)
    lines: list[ReceiptLine] = Field(default_factory=list)
    redeem_points: int = Field(default=0, ge=0, description="Points the client asks to pay with")
    refers_to: str | None = Field(default=None, description="The sale a return belongs to")

    @model_validator(mode="after")
    def _consistent(self) -> Receipt:
        if self.lines and sum(line.amount for line in self.lines) != self.total:
            raise ValueError(
                f"receipt {self.id}: total {self.total} does not match its lines "
                f"({sum(line.amount for line in self.lines)})"
            )
        if self.kind == "return":
            if not self.refers_to:
                raise ValueError(f"return receipt {self.id} must say which sale it returns (refers_to)")
            if self.redeem_points:
                raise ValueError(f"return receipt {self.id} cannot redeem points")
        elif self.refers_to:
            raise ValueError(f"sale receipt {self.id} cannot refer to another receipt")
        return self

    def priced_lines(self) -> list[ReceiptLine]:
        return list(self.lines) or [ReceiptLine(sku="", name="receipt total", price=self.total)]

    @property
    def label(self) -> str:
        return f"No. {self.i}" if self.i else self.id[:8]


def receipt_from_record(record: Mapping[str, Any]) -> Receipt:
    """A Receipt from a hub/till record: unknown keys are dropped and the fiscal
    receipt type (1 = sale, 2 = return of a sale) is mapped to `kind`."""
    data = {k: v for k, v in record.items() if k in Receipt.model_fields}
    if "kind" not in data and "type" in record:
        kinds = {1: "sale", 2: "return"}
        if int(record["type"]) not in kinds:
            raise ValueError(f"receipt type {record['type']!r} is neither 1 (sale) nor 2 (return)")
        data["kind"] = kinds[int(record["type"])]
    return Receipt.model_validate(data)


class LedgerEntry(Frozen):
    id: str
    client_id: str
    kind: EntryKind
    points: int
    at: UtcDatetime
    """When the event happened (purchase, return, expiry moment, grant)."""
    available_at: UtcDatetime
    """When the bucket's points unlock (copied from the bucket on negative entries)."""
    expires_at: UtcDatetime | None = None
    """When the bucket's points expire (copied from the bucket on negative entries)."""
    bucket_id: str
    """Own id for a bucket (points >= 0); the bucket drawn from for a negative entry."""
    receipt_id: str | None = None
    ref_id: str | None = None
    """The entry this one answers: the accrual a reversal takes back, the redemption a
    restore gives back."""
    campaign_id: str | None = None
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _bucket(self) -> LedgerEntry:
        if self.points >= 0 and self.bucket_id != self.id:
            raise ValueError(f"entry {self.id}: an entry with points >= 0 is its own bucket")
        if self.points < 0 and self.bucket_id == self.id:
            raise ValueError(f"entry {self.id}: a negative entry must draw from another bucket")
        return self

    @property
    def is_bucket(self) -> bool:
        return self.bucket_id == self.id


class ReferralCode(Frozen):
    """A referral code as the hub resolved it: whose it is."""

    code: str = Field(min_length=1)
    owner_id: str
    owner_kind: Literal["client", "stylist"] = "client"


class ReferralLink(ReferralCode):
    """A newcomer's accepted referral: stored by the hub with the member."""

    campaign_id: str
    discount_percent: Decimal
    registered_at: UtcDatetime


class Member(Frozen):
    id: str
    registered_at: UtcDatetime | None = None
    birthday: dt.date | None = None
    referred_by: ReferralLink | None = None


# --- results ---------------------------------------------------------------------------


class Registration(Frozen):
    entries: list[LedgerEntry]
    referral: ReferralLink | None = None
    notes: list[str] = Field(default_factory=list)


class PurchaseResult(Frozen):
    entries: list[LedgerEntry]
    tier: str
    tier_percent: Decimal
    accrual: int
    """Points accrued by the receipt, campaigns included; pending until `available_at`."""
    applied_redemption: int
    """Points actually taken (the request clamped by balance and cap)."""
    redeemed_kopecks: int
    redeem_cap_points: int
    available_at: dt.datetime
    replayed: bool = False
    notes: list[str] = Field(default_factory=list)


class ReturnResult(Frozen):
    entries: list[LedgerEntry]
    reversed_points: int
    """Accrued points taken back."""
    restored_points: int
    """Points that paid for the returned goods, given back."""
    forfeited_points: int = 0
    """Points that would be given back but whose bucket has already expired."""
    shortfall_points: int = 0
    """Accrued points that should be taken back but were already spent and nothing is
    left to take them from; the till may deduct their value from the refund."""
    lapsed_points: int = 0
    """Accrued points to take back that had already expired: nothing is taken for them."""
    replayed: bool = False
    notes: list[str] = Field(default_factory=list)


class PointsAt(Frozen):
    points: int
    at: dt.datetime


class AccountSummary(Frozen):
    as_of: dt.datetime
    tier: str
    tier_percent: Decimal
    tier_benefits: str
    tier_valid_until: dt.datetime | None
    """When the current tier is lost if nothing more is bought (None: lowest tier)."""
    spend_12m: int
    """Net spend (sales minus their returns) in the rolling tier window, kopecks."""
    window_starts: dt.datetime
    """The window is (window_starts, as_of]."""
    next_tier: str | None
    next_tier_percent: Decimal | None
    to_next_tier: int | None
    """Kopecks still to spend to reach the next tier (None at the top tier)."""
    next_tier_deadline: dt.datetime | None
    """Spend `to_next_tier` before this moment: it is when the oldest purchase in the
    window drops out and the amount needed grows. None if the window is empty."""
    balance: int
    """Available points (expired buckets already left out, as the expiry job would)."""
    balance_kopecks: int
    pending_total: int
    pending: list[PointsAt]
    """Locked points by unlock time, soonest first."""
    expiring: list[PointsAt]
    """Available points expiring within `expiring_within_days`, by expiry, soonest first."""
    expiring_within_days: int
    max_redeem_percent: Decimal
    campaigns: list[str]
    """Titles of accrual campaigns running now for this tier."""
    next_birthday_bonus: dt.date | None = None


# --- ledger arithmetic ---------------------------------------------------------------


@dataclass
class _Bucket:
    head: LedgerEntry
    remaining: int


_FAR = dt.datetime.max.replace(tzinfo=UTC)


def _fifo_key(b: _Bucket) -> tuple:
    h = b.head
    return (h.expires_at is None, h.expires_at or _FAR, h.available_at, h.at, h.id)


def _buckets(entries: Iterable[LedgerEntry]) -> dict[str, _Bucket]:
    entries = list(entries)
    out: dict[str, _Bucket] = {}
    for e in entries:
        if e.is_bucket:
            if e.id in out:
                raise ValueError(f"ledger holds entry {e.id} twice")
            out[e.id] = _Bucket(e, 0)
    seen: set[str] = set()
    for e in entries:
        if e.id in seen:
            raise ValueError(f"ledger holds entry {e.id} twice")
        seen.add(e.id)
        b = out.get(e.bucket_id)
        if b is None:
            raise ValueError(f"ledger entry {e.id} draws from unknown bucket {e.bucket_id}")
        b.remaining += e.points
    return out


def _usable(b: _Bucket, t: dt.datetime, *, pending_too: bool = False) -> bool:
    h = b.head
    return b.remaining > 0 and (pending_too or h.available_at <= t) and (h.expires_at is None or h.expires_at > t)


def _take(
    buckets: dict[str, _Bucket], t: dt.datetime, points: int, *, pending_too: bool = False
) -> list[tuple[LedgerEntry, int]]:
    """Take up to `points` FIFO by expiry; updates `buckets`; returns (bucket, taken)."""
    out = []
    for b in sorted((b for b in buckets.values() if _usable(b, t, pending_too=pending_too)), key=_fifo_key):
        if points <= 0:
            break
        k = min(points, b.remaining)
        b.remaining -= k
        points -= k
        out.append((b.head, k))
    return out


def _draw(
    head: LedgerEntry,
    *,
    id: str,
    kind: str,
    points: int,
    at: dt.datetime,
    reason: str,
    receipt_id: str | None = None,
    ref_id: str | None = None,
    campaign_id: str | None = None,
) -> LedgerEntry:
    """A negative entry drawing from `head`'s bucket."""
    return LedgerEntry(
        id=id,
        client_id=head.client_id,
        kind=kind,
        points=-points,
        at=at,
        available_at=head.available_at,
        expires_at=head.expires_at,
        bucket_id=head.id,
        receipt_id=receipt_id,
        ref_id=ref_id,
        campaign_id=campaign_id,
        reason=reason,
    )


def _bucket(
    *,
    id: str,
    client_id: str,
    kind: str,
    points: int,
    at: dt.datetime,
    available_at: dt.datetime,
    expires_at: dt.datetime | None,
    reason: str,
    receipt_id: str | None = None,
    ref_id: str | None = None,
    campaign_id: str | None = None,
) -> LedgerEntry:
    return LedgerEntry(
        id=id,
        client_id=client_id,
        kind=kind,
        points=points,
        at=at,
        available_at=available_at,
        expires_at=expires_at,
        bucket_id=id,
        receipt_id=receipt_id,
        ref_id=ref_id,
        campaign_id=campaign_id,
        reason=reason,
    )


def balance(ledger: Iterable[LedgerEntry]) -> int:
    """All points on the account, pending included: the plain sum of the entries."""
    return sum(e.points for e in ledger)


def available_points(ledger: Iterable[LedgerEntry], at: dt.datetime) -> int:
    """Points usable at `at`: unlocked and not expired (whether or not the expiry job ran)."""
    return sum(b.remaining for b in _buckets(ledger).values() if _usable(b, at))


def pending_points(ledger: Iterable[LedgerEntry], at: dt.datetime) -> int:
    """Points still locked at `at` (accruals inside the return window)."""
    return sum(b.remaining for b in _buckets(ledger).values() if b.head.available_at > at and b.remaining > 0)


def check_ledger(ledger: Sequence[LedgerEntry]) -> list[str]:
    """Problems with a ledger: duplicate ids, orphan draws, overdrawn buckets, entries
    that do not carry their bucket's dates. Empty when sound."""
    try:
        buckets = _buckets(ledger)
    except ValueError as exc:
        return [str(exc)]
    problems = []
    for b in buckets.values():
        if b.remaining < 0:
            problems.append(f"bucket {b.head.id} is overdrawn by {-b.remaining} points")
    for e in ledger:
        h = buckets[e.bucket_id].head
        if (e.available_at, e.expires_at) != (h.available_at, h.expires_at):
            problems.append(f"entry {e.id} does not carry the dates of bucket {h.id}")
    return problems


def _own(ledger: Sequence[LedgerEntry], client_id: str) -> None:
    foreign = {e.client_id for e in ledger} - {client_id}
    if foreign:
        raise ValueError(f"ledger of client {client_id} holds entries of {sorted(foreign)}")


# --- formatting -------------------------------------------------------------------------


def _rub(kopecks: int | Fraction) -> str:
    k = math.floor(kopecks)
    return f"{k // 100:,}.{k % 100:02d} RUB"


def _pct(p: Decimal) -> str:
    return f"{p.normalize():f}"


def _day(program: Program, t: dt.datetime) -> str:
    return t.astimezone(program.tz).date().isoformat()


def _half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


# --- tiers and spend ------------------------------------------------------------------


def spend_in_window(
    program: Program, receipts: Iterable[Receipt], at: dt.datetime, exclude_id: str | None = None
) -> int:
    """Net spend in the rolling window (at - tier_window, at], kopecks: each sale in
    the window minus its returns made by `at`. Returns of sales not in `receipts`
    count at their own date."""
    start = program.tier_window.before(at)
    receipts = [r for r in receipts if r.id != exclude_id and r.at <= at]
    sales = {r.id: r for r in receipts if r.kind == "sale"}
    returned: dict[str, int] = {}
    orphan = 0
    for r in receipts:
        if r.kind == "return":
            if r.refers_to in sales:
                returned[r.refers_to] = returned.get(r.refers_to, 0) + r.total
            elif start < r.at:
                orphan += r.total
    total = sum(max(0, s.total - returned.get(s.id, 0)) for s in sales.values() if start < s.at)
    return max(0, total - orphan)


TierFloor = tuple[str, dt.datetime]
"""(tier name, until): a tier she holds whatever she spends, before `until` (a member
imported from another system keeps its tier for one tier window: docs/loyalty.md)."""


def floored(program: Program, earned: Tier, floor: TierFloor | None, at: dt.datetime) -> Tier:
    """The higher of the tier her spend earned and the floor standing at `at`."""
    if floor is None or at >= floor[1]:
        return earned
    held = program.tier(floor[0])
    return held if program.tiers.index(held) > program.tiers.index(earned) else earned


def tier_at(
    program: Program,
    receipts: Iterable[Receipt],
    at: dt.datetime,
    exclude_id: str | None = None,
    tier_floor: TierFloor | None = None,
) -> Tier:
    """Her tier at `at`: what the spend in the window ending at `at` earns, or the floor
    if that is higher and still standing."""
    return floored(program, program.tier_for(spend_in_window(program, receipts, at, exclude_id)), tier_floor, at)


def _drop_out(program: Program, t: dt.datetime) -> dt.datetime:
    """The first moment a purchase made at `t` is no longer in the tier window."""
    d = program.tier_window.after(t)
    while program.tier_window.before(d) < t:  # month-end clamping: wait for the next day
        d = (d + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return d


# --- redemption cap ---------------------------------------------------------------------


def line_redeem_cap(program: Program, line: ReceiptLine) -> int:
    """Kopecks of this line that points may pay: max_percent of the full price, less the
    till discount when discounts count against the cap, never above what is due."""
    r = program.redemption  # the rule is the counter's (sync.rules.counter): one for both ends
    return counter_rule.line_cap(
        line.full, line.discount, line.sale, r.max_percent, r.sale_items, r.cap_includes_discounts
    )


def redeem_cap_kopecks(program: Program, lines: Sequence[ReceiptLine] | int) -> int:
    """Kopecks of a purchase that points may pay under the program's cap. An int is a
    purchase total made of ordinary (non-sale, undiscounted) goods."""
    if isinstance(lines, int):
        lines = [ReceiptLine(price=lines)]
    return sum(line_redeem_cap(program, line) for line in lines)


def max_redeem(
    program: Program,
    source: AccountSummary | Sequence[LedgerEntry],
    lines: Sequence[ReceiptLine] | int,
    now: dt.datetime,
) -> int:
    """Most points the client can pay with on this purchase: the balance, capped."""
    available = source.balance if isinstance(source, AccountSummary) else available_points(source, now)
    return max(0, min(available, redeem_cap_kopecks(program, lines) // program.point_value_kopecks))


# --- registration, grants ------------------------------------------------------------


def on_register(
    program: Program, client_id: str, at: dt.datetime, referral: ReferralCode | None = None
) -> Registration:
    """Welcome bonuses running at `at`, and the referral link if the code is accepted."""
    at = at.astimezone(UTC)
    lowest = program.tiers[0].name
    entries = []
    for c in program.active_campaigns(at, "welcome", lowest):
        expires = (c.expire_after or program.points.expire_after).after(at)
        entries.append(
            _bucket(
                id=entry_id("welcome", client_id, c.id),
                client_id=client_id,
                kind="welcome",
                points=c.points,
                at=at,
                available_at=at,
                expires_at=expires,
                campaign_id=c.id,
                reason=f"Welcome bonus: {c.title}",
            )
        )
    link, notes = None, []
    if referral is not None:
        running = program.active_campaigns(at, "referral")
        if referral.owner_id == client_id:
            notes.append(f"Referral code {referral.code} not accepted: it is the client's own")
        elif not running:
            notes.append(f"Referral code {referral.code} not accepted: no referral campaign is running")
        else:
            campaign: ReferralCampaign = running[0]
            link = ReferralLink(
                **referral.model_dump(),
                campaign_id=campaign.id,
                discount_percent=campaign.newcomer_discount_percent,
                registered_at=at,
            )
    return Registration(entries=entries, referral=link, notes=notes)


def grant(
    program: Program,
    client_id: str,
    grant_id: str,
    points: int,
    at: dt.datetime,
    reason: str,
    *,
    kind: Literal["campaign", "adjustment"] = "campaign",
    expire_after: Any = None,
) -> LedgerEntry:
    """Points given by a manager. kind="campaign": promotional, fast-burning (default life
    `points.promo_expire_after`); kind="adjustment": a correction with the ordinary life.
    `expire_after` (a Duration or "3 days") overrides the life."""
    if points <= 0:
        raise ValueError("a grant gives a positive number of points; use deduct() to take")
    at = at.astimezone(UTC)
    life = (
        Duration.model_validate(expire_after)
        if expire_after is not None
        else program.points.promo_expire_after
        if kind == "campaign"
        else program.points.expire_after
    )
    return _bucket(
        id=entry_id("grant", client_id, grant_id),
        client_id=client_id,
        kind=kind,
        points=points,
        at=at,
        available_at=at,
        expires_at=life.after(at),
        reason=reason,
    )


def deduct(
    program: Program,
    ledger: Sequence[LedgerEntry],
    client_id: str,
    deduction_id: str,
    points: int,
    at: dt.datetime,
    reason: str,
) -> list[LedgerEntry]:
    """A manual correction taking available points, soonest-expiring first."""
    _own(ledger, client_id)
    if points <= 0:
        raise ValueError("a deduction takes a positive number of points")
    at = at.astimezone(UTC)
    buckets = _buckets(ledger)
    have = sum(b.remaining for b in buckets.values() if _usable(b, at))
    if points > have:
        raise ValueError(f"cannot deduct {points} points: {have} available")
    return [
        _draw(
            head,
            id=entry_id("deduct", client_id, deduction_id, head.id),
            kind="adjustment",
            points=k,
            at=at,
            reason=reason,
        )
        for head, k in _take(buckets, at, points)
    ]


# --- purchase --------------------------------------------------------------------------


def on_purchase(
    program: Program,
    client: Member,
    ledger: Sequence[LedgerEntry],
    receipts_history: Sequence[Receipt],
    receipt: Receipt,
    now: dt.datetime,
    tier_floor: TierFloor | None = None,
) -> PurchaseResult:
    """Redemption (clamped by balance and cap) and accrual (tier at purchase time plus
    running campaigns) for a sale receipt. Accrued points are pending for the return
    window. A receipt already in the ledger gets back its first answer."""
    if receipt.kind != "sale":
        raise ValueError(f"receipt {receipt.id} is a return; use on_return")
    if receipt.at > now + CLOCK_SKEW:
        raise ValueError(f"receipt {receipt.id} is dated in the future ({receipt.at.isoformat()})")
    _own(ledger, client.id)
    pv = program.point_value_kopecks
    t = receipt.at
    tier = tier_at(program, receipts_history, t, exclude_id=receipt.id, tier_floor=tier_floor)
    lines = receipt.priced_lines()
    caps = [line_redeem_cap(program, line) for line in lines]
    cap_points = sum(caps) // pv
    available_at = program.points.return_window.after(t)
    summary_fields = dict(
        tier=tier.name, tier_percent=tier.accrual_percent, redeem_cap_points=cap_points, available_at=available_at
    )

    first = [e for e in ledger if e.receipt_id == receipt.id and e.kind in PURCHASE_KINDS]
    if first:
        applied = -sum(e.points for e in first if e.kind == "redemption")
        return PurchaseResult(
            entries=first,
            replayed=True,
            applied_redemption=applied,
            redeemed_kopecks=applied * pv,
            accrual=sum(e.points for e in first if e.kind != "redemption"),
            **summary_fields,
            notes=[f"receipt {receipt.label} was already applied; this is its first answer"],
        )

    notes: list[str] = []
    entries: list[LedgerEntry] = []
    buckets = _buckets(ledger)
    have = sum(b.remaining for b in buckets.values() if _usable(b, t))
    applied = min(receipt.redeem_points, have, cap_points)
    if applied < receipt.redeem_points:
        notes.append(
            f"asked to redeem {receipt.redeem_points} points; {have} available, cap {cap_points}: redeemed {applied}"
        )
    for head, k in _take(buckets, t, applied):
        entries.append(
            _draw(
                head,
                id=entry_id("redemption", receipt.id, head.id),
                kind="redemption",
                points=k,
                at=t,
                receipt_id=receipt.id,
                reason=f"Paid {_rub(k * pv)} with points on receipt {receipt.label}",
            )
        )
    redeemed = applied * pv

    accruing = [i for i, line in enumerate(lines) if program.accrual.sale_items or not line.sale]
    base = Fraction(sum(lines[i].amount for i in accruing))
    if redeemed and not program.accrual.on_points_paid:
        base -= redeemed * Fraction(sum(caps[i] for i in accruing), sum(caps))
    base = max(base, Fraction(0))

    def points_for(pct: Decimal | Fraction) -> int:
        return math.floor(base * Fraction(pct) / 100 / pv)

    tier_points = points_for(tier.accrual_percent)
    if not accruing:
        why = "no points: sale items only"
    elif base == 0:
        why = "no points: paid with points"
    else:
        why = f"{_pct(tier.accrual_percent)}% of {_rub(base)}, {tier.name} tier"
    entries.append(
        _bucket(
            id=entry_id("accrual", receipt.id),
            client_id=client.id,
            kind="accrual",
            points=tier_points,
            at=t,
            available_at=available_at,
            expires_at=program.points.expire_after.after(available_at),
            receipt_id=receipt.id,
            reason=f"Purchase, receipt {receipt.label}: {why}",
        )
    )
    subtotal = tier_points

    def campaign_bucket(c: ExtraPercentCampaign | MultiplierCampaign, pts: int, reason: str) -> LedgerEntry:
        return _bucket(
            id=entry_id("campaign", receipt.id, c.id),
            client_id=client.id,
            kind="campaign",
            points=pts,
            at=t,
            available_at=available_at,
            expires_at=(c.expire_after or program.points.expire_after).after(available_at),
            receipt_id=receipt.id,
            campaign_id=c.id,
            reason=reason,
        )

    if base > 0:
        for c in program.active_campaigns(t, "extra_percent", tier.name):
            pts = points_for(c.percent)
            if pts > 0:
                subtotal += pts
                entries.append(
                    campaign_bucket(c, pts, f"{c.title}: +{_pct(c.percent)}% of {_rub(base)}, receipt {receipt.label}")
                )
        multipliers = program.active_campaigns(t, "multiplier", tier.name)
        if multipliers:
            c = max(multipliers, key=lambda c: c.factor)  # factors never stack: the best one
            if len(multipliers) > 1:
                notes.append(f"several multipliers running; applied the best: {c.title}")
            pts = math.floor((Fraction(c.factor) - 1) * subtotal)
            if pts > 0:
                entries.append(
                    campaign_bucket(c, pts, f"{c.title}: points x{_pct(c.factor)} on receipt {receipt.label}")
                )
    accrual = sum(e.points for e in entries if e.kind != "redemption")
    return PurchaseResult(
        entries=entries,
        applied_redemption=applied,
        redeemed_kopecks=redeemed,
        accrual=accrual,
        notes=notes,
        **summary_fields,
    )


# --- return ---------------------------------------------------------------------------


def _returned_fractions(original: Receipt, returns: Sequence[Receipt]) -> list[Fraction]:
    """Share of each original line returned by `returns` (lines matched by sku; a return
    without lines returns its total spread over what is left, in proportion)."""
    lines = original.priced_lines()
    f = [Fraction(0)] * len(lines)
    for r in sorted(returns, key=lambda r: (r.at, r.id)):
        if r.lines:
            for rl in r.lines:
                left = Fraction(rl.qty)
                for i, ol in enumerate(lines):
                    if ol.sku != rl.sku or not left:
                        continue
                    k = min(ol.qty * (1 - f[i]), left)
                    f[i] += k / ol.qty
                    left -= k
                if left:
                    raise ValueError(
                        f"return {r.id}: {rl.qty} x {rl.sku!r} is more than receipt {original.id} has left to return"
                    )
        else:
            rest = sum(ol.amount * (1 - f[i]) for i, ol in enumerate(lines))
            if r.total > rest:
                raise ValueError(
                    f"return {r.id}: {_rub(r.total)} is more than receipt "
                    f"{original.id} has left to return ({_rub(rest)})"
                )
            if r.total:
                share = Fraction(r.total) / rest
                f = [fi + (1 - fi) * share for fi in f]
    return f


def _shares(program: Program, original: Receipt, f: list[Fraction]) -> tuple[Fraction, Fraction]:
    """(returned share of the accruing amount, returned share of the redeemable cap)."""
    lines = original.priced_lines()
    acc = [(line.amount, fi) for line, fi in zip(lines, f, strict=True) if program.accrual.sale_items or not line.sale]
    acc_den = sum(a for a, _ in acc)
    caps = [(line_redeem_cap(program, line), fi) for line, fi in zip(lines, f, strict=True)]
    cap_den = sum(c for c, _ in caps)
    acc_share = Fraction(sum(a * fi for a, fi in acc)) / acc_den if acc_den else Fraction(0)
    cap_share = Fraction(sum(c * fi for c, fi in caps)) / cap_den if cap_den else Fraction(0)
    return acc_share, cap_share


def _allocate(total: int, parts: list[tuple[str, int]]) -> dict[str, int]:
    out = {}
    for key, room in parts:
        k = min(total, room)
        out[key] = k
        total -= k
    return out


def on_return(
    program: Program,
    ledger: Sequence[LedgerEntry],
    original: Receipt,
    return_receipt: Receipt,
    now: dt.datetime,
    prior_returns: Sequence[Receipt] = (),
) -> ReturnResult:
    """Reverse a return's share of the original receipt: points that paid for the
    returned goods come back (with their original expiry; already expired ones are
    forfeited), accrued points are taken back (from their own bucket first, then the
    soonest-expiring others; what cannot be taken is reported as shortfall).
    Shares are cumulative over `prior_returns` of the same sale, so several partial
    returns add up exactly to the whole. A return already in the ledger gets back its
    entries (its forfeited/shortfall/lapsed figures are in the first answer only)."""
    if original.kind != "sale" or return_receipt.kind != "return":
        raise ValueError("on_return takes the original sale and a return receipt")
    if return_receipt.refers_to != original.id:
        raise ValueError(f"return {return_receipt.id} refers to {return_receipt.refers_to}, not to {original.id}")
    if return_receipt.at > now + CLOCK_SKEW:
        raise ValueError(f"return {return_receipt.id} is dated in the future")
    prior = [r for r in prior_returns if r.id != return_receipt.id]
    for r in prior:
        if r.kind != "return" or r.refers_to != original.id:
            raise ValueError(f"prior return {r.id} does not return receipt {original.id}")

    first = [e for e in ledger if e.receipt_id == return_receipt.id]
    if first:
        return ReturnResult(
            entries=first,
            replayed=True,
            reversed_points=-sum(e.points for e in first if e.points < 0),
            restored_points=sum(e.points for e in first if e.points > 0),
            notes=[f"return {return_receipt.label} was already applied; this is its first answer"],
        )

    f_before = _returned_fractions(original, prior)
    f_after = _returned_fractions(original, [*prior, return_receipt])
    acc_before, cap_before = _shares(program, original, f_before)
    acc_after, cap_after = _shares(program, original, f_after)

    t = return_receipt.at
    buckets = _buckets(ledger)
    entries: list[LedgerEntry] = []
    notes: list[str] = []
    label = return_receipt.label

    # 1. Give back the points that paid for the returned goods, latest-expiring first.
    reds = [e for e in ledger if e.receipt_id == original.id and e.kind == "redemption"]
    reds.sort(key=lambda e: (e.expires_at or _FAR, e.id), reverse=True)
    paid = -sum(e.points for e in reds)
    parts = [(e.id, -e.points) for e in reds]
    now_alloc = _allocate(_half_up(paid * cap_after), parts)
    before_alloc = _allocate(_half_up(paid * cap_before), parts)
    restored = forfeited = 0
    for e in reds:
        x = now_alloc[e.id] - before_alloc[e.id]
        if x <= 0:
            continue
        src = buckets[e.bucket_id].head
        if src.expires_at is not None and src.expires_at <= t:
            forfeited += x
            notes.append(f"{x} points not restored: they expired on {_day(program, src.expires_at)}")
            continue
        restore = _bucket(
            id=entry_id("restore", return_receipt.id, e.id),
            client_id=e.client_id,
            kind="reversal",
            points=x,
            at=t,
            available_at=t,
            expires_at=src.expires_at,
            receipt_id=return_receipt.id,
            ref_id=e.id,
            reason=f"Return {label}: {x} points that paid for receipt {original.label} restored",
        )
        buckets[restore.id] = _Bucket(restore, x)
        entries.append(restore)
        restored += x

    # 2. Take back the points the returned goods earned.
    accs = [e for e in ledger if e.receipt_id == original.id and e.kind in ("accrual", "campaign") and e.points > 0]
    accs.sort(key=lambda e: (e.kind != "accrual", e.id))
    reversed_points = shortfall = lapsed = 0
    for b in accs:
        due = _half_up(b.points * acc_after) - _half_up(b.points * acc_before)
        if due <= 0:
            continue
        own = buckets[b.id]
        from_own = min(own.remaining, due)
        own.remaining -= from_own
        takes = [(b, from_own)] if from_own else []
        # What the bucket no longer holds was either spent or expired. Spent points are
        # taken from the client's other points; expired ones were lost already.
        spent_from_b = -sum(
            e.points
            for e in ledger
            if e.bucket_id == b.id
            and e.points < 0
            and e.kind != "expiry"
            and not (e.kind == "reversal" and e.ref_id == b.id)
        )
        recovered = -sum(e.points for e in ledger if e.kind == "reversal" and e.ref_id == b.id and e.bucket_id != b.id)
        recoverable = min(due - from_own, max(0, spent_from_b - recovered))
        if due - from_own > recoverable:
            lapsed += due - from_own - recoverable
            notes.append(
                f"{due - from_own - recoverable} points earned on receipt {original.label} "
                "had already expired; nothing to take back for them"
            )
        takes += _take(buckets, t, recoverable, pending_too=True)
        for head, k in takes:
            entries.append(
                _draw(
                    head,
                    id=entry_id("reversal", return_receipt.id, b.id, head.id),
                    kind="reversal",
                    points=k,
                    at=t,
                    receipt_id=return_receipt.id,
                    ref_id=b.id,
                    campaign_id=b.campaign_id,
                    reason=f"Return {label}: {k} of {b.points} points earned on receipt {original.label} taken back",
                )
            )
        got = sum(k for _, k in takes)
        reversed_points += got
        if got < from_own + recoverable:
            shortfall += from_own + recoverable - got
            notes.append(
                f"{from_own + recoverable - got} points earned on receipt {original.label} "
                "were already spent and could not be taken back"
            )
    mine = [e for e in ledger if e.receipt_id == original.id]
    if not entries and mine:
        # Nothing moved: still record that the return was seen, so a replay is recognised
        # (and cannot take points that arrive later).
        why = "; ".join(notes) or f"receipt {original.label} earned and took no points for these goods"
        entries.append(
            _bucket(
                id=entry_id("return", return_receipt.id),
                client_id=mine[0].client_id,
                kind="reversal",
                points=0,
                at=t,
                available_at=t,
                expires_at=None,
                receipt_id=return_receipt.id,
                reason=f"Return {label}: nothing to reverse ({why})",
            )
        )
    return ReturnResult(
        entries=entries,
        reversed_points=reversed_points,
        restored_points=restored,
        forfeited_points=forfeited,
        shortfall_points=shortfall,
        lapsed_points=lapsed,
        notes=notes,
    )


# --- scheduled jobs --------------------------------------------------------------------


def run_expiry(program: Program, ledger: Sequence[LedgerEntry], now: dt.datetime) -> list[LedgerEntry]:
    """Expiry entries for every bucket whose time has come, for what is left of it.
    Dated at the bucket's expires_at, so the result does not depend on when the job
    runs. Works on one client's ledger or on many at once."""
    out = []
    for b in sorted(_buckets(ledger).values(), key=_fifo_key):
        h = b.head
        if h.expires_at is not None and h.expires_at <= now and b.remaining > 0:
            out.append(
                _draw(
                    h,
                    id=entry_id("expiry", h.id),
                    kind="expiry",
                    points=b.remaining,
                    at=h.expires_at,
                    receipt_id=h.receipt_id,
                    campaign_id=h.campaign_id,
                    reason=f"{b.remaining} of {h.points} points ({h.kind}, {_day(program, h.at)}) "
                    f"expired on {_day(program, h.expires_at)}",
                )
            )
    return out


def _birthday_in(born: dt.date, year: int) -> dt.date:
    if born.month == 2 and born.day == 29 and not (year % 4 == 0 and (year % 100 or year % 400 == 0)):
        return dt.date(year, 2, 28)
    return born.replace(year=year)


def on_birthday(
    program: Program,
    member: Member,
    receipts_history: Sequence[Receipt],
    now: dt.datetime,
    tier_floor: TierFloor | None = None,
) -> list[LedgerEntry]:
    """Birthday bonuses due on the local date of `now` (once a year per campaign; the
    id carries the year, so running the daily job twice gives the same entry)."""
    if member.birthday is None:
        return []
    now = now.astimezone(UTC)
    today = now.astimezone(program.tz).date()
    tier = tier_at(program, receipts_history, now, tier_floor=tier_floor)
    out = []
    for c in program.active_campaigns(now, "birthday", tier.name):
        for year in (today.year - 1, today.year, today.year + 1):
            day = _birthday_in(member.birthday, year)
            if day - dt.timedelta(days=c.days_before) <= today <= day + dt.timedelta(days=c.days_after):
                pts = c.points_by_tier.get(tier.name, c.points)
                if pts > 0:
                    out.append(
                        _bucket(
                            id=entry_id("birthday", member.id, c.id, year),
                            client_id=member.id,
                            kind="birthday",
                            points=pts,
                            at=now,
                            available_at=now,
                            expires_at=(c.expire_after or program.points.expire_after).after(now),
                            campaign_id=c.id,
                            reason=f"Birthday bonus {year}: {c.title}",
                        )
                    )
                break
    return out


def _referral_campaign(program: Program, link: ReferralLink) -> ReferralCampaign | None:
    for c in program.campaigns:
        if c.id == link.campaign_id and c.kind == "referral":
            return c
    return None


def referral_discount(
    program: Program, member: Member, receipts_history: Sequence[Receipt], at: dt.datetime
) -> Decimal:
    """The till discount percent a referred newcomer has on a purchase at `at` (0 if none)."""
    link = member.referred_by
    if link is None:
        return Decimal(0)
    c = _referral_campaign(program, link)
    if c is None:
        return Decimal(0)
    since = link.registered_at
    made = sum(1 for r in receipts_history if r.kind == "sale" and since <= r.at < at)
    return c.newcomer_discount_percent if made < c.newcomer_discount_purchases else Decimal(0)


def on_referral_unlock(
    program: Program, member: Member, receipts_history: Sequence[Receipt], now: dt.datetime
) -> list[LedgerEntry]:
    """The code owner's reward, once the newcomer's first purchase after registering has
    passed the return window without being returned in full (entries go to the owner's
    ledger: client_id is the owner). Only the first purchase counts."""
    link = member.referred_by
    if link is None:
        return []
    c = _referral_campaign(program, link)
    if c is None:
        return []
    sales = sorted(
        (r for r in receipts_history if r.kind == "sale" and r.at >= link.registered_at), key=lambda r: (r.at, r.id)
    )
    if not sales:
        return []
    first = sales[0]
    unlock = program.points.return_window.after(first.at)
    if now < unlock:
        return []
    returned = sum(
        r.total for r in receipts_history if r.kind == "return" and r.refers_to == first.id and r.at <= unlock
    )
    kept = first.total - returned
    if kept <= 0 or kept < c.min_first_purchase_kopecks:
        return []
    pts = c.stylist_points if link.owner_kind == "stylist" else c.referrer_points
    if pts <= 0:
        return []
    return [
        _bucket(
            id=entry_id("referral", member.id, c.id),
            client_id=link.owner_id,
            kind="referral",
            points=pts,
            at=unlock,
            available_at=unlock,
            expires_at=(c.expire_after or program.points.expire_after).after(unlock),
            campaign_id=c.id,
            reason=f"Referral reward: a newcomer's first purchase with code {link.code} was kept",
        )
    ]


def referral_code(program: Program, owner_id: str) -> str:
    """A stable, unambiguous code for a client or stylist, e.g. 'INT-K7Q2M4XA'. The hub
    stores code -> owner; the same owner always gets the same code."""
    digest = uuid.uuid5(NS, f"referral-code|{program.id}|{owner_id}").bytes
    body = base64.b32encode(digest[:5]).decode()
    return f"{program.id[:3].upper()}-{body}"


# --- summary ------------------------------------------------------------------------------


def summary(
    program: Program,
    ledger: Sequence[LedgerEntry],
    receipts: Sequence[Receipt],
    now: dt.datetime,
    birthday: dt.date | None = None,
    expiring_within_days: int | None = None,
    tier_floor: TierFloor | None = None,
) -> AccountSummary:
    """What the client and the consultant see: tier, progress, balance, pending and
    expiring points. Due expiries count as done (as the expiry job would leave them).
    `tier_floor`: a tier she holds until a moment whatever she spends (an imported one)."""
    now = now.astimezone(UTC)
    days = program.points.expiring_soon_days if expiring_within_days is None else expiring_within_days
    spend = spend_in_window(program, receipts, now)
    tier = floored(program, program.tier_for(spend), tier_floor, now)
    nxt = program.next_tier(tier)
    start = program.tier_window.before(now)

    sales = sorted((r for r in receipts if r.kind == "sale" and start < r.at <= now), key=lambda r: (r.at, r.id))
    drops = sorted(_drop_out(program, s.at) for s in sales)
    deadline = drops[0] if (nxt and drops) else None
    valid_until = None
    if tier is not program.tiers[0]:
        # The first moment, with nothing more bought, her tier is lower: a purchase leaves
        # the window or the floor lapses.
        lapse = [tier_floor[1]] if tier_floor is not None and tier_floor[1] > now else []
        rank = program.tiers.index(tier)
        for d in sorted([*drops, *lapse]):
            if program.tiers.index(tier_at(program, receipts, d, tier_floor=tier_floor)) < rank:
                valid_until = d
                break

    live = [b for b in _buckets(ledger).values() if b.remaining > 0]
    available = sum(b.remaining for b in live if _usable(b, now))
    pending: dict[dt.datetime, int] = {}
    for b in live:
        if b.head.available_at > now:
            pending[b.head.available_at] = pending.get(b.head.available_at, 0) + b.remaining
    horizon = now + dt.timedelta(days=days)
    expiring: dict[dt.datetime, int] = {}
    for b in live:
        if _usable(b, now) and b.head.expires_at is not None and b.head.expires_at <= horizon:
            expiring[b.head.expires_at] = expiring.get(b.head.expires_at, 0) + b.remaining

    next_bday = None
    if birthday is not None:
        today = now.astimezone(program.tz).date()
        for year in (today.year, today.year + 1):
            day = _birthday_in(birthday, year)
            if day < today:
                continue
            noon = dt.datetime(day.year, day.month, day.day, 12, tzinfo=program.tz)
            if any(
                isinstance(c, BirthdayCampaign)
                and c.active_at(noon)
                and c.points_by_tier.get(tier.name, c.points) > 0
                and c.applies_to(tier.name)
                for c in program.campaigns
            ):
                next_bday = day
            break

    return AccountSummary(
        as_of=now,
        tier=tier.name,
        tier_percent=tier.accrual_percent,
        tier_benefits=tier.benefits,
        tier_valid_until=valid_until,
        spend_12m=spend,
        window_starts=start,
        next_tier=nxt.name if nxt else None,
        next_tier_percent=nxt.accrual_percent if nxt else None,
        to_next_tier=max(0, nxt.min_spend_kopecks - spend) if nxt else None,
        next_tier_deadline=deadline,
        balance=available,
        balance_kopecks=available * program.point_value_kopecks,
        pending_total=sum(pending.values()),
        pending=[PointsAt(points=p, at=t) for t, p in sorted(pending.items())],
        expiring=[PointsAt(points=p, at=t) for t, p in sorted(expiring.items())],
        expiring_within_days=days,
        max_redeem_percent=program.redemption.max_percent,
        campaigns=[
            c.title for c in program.active_campaigns(now, tier=tier.name) if c.kind in ("extra_percent", "multiplier")
        ],
        next_birthday_bonus=next_bday,
    )


# --- when the figures next change ---------------------------------------------------------


def _birthday_due(
    program: Program, client_id: str, born: dt.date, ledger: Sequence[LedgerEntry], now: dt.datetime, tried: bool
) -> dt.datetime | None:
    """When the job should next look at this client's birthday: the opening (local
    midnight) of the next window whose bonus the ledger does not hold yet. A window open
    at `now` answers `now`, or, when the job has just `tried` it (the campaign was not
    running, or not for her tier), the next local midnight still inside it."""
    ids = {e.id for e in ledger}
    today = now.astimezone(program.tz).date()
    best: dt.datetime | None = None
    for c in program.campaigns:
        if not isinstance(c, BirthdayCampaign):
            continue
        for year in (today.year - 1, today.year, today.year + 1):
            day = _birthday_in(born, year)
            first, last = day - dt.timedelta(days=c.days_before), day + dt.timedelta(days=c.days_after)
            if last < today or entry_id("birthday", client_id, c.id, year) in ids:
                continue
            at = dt.datetime(first.year, first.month, first.day, tzinfo=program.tz).astimezone(UTC)
            if at <= now:
                nxt = today + dt.timedelta(days=1)
                at = now if not tried else dt.datetime(nxt.year, nxt.month, nxt.day, tzinfo=program.tz)
                if nxt > last and tried:
                    continue
            if best is None or at < best:
                best = at.astimezone(UTC)
            break
    return best


def next_change(
    program: Program,
    ledger: Sequence[LedgerEntry],
    receipts: Sequence[Receipt],
    now: dt.datetime,
    member: Member | None = None,
    *,
    birthday_tried: bool = False,
    tier_floor: TierFloor | None = None,
) -> dt.datetime | None:
    """The next moment at which the client's published figures change with no new
    event: a pending bucket unlocks, a bucket expires or enters the "expiring soon"
    horizon, a purchase leaves the tier window (spend, tier, deadline), a campaign starts
    or ends, a birthday window opens with its bonus not yet in the ledger, a referred
    newcomer's first purchase clears its pending period (the referrer's reward), a tier
    floor lapses. None:
    nothing is scheduled. Later than `now`, except a birthday window open at `now` that
    the job has not tried yet (see _birthday_due)."""
    now = now.astimezone(UTC)
    times: list[dt.datetime] = []
    soon = dt.timedelta(days=program.points.expiring_soon_days)
    for b in _buckets(ledger).values():
        if b.remaining <= 0:
            continue
        h = b.head
        times.append(h.available_at)
        if h.expires_at is not None:
            times += [h.expires_at, h.expires_at - soon]
    start = program.tier_window.before(now)
    times += [_drop_out(program, r.at) for r in receipts if r.kind == "sale" and start < r.at]
    if tier_floor is not None:
        times.append(tier_floor[1])
    for c in [*program.campaigns, *program.offers]:
        times += [t for t in (c.starts, c.ends) if t is not None]
    if member is not None and member.referred_by is not None:
        first = min(
            (r for r in receipts if r.kind == "sale" and r.at >= member.referred_by.registered_at),
            key=lambda r: (r.at, r.id),
            default=None,
        )
        if first is not None:
            times.append(program.points.return_window.after(first.at))
    later = [t for t in times if t > now]
    if member is not None and member.birthday is not None:
        due = _birthday_due(program, member.id, member.birthday, ledger, now, birthday_tried)
        if due is not None:
            later.append(due)
    return min(later) if later else None
