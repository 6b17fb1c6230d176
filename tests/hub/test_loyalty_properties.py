"""Property tests: random programs and random client histories (purchases with sale
items, discounts and redemption requests, partial returns, promo grants, birthdays,
expiry runs) must keep the ledger's invariants at every step."""

from __future__ import annotations

import datetime as dt
import math
import os
from decimal import Decimal
from fractions import Fraction

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sync.hub.loyalty import (
    LedgerEntry,
    Member,
    Program,
    Receipt,
    ReceiptLine,
    available_points,
    balance,
    builtin_program,
    check_ledger,
    grant,
    max_redeem,
    on_birthday,
    on_purchase,
    on_return,
    pending_points,
    run_expiry,
    summary,
)

UTC = dt.UTC
START = dt.datetime(2026, 1, 1, 9, tzinfo=UTC)
EXAMPLES = int(os.environ.get("VITRINE_LOYALTY_EXAMPLES", "150"))  # raise for a long soak
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- strategies ----------------------------------------------------------------------------

percents = st.decimals(min_value=0, max_value=100, places=1, allow_nan=False, allow_infinity=False)


@st.composite
def programs(draw) -> Program:
    if draw(st.booleans()):
        return builtin_program(draw(st.sampled_from(["intermoda", "dboutique"])))
    n_tiers = draw(st.integers(1, 3))
    thresholds = sorted(draw(st.sets(st.integers(1, 2_000_000), min_size=n_tiers - 1, max_size=n_tiers - 1)))
    tiers = [
        {"name": f"T{i}", "min_spend_kopecks": m * 100, "accrual_percent": draw(st.decimals(0, 15, places=1))}
        for i, m in enumerate([0, *thresholds])
    ]
    campaigns = []
    for i in range(draw(st.integers(0, 3))):
        starts = START + dt.timedelta(days=draw(st.integers(0, 200)))
        period = {
            "id": f"c{i}",
            "title": f"Campaign {i}",
            "starts": starts,
            "ends": starts + dt.timedelta(days=draw(st.integers(1, 60))),
            "tiers": draw(st.lists(st.sampled_from([t["name"] for t in tiers]), max_size=2, unique=True)),
        }
        if draw(st.booleans()):
            campaigns.append({**period, "kind": "multiplier", "factor": draw(st.sampled_from(["1.5", "2", "3"]))})
        else:
            campaigns.append({**period, "kind": "extra_percent", "percent": draw(st.decimals("0.5", 10, places=1))})
    campaigns.append(
        {
            "id": "bday",
            "title": "Birthday",
            "kind": "birthday",
            "points": draw(st.integers(0, 3_000)),
            "days_after": 3,
            "expire_after": "10 days",
        }
    )
    return Program.model_validate(
        {
            "id": "random",
            "name": "Random program",
            "point_value_kopecks": draw(st.sampled_from([100, 100, 50, 1_000])),
            "points": {
                "expire_after": draw(st.sampled_from(["30 days", "3 months", "6 months"])),
                "promo_expire_after": f"{draw(st.integers(1, 10))} days",
                "return_window": f"{draw(st.integers(0, 30))} days",
            },
            "accrual": {"sale_items": draw(st.booleans()), "on_points_paid": draw(st.booleans())},
            "redemption": {
                "max_percent": draw(percents),
                "sale_items": draw(st.booleans()),
                "cap_includes_discounts": draw(st.booleans()),
            },
            "tiers": tiers,
            "campaigns": campaigns,
        }
    )


@st.composite
def lines(draw) -> list[ReceiptLine]:
    out = []
    for i in range(draw(st.integers(0, 4))):
        price = draw(st.integers(1, 50_000_000))
        qty = draw(st.integers(1, 3))
        discount = price * qty * draw(st.sampled_from([0, 0, 0, 5, 15, 25, 100])) // 100
        out.append(ReceiptLine(sku=f"s{i}", price=price, qty=qty, discount=discount, sale=draw(st.booleans())))
    return out


gaps = st.one_of(st.integers(0, 72), st.integers(0, 24 * 60)).map(lambda h: dt.timedelta(hours=h))
buys = st.tuples(
    st.just("buy"), gaps, lines(), st.one_of(st.just(0), st.integers(0, 50_000)), st.integers(1, 50_000_000)
)
returns = st.tuples(
    st.just("return"),
    gaps,
    st.integers(0, 50),
    st.lists(st.integers(0, 3), max_size=4),
    st.fractions(0, 1, max_denominator=10),
)
ops = st.one_of(
    buys,
    buys,
    returns,
    st.tuples(st.just("grant"), gaps, st.integers(1, 20_000), st.sampled_from(["campaign", "adjustment"])),
    st.tuples(st.just("expire"), gaps),
    st.tuples(st.just("birthday"), gaps),
)


# --- an independent statement of the cap ---------------------------------------------------


