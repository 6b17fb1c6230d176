"""The counter calculation: how much of a basket points may pay, and what she would earn.

Written once, here, because both ends run it: the hub answers POST
/v1/clients/{id}/counter-quote with it (exact figures, its own clock and ledger), and the
device runs it offline on the figures the hub last published in her `account` (an
estimate). The hub's purchase rules (sync.hub.loyalty.calculator) take the per-line cap
from `line_cap` too, so a quote and the receipt that follows agree.

Money in kopecks, points in whole points, percents as Decimal.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any


@dataclass(frozen=True)
class CounterRules:
    """What the program file and her tier say, as of one moment (the hub publishes these in
    the account entity as `counter`, so the device can quote offline)."""

    point_value_kopecks: int = 100
    max_percent: Decimal = Decimal(100)  # points pay at most this share of a line's full price
    redeem_sale_items: bool = True  # points may pay for sale items
    cap_includes_discounts: bool = True  # a till discount counts against the cap
    accrue_sale_items: bool = False  # sale items earn points
    accrue_on_points_paid: bool = False  # the part paid with points earns points
    tier_percent: Decimal = Decimal(0)  # her tier's accrual percent
    extra_percents: tuple[Decimal, ...] = ()  # running "+N%" campaigns for her tier
    multiplier: Decimal | None = None  # the best running "x N" campaign for her tier

    def to_data(self) -> dict[str, Any]:
        return {
            "point_value_kopecks": self.point_value_kopecks,
            "max_percent": str(self.max_percent),
            "redeem_sale_items": self.redeem_sale_items,
            "cap_includes_discounts": self.cap_includes_discounts,
            "accrue_sale_items": self.accrue_sale_items,
            "accrue_on_points_paid": self.accrue_on_points_paid,
            "tier_percent": str(self.tier_percent),
            "extra_percents": [str(p) for p in self.extra_percents],
            "multiplier": None if self.multiplier is None else str(self.multiplier),
        }

    @classmethod
    def from_data(cls, d: Mapping[str, Any]) -> CounterRules:
        mult = d.get("multiplier")
        return cls(
            point_value_kopecks=int(d.get("point_value_kopecks") or 100),
            max_percent=Decimal(str(d.get("max_percent", 100))),
            redeem_sale_items=bool(d.get("redeem_sale_items", True)),
            cap_includes_discounts=bool(d.get("cap_includes_discounts", True)),
            accrue_sale_items=bool(d.get("accrue_sale_items", False)),
            accrue_on_points_paid=bool(d.get("accrue_on_points_paid", False)),
            tier_percent=Decimal(str(d.get("tier_percent", 0))),
            extra_percents=tuple(Decimal(str(p)) for p in d.get("extra_percents") or ()),
            multiplier=None if mult is None else Decimal(str(mult)),
        )


@dataclass(frozen=True)
class BasketLine:
    """One line of the basket: `full` is price x qty before the till discount."""

    full: int
    discount: int = 0
    sale: bool = False

    def __post_init__(self) -> None:
        if self.full < 0 or self.discount < 0 or self.discount > self.full:
            raise ValueError("a line's amount and discount must be >= 0, the discount at most the amount")

    @property
    def amount(self) -> int:
        return self.full - self.discount


@dataclass(frozen=True)
class Quote:
    total: int  # kopecks due for the basket (after till discounts)
    cap_kopecks: int  # what points may pay under the program's caps
    cap_points: int  # the same in points
    balance: int  # her available points
    max_points: int  # the most she may pay with: min(balance, cap)
    redeem_points: int  # what this quote assumes she pays with (default: max_points)
    to_pay: int  # kopecks left to pay after points
    earn_points: int  # what the purchase would earn, paying `redeem_points`
    earn_without_points: int  # what it would earn paying nothing with points
    excluded_kopecks: int  # amount of lines points may not pay at all (sale items)
    line_caps: list[int] = field(default_factory=list)

    def to_data(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "cap_kopecks": self.cap_kopecks,
            "cap_points": self.cap_points,
            "balance": self.balance,
            "max_points": self.max_points,
            "redeem_points": self.redeem_points,
            "to_pay": self.to_pay,
            "earn_points": self.earn_points,
            "earn_without_points": self.earn_without_points,
            "excluded_kopecks": self.excluded_kopecks,
            "line_caps": self.line_caps,
        }


def line_cap(
    full: int, discount: int, sale: bool, max_percent: Decimal, redeem_sale_items: bool, cap_includes_discounts: bool
) -> int:
    """Kopecks of one line that points may pay: `max_percent` of its full price, less the till
    discount when discounts count against the cap, never above what is due."""
    if sale and not redeem_sale_items:
        return 0
    cap = math.floor(Fraction(full) * Fraction(max_percent) / 100)
    if cap_includes_discounts:
        cap -= discount
    return max(0, min(cap, full - discount))


def earn(rules: CounterRules, lines: Sequence[BasketLine], caps: Sequence[int], redeemed_kopecks: int) -> int:
    """Points a purchase of `lines` earns when `redeemed_kopecks` of it are paid with points
    (the tier's percent, each running extra percent, then the best multiplier; each
    rounded down, as the hub's purchase rules do)."""
    accruing = [i for i, line in enumerate(lines) if rules.accrue_sale_items or not line.sale]
    base = Fraction(sum(lines[i].amount for i in accruing))
    if redeemed_kopecks and not rules.accrue_on_points_paid and sum(caps):
        base -= redeemed_kopecks * Fraction(sum(caps[i] for i in accruing), sum(caps))
    base = max(base, Fraction(0))
    pv = rules.point_value_kopecks

    def points_for(pct: Decimal) -> int:
        return math.floor(base * Fraction(pct) / 100 / pv)

    subtotal = points_for(rules.tier_percent)
    if base > 0:
        subtotal += sum(points_for(p) for p in rules.extra_percents)
        if rules.multiplier is not None:
            tier_and_extra = subtotal
            subtotal += max(0, math.floor((Fraction(rules.multiplier) - 1) * tier_and_extra))
    return subtotal


def quote(rules: CounterRules, balance: int, lines: Sequence[BasketLine], redeem: int | None = None) -> Quote:
    """The counter figures for a basket: the most points allowed (caps and balance) and
    what she would earn. `redeem` asks for a smaller redemption (clamped like the till's)."""
    caps = [
        line_cap(x.full, x.discount, x.sale, rules.max_percent, rules.redeem_sale_items, rules.cap_includes_discounts)
        for x in lines
    ]
    pv = rules.point_value_kopecks
    cap_kopecks = sum(caps)
    cap_points = cap_kopecks // pv
    most = max(0, min(balance, cap_points))
    use = most if redeem is None else max(0, min(redeem, most))
    total = sum(x.amount for x in lines)
    return Quote(
        total=total,
        cap_kopecks=cap_kopecks,
        cap_points=cap_points,
        balance=balance,
        max_points=most,
        redeem_points=use,
        to_pay=total - use * pv,
        earn_points=earn(rules, lines, caps, use * pv),
        earn_without_points=earn(rules, lines, caps, 0),
        excluded_kopecks=sum(x.amount for x in lines if x.sale and not rules.redeem_sale_items),
        line_caps=caps,
    )


def basket(total: int, sale: int = 0, discount: int = 0) -> list[BasketLine]:
    """A basket typed at the counter as sums: everything, of which sale items, and a till
    discount on the ordinary goods. ValueError when the parts exceed the whole."""
    if total < 0 or sale < 0 or discount < 0 or sale > total or discount > total - sale:
        raise ValueError("the sale part and the discount cannot exceed the basket's sum")
    lines = []
    if total - sale:
        lines.append(BasketLine(full=total - sale, discount=discount))
    if sale:
        lines.append(BasketLine(full=sale, sale=True))
    return lines
