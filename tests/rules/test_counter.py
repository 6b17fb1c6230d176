"""The counter calculation (sync.rules.counter): caps, sale items, what she would earn, and
the same figures as the hub's purchase rules give for the receipt that follows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.hub import loyalty as rules
from sync.hub.loyalty_service import counter_rules
from sync.rules import counter

INTERMODA = rules.builtin_program("intermoda")
DBOUTIQUE = rules.builtin_program("dboutique")
AT = dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC)  # Black Friday (INTERMODA x2) and after Ramadan


def test_intermoda_caps_at_twenty_percent_and_excludes_sale_items():
    r = counter_rules(INTERMODA, "Classic", dt.datetime(2026, 1, 10, tzinfo=dt.UTC))
    q = counter.quote(r, 10_000, counter.basket(total=1_500_000, sale=500_000))  # 15,000 RUB, 5,000 on sale
    assert q.cap_kopecks == 200_000 and q.cap_points == 2_000  # 20% of the 10,000 RUB of ordinary goods
    assert q.max_points == 2_000 and q.excluded_kopecks == 500_000
    assert q.to_pay == 1_300_000
    # 5% of what is paid in money on ordinary goods (10,000 - 2,000 RUB); the sale item earns nothing
    assert q.earn_points == 400 and q.earn_without_points == 500


def test_the_balance_limits_and_a_smaller_request_is_kept():
    r = counter_rules(INTERMODA, "Classic", dt.datetime(2026, 1, 10, tzinfo=dt.UTC))
    q = counter.quote(r, 150, counter.basket(total=1_000_000))
    assert (q.cap_points, q.max_points, q.redeem_points) == (2_000, 150, 150)
    assert counter.quote(r, 10_000, counter.basket(total=1_000_000), redeem=300).redeem_points == 300
    assert counter.quote(r, 10_000, counter.basket(total=1_000_000), redeem=99_999).redeem_points == 2_000


def test_a_till_discount_counts_against_the_cap():
    r = counter_rules(INTERMODA, "Classic", dt.datetime(2026, 1, 10, tzinfo=dt.UTC))
    q = counter.quote(r, 10_000, counter.basket(total=1_000_000, discount=150_000))  # 15% off, cap 20%
    assert q.cap_kopecks == 50_000


def test_dboutique_lets_points_pay_everything_even_sale_items():
    r = counter_rules(DBOUTIQUE, "Silver", dt.datetime(2026, 1, 10, tzinfo=dt.UTC))
    q = counter.quote(r, 100_000, counter.basket(total=1_500_000, sale=500_000))
    assert q.cap_points == 15_000 and q.max_points == 15_000 and q.excluded_kopecks == 0 and q.to_pay == 0


def test_a_basket_whose_parts_exceed_it_is_refused():
    with pytest.raises(ValueError):
        counter.basket(total=100, sale=200)
    with pytest.raises(ValueError):
        counter.basket(total=100, sale=50, discount=60)


def test_rules_survive_the_round_trip_through_the_account():
    r = counter_rules(INTERMODA, "Premium", AT)
    assert r.multiplier == Decimal(2) and r.extra_percents == (Decimal(5),)
    assert counter.CounterRules.from_data(r.to_data()) == r


lines = st.lists(
    st.tuples(st.integers(0, 5_000_000), st.integers(1, 3), st.integers(0, 100), st.booleans()), min_size=1, max_size=5
)


@settings(max_examples=150, deadline=None)
@given(
    program=st.sampled_from([INTERMODA, DBOUTIQUE]),
    raw=lines,
    balance=st.integers(0, 200_000),
    at=st.sampled_from([AT, dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC), dt.datetime(2026, 1, 10, tzinfo=dt.UTC)]),
)
def test_a_quote_agrees_with_the_purchase_that_follows(program, raw, balance, at):
    """Pay the quoted points on the quoted basket: the hub's purchase rules redeem exactly
    them and earn exactly what the quote said."""
    items = [
        rules.ReceiptLine(sku=f"s{k}", price=p, qty=q, discount=p * q * d // 100, sale=s)
        for k, (p, q, d, s) in enumerate(raw)
    ]
    grant = rules.grant(program, "c", "g", balance, at - dt.timedelta(days=1), "stock") if balance else None
    ledger = [grant] if grant else []
    tier = program.tiers[0].name
    q = counter.quote(
        counter_rules(program, tier, at),
        balance,
        [counter.BasketLine(full=x.full, discount=x.discount, sale=x.sale) for x in items],
    )
    receipt = rules.Receipt(id="r1", at=at, total=sum(x.amount for x in items), lines=items, redeem_points=q.max_points)
    res = rules.on_purchase(program, rules.Member(id="c"), ledger, [], receipt, at)
    assert res.applied_redemption == q.max_points
    assert res.redeem_cap_points == q.cap_points
    assert res.accrual == q.earn_points