def cap_bound_kopecks(p: Program, receipt: Receipt) -> Fraction:
    """What the rules promise, written without the calculator: points pay at most max_percent
    of each eligible line's price, together with its till discount when discounts count,
    and never more than the line costs."""
    bound = Fraction(0)
    for line in receipt.priced_lines():
        if line.sale and not p.redemption.sale_items:
            continue
        share = Fraction(line.price * line.qty) * Fraction(p.redemption.max_percent) / 100
        if p.redemption.cap_includes_discounts:
            share -= line.discount
        bound += max(Fraction(0), min(share, Fraction(line.price * line.qty - line.discount)))
    return bound


# --- the simulation --------------------------------------------------------------------------


class Sim:
    def __init__(self, program: Program, birthday: dt.date):
        self.p = program
        self.member = Member(id="client", birthday=birthday)
        self.ledger: list[LedgerEntry] = []
        self.receipts: list[Receipt] = []
        self.now = START
        self.seq = 0

    def check(self):
        assert check_ledger(self.ledger) == []
        assert len({e.id for e in self.ledger}) == len(self.ledger)
        due = run_expiry(self.p, self.ledger, self.now)
        s = summary(self.p, self.ledger, self.receipts, self.now)
        everything = [*self.ledger, *due]
        # The balance is the plain sum of the entries (available + pending).
        assert s.balance + s.pending_total == balance(everything)
        assert s.balance == sum(e.points for e in everything if e.available_at <= self.now)
        assert s.balance == available_points(self.ledger, self.now)
        assert s.pending_total == pending_points(self.ledger, self.now)
        assert s.balance >= 0 and s.pending_total >= 0
        assert all(x.points > 0 for x in [*s.pending, *s.expiring])

    def step(self, op):
        self.now += op[1]
        self.seq += 1
        kind = op[0]
        if kind == "buy":
            self.buy(*op[2:])
        elif kind == "return":
            self.give_back(*op[2:])
        elif kind == "grant":
            e = grant(self.p, self.member.id, f"g{self.seq}", op[2], self.now, "Promo", kind=op[3])
            self.ledger.append(e)
        elif kind == "expire":
            fresh = run_expiry(self.p, self.ledger, self.now)
            self.ledger += fresh
            event(f"expiry: {bool(fresh)}")
            assert run_expiry(self.p, self.ledger, self.now) == []
            assert all(e.points < 0 and e.at <= self.now for e in fresh)
        elif kind == "birthday":
            got = on_birthday(self.p, self.member, self.receipts, self.now)
            assert got == on_birthday(self.p, self.member, self.receipts, self.now)
            known = {e.id for e in self.ledger}
            self.ledger += [e for e in got if e.id not in known]
        self.check()

    def buy(self, receipt_lines, redeem, qr_total):
        total = sum(x.amount for x in receipt_lines) if receipt_lines else qr_total
        r = Receipt(id=f"r{self.seq}", at=self.now, total=total, lines=receipt_lines, redeem_points=redeem)
        have = available_points(self.ledger, self.now)
        quoted = max_redeem(self.p, self.ledger, r.priced_lines(), self.now)
        res = on_purchase(self.p, self.member, self.ledger, self.receipts, r, self.now)

        pv = self.p.point_value_kopecks
        assert 0 <= res.applied_redemption <= min(redeem, have)
        assert res.applied_redemption * pv <= cap_bound_kopecks(self.p, r)
        assert res.applied_redemption == min(redeem, quoted)
        assert res.redeemed_kopecks == res.applied_redemption * pv
        assert -sum(e.points for e in res.entries if e.kind == "redemption") == res.applied_redemption
        assert sum(e.points for e in res.entries if e.kind != "redemption") == res.accrual >= 0
        if all(x.sale for x in r.priced_lines()) and not self.p.accrual.sale_items:
            assert res.accrual == 0
        if not self.p.accrual.on_points_paid:
            money = Fraction(total - res.redeemed_kopecks)
            top = max(t.accrual_percent for t in self.p.tiers) + sum(
                (c.percent for c in self.p.campaigns if c.kind == "extra_percent"), Decimal(0)
            )
            factor = max([Fraction(c.factor) for c in self.p.campaigns if c.kind == "multiplier"] or [Fraction(1)])
            assert res.accrual <= math.floor(money * Fraction(top) / 100 / pv * factor)

        # Same inputs, same answer; the ledger's order does not matter; a replay after
        # the entries were stored answers with those entries.
        assert on_purchase(self.p, self.member, self.ledger, self.receipts, r, self.now) == res
        shuffled = list(reversed(self.ledger))
        assert on_purchase(self.p, self.member, shuffled, self.receipts, r, self.now).entries == res.entries
        campaign = any(e.kind == "campaign" for e in res.entries)
        event(f"purchase: redeemed={res.applied_redemption > 0} campaign={campaign}")
        self.ledger += res.entries
        self.receipts.append(r)
        replay = on_purchase(self.p, self.member, self.ledger, self.receipts[:-1], r, self.now + dt.timedelta(days=3))
        assert replay.replayed and replay.entries == res.entries

    def give_back(self, pick, qtys, share):
        sales = [r for r in self.receipts if r.kind == "sale"]
        if not sales:
            return
        original = sales[pick % len(sales)]
        prior = [r for r in self.receipts if r.kind == "return" and r.refers_to == original.id]
        if original.lines:
            returned = {x.sku: 0 for x in original.lines}
            for r in prior:
                for x in r.lines:
                    returned[x.sku] += x.qty
            back = []
            # qtys is drawn independently of the receipt: lines without a quantity are not returned.
            for line, want in zip(original.lines, qtys, strict=False):
                k = min(want, line.qty - returned[line.sku])
                if k > 0:
                    back.append(
                        ReceiptLine(
                            sku=line.sku,
                            price=line.price,
                            qty=k,
                            discount=line.discount * k // line.qty,
                            sale=line.sale,
                        )
                    )
            if not back:
                return
            r = Receipt(
                id=f"ret{self.seq}",
                kind="return",
                refers_to=original.id,
                at=self.now,
                total=sum(x.amount for x in back),
                lines=back,
            )
        else:
            left = original.total - sum(r.total for r in prior)
            r = Receipt(
                id=f"ret{self.seq}", kind="return", refers_to=original.id, at=self.now, total=math.floor(left * share)
            )
        before = balance(self.ledger)
        res = on_return(self.p, self.ledger, original, r, self.now, prior)
        assert on_return(self.p, self.ledger, original, r, self.now, prior) == res
        assert balance(self.ledger) + sum(e.points for e in res.entries) == (
            before + res.restored_points - res.reversed_points
        )
        earned = sum(e.points for e in self.ledger if e.receipt_id == original.id and e.kind in ("accrual", "campaign"))
        paid = -sum(e.points for e in self.ledger if e.receipt_id == original.id and e.kind == "redemption")
        taken_before = -sum(
            e.points
            for e in self.ledger
            if e.kind == "reversal"
            and e.points < 0
            and any(e.ref_id == a.id for a in self.ledger if a.receipt_id == original.id)
        )
        # Never more back than the receipt earned or paid with points.
        assert taken_before + res.reversed_points + res.shortfall_points + res.lapsed_points <= earned
        assert res.restored_points + res.forfeited_points <= paid
        event(
            f"return: reversed={res.reversed_points > 0} restored={res.restored_points > 0} "
            f"shortfall={res.shortfall_points > 0} lapsed={res.lapsed_points > 0}"
        )
        self.ledger += res.entries
        self.receipts.append(r)
        replay = on_return(self.p, self.ledger, original, r, self.now, prior)
        assert replay.replayed and replay.entries == res.entries


@SETTINGS
@given(programs(), st.dates(dt.date(1950, 1, 1), dt.date(2008, 12, 31)), st.lists(ops, min_size=3, max_size=25))
def test_random_histories_keep_the_ledger_invariants(program, birthday, steps):
    sim = Sim(program, birthday)
    for op in steps:
        sim.step(op)


@SETTINGS
@given(programs(), lines(), st.integers(0, 5_000_000), st.integers(0, 100_000), st.integers(1, 50_000_000))
def test_a_full_return_at_once_gives_everything_back(program, receipt_lines, redeem, stock, qr_total):
    sim = Sim(program, dt.date(1990, 1, 1))
    if stock:
        sim.ledger.append(grant(program, "client", "stock", stock, START, "Stock", kind="adjustment"))
    before_total, before_available = balance(sim.ledger), available_points(sim.ledger, START)
    total = sum(x.amount for x in receipt_lines) if receipt_lines else qr_total
    r = Receipt(id="r", at=START, total=total, lines=receipt_lines, redeem_points=redeem)
    sim.ledger += on_purchase(program, sim.member, sim.ledger, [], r, START).entries
    back = Receipt(id="back", kind="return", refers_to="r", at=START, total=total, lines=receipt_lines)
    res = on_return(program, sim.ledger, r, back, START)
    sim.ledger += res.entries
    assert res.shortfall_points == res.forfeited_points == 0
    assert balance(sim.ledger) == before_total
    assert available_points(sim.ledger, START) == before_available
    assert check_ledger(sim.ledger) == []


@SETTINGS
@given(programs(), lines(), st.integers(0, 10**7))
def test_max_redeem_never_exceeds_the_cap_or_the_balance(program, receipt_lines, stock):
    ledger = [grant(program, "c", "stock", stock, START, "Stock", kind="adjustment")] if stock else []
    total = sum(x.amount for x in receipt_lines)
    r = Receipt(id="r", at=START, total=total, lines=receipt_lines)
    got = max_redeem(program, ledger, receipt_lines or total, START)
    assert 0 <= got <= stock
    assert got * program.point_value_kopecks <= cap_bound_kopecks(program, r)
