"""Worked examples of the loyalty rules, taken from the seed case studies:
INTERMODA (5% / 10% from 500,000 RUB a year, redeem up to 20%, nothing on sale items,
6-month points, fast-burning promo points) and D'Boutique (Silver / Gold / Platinum,
pay up to 100% with points, Ramadan +5%, double points, birthday bonuses), plus the
YOU referral scheme (reward after the return window if the goods are kept)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from sync.hub.loyalty import (
    LedgerEntry,
    Member,
    ProgramError,
    Receipt,
    ReceiptLine,
    ReferralCode,
    available_points,
    balance,
    builtin_program,
    check_ledger,
    deduct,
    entry_id,
    fiscal_receipt_id,
    grant,
    load_program,
    max_redeem,
    on_birthday,
    on_purchase,
    on_referral_unlock,
    on_register,
    on_return,
    pending_points,
    receipt_from_record,
    redeem_cap_kopecks,
    referral_code,
    referral_discount,
    run_expiry,
    summary,
)

UTC = dt.UTC
MSK = dt.timezone(dt.timedelta(hours=3))
INTERMODA = builtin_program("intermoda")
DBOUTIQUE = builtin_program("dboutique")


def at(y: int, m: int, d: int, h: int = 12, minute: int = 0, tz: dt.tzinfo = UTC) -> dt.datetime:
    return dt.datetime(y, m, d, h, minute, tzinfo=tz).astimezone(UTC)


def rub(amount: int) -> int:
    return amount * 100


def item(sku: str, rubles: int, *, qty: int = 1, sale: bool = False, discount: int = 0) -> ReceiptLine:
    return ReceiptLine(sku=sku, name=sku, price=rub(rubles), qty=qty, sale=sale, discount=rub(discount))


class Account:
    """One client's ledger and receipts, as the hub would keep them."""

    def __init__(self, program, client_id: str = "client-1", **member):
        self.p = program
        self.member = Member(id=client_id, **member)
        self.ledger: list[LedgerEntry] = []
        self.receipts: list[Receipt] = []

    def append(self, entries):
        known = {e.id for e in self.ledger}
        self.ledger += [e for e in entries if e.id not in known]
        return entries

    def buy(self, rid: str, when: dt.datetime, *lines: ReceiptLine, redeem: int = 0, now=None):
        r = Receipt(id=rid, at=when, total=sum(x.amount for x in lines), lines=list(lines), redeem_points=redeem)
        res = on_purchase(self.p, self.member, self.ledger, self.receipts, r, now or when)
        self.append(res.entries)
        self.receipts.append(r)
        return res

    def give_back(self, rid: str, original_id: str, when: dt.datetime, *lines: ReceiptLine, total: int | None = None):
        original = next(r for r in self.receipts if r.id == original_id)
        prior = [r for r in self.receipts if r.kind == "return" and r.refers_to == original_id]
        r = Receipt(
            id=rid,
            kind="return",
            refers_to=original_id,
            at=when,
            lines=list(lines),
            total=sum(x.amount for x in lines) if lines else total,
        )
        res = on_return(self.p, self.ledger, original, r, when, prior)
        self.append(res.entries)
        self.receipts.append(r)
        return res

    def give(self, gid: str, points: int, when: dt.datetime, **kw):
        e = grant(self.p, self.member.id, gid, points, when, f"Grant {gid}", **kw)
        self.append([e])
        return e

    def expire(self, now: dt.datetime):
        return self.append(run_expiry(self.p, self.ledger, now))

    def available(self, t: dt.datetime) -> int:
        return available_points(self.ledger, t)

    def of_receipt(self, rid: str) -> int:
        return sum(e.points for e in self.ledger if e.receipt_id == rid)


# --- program files ---------------------------------------------------------------------


def test_shipped_programs_carry_the_case_study_rules():
    assert INTERMODA.redemption.max_percent == 20
    assert not INTERMODA.redemption.sale_items and not INTERMODA.accrual.sale_items
    assert [(t.name, t.min_spend_kopecks, t.accrual_percent) for t in INTERMODA.tiers] == [
        ("Classic", 0, Decimal(5)),
        ("Premium", rub(500_000), Decimal(10)),
    ]
    assert INTERMODA.points.expire_after.months == 6
    assert INTERMODA.points.promo_expire_after.days == 3
    assert DBOUTIQUE.redemption.max_percent == 100
    assert [t.name for t in DBOUTIQUE.tiers] == ["Silver", "Gold", "Platinum"]


def test_the_example_in_the_docs_is_a_valid_program():
    doc = (Path(__file__).parents[2] / "docs" / "loyalty.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(.*?)```", doc, re.S)
    assert example is not None, "docs/loyalty.md has no ```toml example"
    p = load_program(example[1])
    assert (p.id, p.redemption.max_percent, [c.kind for c in p.campaigns]) == (
        "intermoda",
        Decimal(20),
        ["multiplier", "birthday"],
    )


def test_a_program_loads_from_a_path_string():
    path = Path(__file__).parents[2] / "sync" / "hub" / "loyalty" / "programs" / "intermoda.toml"
    assert load_program(str(path)) == INTERMODA
    with pytest.raises(ProgramError, match="cannot read"):
        load_program("nowhere/missing.toml")


def test_percent_is_read_as_an_exact_decimal():
    p = load_program(MINIMAL.replace("accrual_percent = 5", "accrual_percent = 2.3"))
    assert p.tiers[0].accrual_percent == Decimal("2.3")
    r = Receipt(id="r", at=at(2026, 1, 1), total=rub(100_000))
    # 2.3% of 100,000 RUB is exactly 2,300 points (a binary float would give 2299).
    assert on_purchase(p, Member(id="c"), [], [], r, r.at).accrual == 2_300


MINIMAL = """
id = "mini"
name = "Minimal"
[[tiers]]
name = "Base"
min_spend_kopecks = 0
accrual_percent = 5
"""


@pytest.mark.parametrize(
    "change, complaint",
    [
        ("min_spend_kopecks = 0", "first tier must start"),
        ("accrual_percent = 5", "less than or equal to 100"),
        ('name = "Minimal"', "duration"),
        ('id = "mini"', "pattern"),
    ],
)
def test_bad_program_files_are_refused_with_a_clear_message(change, complaint):
    broken = {
        "min_spend_kopecks = 0": "min_spend_kopecks = 100",
        "accrual_percent = 5": "accrual_percent = 500",
        'name = "Minimal"': 'name = "Minimal"\ntier_window = "one year"',
        'id = "mini"': 'id = "Mini Program!"',
    }[change]
    with pytest.raises(ProgramError, match=complaint):
        load_program(MINIMAL.replace(change, broken))


def test_campaign_naming_an_unknown_tier_is_refused():
    text = MINIMAL + '[[campaigns]]\nid = "x"\nkind = "extra_percent"\ntitle = "X"\npercent = 5\ntiers = ["Gold"]\n'
    with pytest.raises(ProgramError, match="unknown tiers: Gold"):
        load_program(text)


def test_not_toml_is_refused():
    with pytest.raises(ProgramError, match="not valid TOML"):
        load_program("id = \n[[")


def test_a_bare_end_date_includes_that_whole_local_day():
    ramadan = next(c for c in DBOUTIQUE.campaigns if c.id == "ramadan-2026")
    assert not ramadan.active_at(at(2026, 2, 17, 23, 59, tz=MSK))
    assert ramadan.active_at(at(2026, 2, 18, 0, 0, tz=MSK))
    assert ramadan.active_at(at(2026, 3, 19, 23, 59, tz=MSK))
    assert not ramadan.active_at(at(2026, 3, 20, 0, 0, tz=MSK))


# --- accrual, tiers ----------------------------------------------------------------------


def test_intermoda_accrues_5_percent_pending_for_the_return_window():
    acc = Account(INTERMODA)
    res = acc.buy("r1", at(2026, 1, 10), item("coat", 35_000))
    assert (res.tier, res.accrual) == ("Classic", 1_750)
    assert res.available_at == at(2026, 1, 24)
    assert "5% of 35,000.00 RUB" in res.entries[0].reason
    just_before = at(2026, 1, 24) - dt.timedelta(seconds=1)
    assert (acc.available(just_before), pending_points(acc.ledger, just_before)) == (0, 1_750)
    assert (acc.available(at(2026, 1, 24)), pending_points(acc.ledger, at(2026, 1, 24))) == (1_750, 0)
    # Unlocked points live 6 months from the unlock.
    assert res.entries[0].expires_at == at(2026, 7, 24)


def test_tier_follows_the_rolling_12_month_spend_at_purchase_time():
    acc = Account(INTERMODA)
    assert acc.buy("jan", at(2026, 1, 10), item("coat", 300_000)).accrual == 15_000
    assert acc.buy("jun", at(2026, 6, 1), item("bag", 190_000)).accrual == 9_500
    # This purchase crosses 500,000 RUB, but the tier is the one before it: still 5%.
    crossing = acc.buy("jul", at(2026, 7, 1), item("scarf", 20_000))
    assert (crossing.tier, crossing.accrual) == ("Classic", 1_000)
    premium = acc.buy("aug", at(2026, 8, 1), item("jacket", 100_000))
    assert (premium.tier, premium.accrual) == ("Premium", 10_000)

    s = summary(INTERMODA, acc.ledger, acc.receipts, at(2026, 8, 2))
    assert (s.tier, s.tier_percent, s.spend_12m) == ("Premium", Decimal(10), rub(610_000))
    assert s.next_tier is None and s.to_next_tier is None
    # When the January coat leaves the window, 310,000 RUB is below the threshold.
    assert s.tier_valid_until == at(2027, 1, 10)

    back = acc.buy("jan27", at(2027, 1, 11), item("belt", 10_000))
    assert (back.tier, back.accrual) == ("Classic", 500)
    s = summary(INTERMODA, acc.ledger, acc.receipts, at(2027, 1, 11, 13))
    assert (s.tier, s.spend_12m, s.next_tier) == ("Classic", rub(320_000), "Premium")
    assert s.to_next_tier == rub(180_000)
    assert s.next_tier_deadline == at(2027, 6, 1)  # the June bag drops out then


def test_returns_lower_the_tier_spend():
    acc = Account(INTERMODA)
    acc.buy("big", at(2026, 1, 10), item("coat", 300_000), item("bag", 250_000))
    acc.give_back("ret", "big", at(2026, 1, 12), item("bag", 250_000))
    assert acc.buy("next", at(2026, 1, 13), item("belt", 10_000)).tier == "Classic"


def test_dboutique_tiers_and_ramadan_plus_5_percent():
    acc = Account(DBOUTIQUE)
    res = acc.buy("r", at(2026, 3, 1), item("abaya", 100_000))
    assert res.tier == "Silver"
    assert [(e.kind, e.points, e.campaign_id) for e in res.entries] == [
        ("accrual", 3_000, None),
        ("campaign", 5_000, "ramadan-2026"),
    ]
    assert res.accrual == 8_000
    assert "+5%" in res.entries[1].reason


def test_double_points_only_inside_the_campaign_period():
    acc = Account(DBOUTIQUE)
    inside = acc.buy("in", at(2026, 5, 17, 23, 30, tz=MSK), item("dress", 100_000))
    assert [(e.kind, e.points) for e in inside.entries] == [("accrual", 3_000), ("campaign", 3_000)]
    assert "x2" in inside.entries[1].reason
    outside = acc.buy("out", at(2026, 5, 18, 0, 0, tz=MSK), item("dress", 100_000))
    assert [(e.kind, e.points) for e in outside.entries] == [("accrual", 3_000)]


def test_extra_percent_for_one_tier_and_multiplier_on_top():
    premium = Account(INTERMODA, "vip")
    premium.buy("oct", at(2026, 10, 5), item("fur", 500_000))
    nov = premium.buy("nov", at(2026, 11, 10), item("coat", 100_000))
    assert [(e.kind, e.points) for e in nov.entries] == [("accrual", 10_000), ("campaign", 5_000)]
    # Black Friday doubles everything the purchase earns: (10% + 5%) x 2.
    bf = premium.buy("bf", at(2026, 11, 28), item("coat", 100_000))
    assert [(e.campaign_id, e.points) for e in bf.entries] == [
        (None, 10_000),
        ("premium-november-2026", 5_000),
        ("black-friday-2026", 15_000),
    ]

    classic = Account(INTERMODA, "new")
    assert classic.buy("nov", at(2026, 11, 10), item("coat", 100_000)).accrual == 5_000


# --- redemption --------------------------------------------------------------------------


def test_intermoda_points_pay_at_most_20_percent():
    acc = Account(INTERMODA)
    acc.give("stock", 50_000, at(2026, 1, 1), kind="adjustment")
    assert max_redeem(INTERMODA, acc.ledger, [item("coat", 100_000)], at(2026, 1, 5)) == 20_000
    res = acc.buy("r", at(2026, 1, 5), item("coat", 100_000), redeem=50_000)
    assert (res.applied_redemption, res.redeemed_kopecks, res.redeem_cap_points) == (20_000, rub(20_000), 20_000)
    assert res.accrual == 4_000  # 5% of the 80,000 RUB paid in money
    assert acc.available(at(2026, 1, 5)) == 30_000
    assert res.notes and "redeemed 20000" in res.notes[0]


def test_intermoda_sale_items_neither_earn_nor_take_points():
    acc = Account(INTERMODA)
    acc.give("stock", 50_000, at(2026, 1, 1), kind="adjustment")
    res = acc.buy("mixed", at(2026, 1, 5), item("coat", 60_000), item("old-bag", 40_000, sale=True), redeem=50_000)
    assert res.applied_redemption == 12_000  # 20% of the 60,000 RUB coat only
    assert res.accrual == 2_400  # 5% of 60,000 - 12,000
    only_sale = acc.buy("sale", at(2026, 1, 6), item("old-bag", 40_000, sale=True), redeem=1_000)
    assert (only_sale.applied_redemption, only_sale.accrual, only_sale.redeem_cap_points) == (0, 0, 0)
    assert "sale items only" in only_sale.entries[0].reason


def test_till_discounts_and_points_never_stack_beyond_the_cap():
    assert redeem_cap_kopecks(INTERMODA, [item("coat", 100_000, discount=15_000)]) == rub(5_000)
    assert redeem_cap_kopecks(INTERMODA, [item("coat", 100_000, discount=25_000)]) == 0
    assert redeem_cap_kopecks(INTERMODA, [item("coat", 100_000)]) == rub(20_000)
    # At 100% the cap is simply what is left to pay.
    assert redeem_cap_kopecks(DBOUTIQUE, [item("coat", 100_000, discount=10_000)]) == rub(90_000)
    assert redeem_cap_kopecks(INTERMODA, rub(100_000)) == rub(20_000)


def test_dboutique_points_pay_the_whole_purchase():
    acc = Account(DBOUTIQUE)
    acc.give("stock", 40_000, at(2026, 4, 1), kind="adjustment")
    res = acc.buy("r", at(2026, 4, 2), item("coat", 35_000), redeem=40_000)
    assert (res.applied_redemption, res.accrual) == (35_000, 0)
    assert "paid with points" in res.entries[-1].reason
    assert acc.available(at(2026, 4, 2)) == 5_000


def test_redemption_takes_soonest_expiring_points_first_and_expiry_takes_the_rest():
    acc = Account(INTERMODA)
    accrual = acc.buy("r1", at(2026, 1, 1), item("coat", 100_000)).entries[0]
    assert (accrual.points, accrual.expires_at) == (5_000, at(2026, 7, 15))
    promo = acc.give("flash", 1_000, at(2026, 1, 20))  # fast-burning: 3 days
    assert promo.expires_at == at(2026, 1, 23)

    res = acc.buy("r2", at(2026, 1, 21), item("shoes", 20_000), redeem=1_500)
    assert [(e.bucket_id, e.points) for e in res.entries if e.kind == "redemption"] == [
        (promo.id, -1_000),
        (accrual.id, -500),
    ]
    assert acc.expire(at(2026, 1, 24)) == []  # the promo points were used in time

    expired = acc.expire(at(2026, 7, 15))
    assert [(e.bucket_id, e.points, e.at) for e in expired] == [(accrual.id, -4_500, at(2026, 7, 15))]
    assert "4500 of 5000 points" in expired[0].reason
    assert acc.expire(at(2026, 7, 16)) == []  # running the job again changes nothing
    assert acc.available(at(2026, 7, 16)) == 925  # r2 earned 5% of 18,500 RUB
    assert check_ledger(acc.ledger) == []


def test_unused_fast_burning_points_expire_and_summary_shows_it():
    acc = Account(INTERMODA)
    acc.give("bf", 2_000, at(2026, 11, 27))
    s = summary(INTERMODA, acc.ledger, [], at(2026, 11, 28))
    assert s.balance == 2_000
    assert [(x.points, x.at) for x in s.expiring] == [(2_000, at(2026, 11, 30))]
    # After the expiry moment the summary already leaves them out, job or not.
    assert summary(INTERMODA, acc.ledger, [], at(2026, 12, 1)).balance == 0
    assert [e.points for e in acc.expire(at(2026, 12, 1))] == [-2_000]
    assert balance(acc.ledger) == 0


def test_expired_points_cannot_pay_even_before_the_job_runs():
    acc = Account(INTERMODA)
    acc.give("flash", 1_000, at(2026, 1, 1))  # expires at 12:00 on 4 January
    coat = Receipt(id="r", at=at(2026, 1, 4), total=rub(100_000), redeem_points=1_000)
    assert on_purchase(INTERMODA, acc.member, acc.ledger, [], coat, coat.at).applied_redemption == 0
    a_minute_earlier = coat.model_copy(update={"at": at(2026, 1, 4, 11, 59)})
    assert on_purchase(INTERMODA, acc.member, acc.ledger, [], a_minute_earlier, coat.at).applied_redemption == 1_000


# --- returns -------------------------------------------------------------------------------


def test_return_reverses_accrual_and_redemption_proportionally():
    acc = Account(INTERMODA)
    stock = acc.give("stock", 30_000, at(2026, 1, 1), kind="adjustment")
    res = acc.buy("r1", at(2026, 1, 10), item("coat", 60_000), item("bag", 40_000), redeem=20_000)
    assert (res.applied_redemption, res.accrual) == (20_000, 4_000)

    half = acc.give_back("ret1", "r1", at(2026, 1, 12), item("bag", 40_000))
    assert (half.reversed_points, half.restored_points, half.shortfall_points) == (1_600, 8_000, 0)
    restore = next(e for e in half.entries if e.points > 0)
    assert restore.expires_at == stock.expires_at  # restored points keep their expiry
    assert (acc.available(at(2026, 1, 12)), pending_points(acc.ledger, at(2026, 1, 12))) == (18_000, 2_400)

    rest = acc.give_back("ret2", "r1", at(2026, 1, 13), item("coat", 60_000))
    assert (rest.reversed_points, rest.restored_points) == (2_400, 12_000)
    assert acc.available(at(2026, 1, 13)) == 30_000
    assert pending_points(acc.ledger, at(2026, 1, 13)) == 0
    assert check_ledger(acc.ledger) == []


def test_partial_returns_add_up_exactly_to_the_whole():
    acc = Account(INTERMODA)
    line = ReceiptLine(sku="glove", price=3_333_333, qty=3)  # 99,999.99 RUB
    earned = acc.buy("r", at(2026, 2, 1), line).accrual
    assert earned == 4_999
    one = ReceiptLine(sku="glove", price=3_333_333)
    taken = [acc.give_back(f"ret{i}", "r", at(2026, 2, 2 + i), one).reversed_points for i in range(3)]
    assert taken == [1_666, 1_667, 1_666]
    assert acc.of_receipt("r") + sum(e.points for e in acc.ledger if e.ref_id and e.points < 0) == 0
    with pytest.raises(ValueError, match="more than receipt r has left"):
        acc.give_back("ret9", "r", at(2026, 2, 9), one)


def test_return_by_amount_when_only_the_qr_code_was_scanned():
    acc = Account(INTERMODA)
    acc.buy("r", at(2026, 2, 1), item("coat", 100_000))
    res = acc.give_back("ret", "r", at(2026, 2, 3), total=rub(25_000))
    assert res.reversed_points == 1_250


def test_return_after_the_points_were_spent_reports_a_shortfall():
    acc = Account(INTERMODA)
    acc.buy("r1", at(2026, 1, 10), item("coat", 100_000))  # 5,000, unlocked 24 Jan
    acc.buy("r2", at(2026, 1, 25), item("bag", 25_000), redeem=5_000)  # spends all 5,000
    res = acc.give_back("ret", "r1", at(2026, 2, 1), item("coat", 100_000))  # defective coat
    # 1,000 pending points of r2 are taken; 4,000 are gone and reported.
    assert (res.reversed_points, res.shortfall_points) == (1_000, 4_000)
    assert balance(acc.ledger) == 0
    assert check_ledger(acc.ledger) == []


def test_returning_goods_whose_points_already_expired_takes_nothing_else():
    acc = Account(INTERMODA)
    acc.buy("r1", at(2026, 1, 10), item("coat", 100_000))  # 5,000, expire 24 Jul
    assert [e.points for e in acc.expire(at(2026, 7, 25))] == [-5_000]
    acc.give("aug", 1_000, at(2026, 8, 1), kind="adjustment")
    res = acc.give_back("ret", "r1", at(2026, 8, 2), item("coat", 100_000))  # under warranty
    assert (res.reversed_points, res.lapsed_points, res.shortfall_points) == (0, 5_000, 0)
    assert acc.available(at(2026, 8, 2)) == 1_000
    [marker] = res.entries  # the return is still on record, so a replay is recognised
    assert marker.points == 0 and "already expired" in marker.reason


def test_points_of_a_returned_purchase_that_have_expired_are_forfeited():
    acc = Account(INTERMODA)
    acc.give("flash", 1_000, at(2026, 1, 1))  # expires 4 Jan
    acc.buy("r", at(2026, 1, 2), item("scarf", 10_000), redeem=1_000)
    res = acc.give_back("ret", "r", at(2026, 1, 5), item("scarf", 10_000))
    assert (res.restored_points, res.forfeited_points) == (0, 1_000)
    assert [e for e in res.entries if e.points > 0] == []


# --- exactly once ----------------------------------------------------------------------------


def test_replaying_a_receipt_gives_the_first_answer():
    acc = Account(INTERMODA)
    acc.give("stock", 10_000, at(2026, 1, 1), kind="adjustment")
    r = Receipt(id="r", at=at(2026, 1, 5), total=rub(50_000), redeem_points=10_000)
    first = on_purchase(INTERMODA, acc.member, acc.ledger, [], r, at(2026, 1, 5))
    again = on_purchase(INTERMODA, acc.member, acc.ledger, [], r, at(2026, 1, 5))
    assert first == again
    acc.append(first.entries)
    replay = on_purchase(INTERMODA, acc.member, acc.ledger, [], r, at(2026, 3, 1))
    assert replay.replayed
    assert replay.entries == first.entries
    assert (replay.applied_redemption, replay.accrual) == (first.applied_redemption, first.accrual)
    assert first.entries[-1].id == entry_id("accrual", "r")


def test_replaying_a_return_gives_the_first_answer():
    acc = Account(INTERMODA)
    acc.buy("r", at(2026, 1, 5), item("coat", 100_000))
    ret = Receipt(id="ret", kind="return", refers_to="r", at=at(2026, 1, 6), total=rub(100_000))
    first = on_return(INTERMODA, acc.ledger, acc.receipts[0], ret, at(2026, 1, 6))
    acc.append(first.entries)
    replay = on_return(INTERMODA, acc.ledger, acc.receipts[0], ret, at(2026, 1, 7))
    assert replay.replayed and replay.entries == first.entries


def test_a_receipt_dated_in_the_future_is_refused():
    r = Receipt(id="r", at=at(2026, 1, 5), total=rub(1_000))
    with pytest.raises(ValueError, match="future"):
        on_purchase(INTERMODA, Member(id="c"), [], [], r, at(2026, 1, 4))


# --- welcome, referral, birthday ---------------------------------------------------------


def test_welcome_bonus_on_registration():
    reg = on_register(DBOUTIQUE, "new", at(2026, 4, 1))
    [e] = reg.entries
    assert (e.kind, e.points, e.available_at, e.expires_at) == ("welcome", 500, at(2026, 4, 1), at(2026, 5, 1))
    assert on_register(DBOUTIQUE, "new", at(2026, 4, 1)).entries == reg.entries
    assert on_register(INTERMODA, "new", at(2026, 4, 1)).entries == []


def test_referral_gives_the_newcomer_a_discount_and_the_referrer_points_after_the_window():
    code = ReferralCode(code=referral_code(DBOUTIQUE, "anna"), owner_id="anna")
    assert code.code == referral_code(DBOUTIQUE, "anna") and code.code.startswith("DBO-")
    reg = on_register(DBOUTIQUE, "friend", at(2026, 3, 1), referral=code)
    assert reg.referral is not None and reg.referral.discount_percent == 10
    friend = Member(id="friend", referred_by=reg.referral)

    assert referral_discount(DBOUTIQUE, friend, [], at(2026, 3, 5)) == 10
    first = Receipt(id="first", at=at(2026, 3, 5), total=rub(12_000))
    assert referral_discount(DBOUTIQUE, friend, [first], at(2026, 3, 6)) == 0

    assert on_referral_unlock(DBOUTIQUE, friend, [first], at(2026, 3, 19, 11, 59)) == []
    [reward] = on_referral_unlock(DBOUTIQUE, friend, [first], at(2026, 3, 19))
    assert (reward.client_id, reward.kind, reward.points, reward.at) == ("anna", "referral", 1_000, at(2026, 3, 19))
    assert on_referral_unlock(DBOUTIQUE, friend, [first], at(2026, 4, 1)) == [reward]


def test_stylist_code_earns_stylist_points():
    code = ReferralCode(code="DBO-STYLIST", owner_id="stylist-7", owner_kind="stylist")
    link = on_register(DBOUTIQUE, "friend", at(2026, 3, 1), referral=code).referral
    first = Receipt(id="first", at=at(2026, 3, 5), total=rub(50_000))
    [reward] = on_referral_unlock(DBOUTIQUE, Member(id="friend", referred_by=link), [first], at(2026, 4, 1))
    assert (reward.client_id, reward.points) == ("stylist-7", 3_000)


def test_no_referral_reward_if_the_first_purchase_is_returned_or_too_small():
    link = on_register(DBOUTIQUE, "friend", at(2026, 3, 1), referral=ReferralCode(code="C", owner_id="anna")).referral
    friend = Member(id="friend", referred_by=link)
    first = Receipt(id="first", at=at(2026, 3, 5), total=rub(12_000))
    back = Receipt(id="back", kind="return", refers_to="first", at=at(2026, 3, 10), total=rub(12_000))
    assert on_referral_unlock(DBOUTIQUE, friend, [first, back], at(2026, 4, 1)) == []
    small = Receipt(id="small", at=at(2026, 3, 5), total=rub(9_000))
    assert on_referral_unlock(DBOUTIQUE, friend, [small], at(2026, 4, 1)) == []


def test_referral_code_is_refused_when_own_or_without_a_campaign():
    own = on_register(DBOUTIQUE, "anna", at(2026, 3, 1), referral=ReferralCode(code="C", owner_id="anna"))
    assert own.referral is None and "own" in own.notes[0]
    none = on_register(INTERMODA, "x", at(2026, 3, 1), referral=ReferralCode(code="C", owner_id="anna"))
    assert none.referral is None and "no referral campaign" in none.notes[0]


def test_birthday_bonus_once_a_year_by_tier():
    gold = Account(DBOUTIQUE, "gold", birthday=dt.date(1990, 6, 15))
    gold.buy("spend", at(2026, 1, 10), item("coat", 300_000))
    m, hist = gold.member, gold.receipts
    assert on_birthday(DBOUTIQUE, m, hist, at(2026, 6, 11, 23, tz=MSK)) == []  # 4 days before
    [early] = on_birthday(DBOUTIQUE, m, hist, at(2026, 6, 12, 0, 5, tz=MSK))  # 3 days before
    assert (early.kind, early.points) == ("birthday", 2_000)  # Gold gets 2,000
    [late] = on_birthday(DBOUTIQUE, m, hist, at(2026, 6, 22, 20, tz=MSK))  # 7 days after
    assert late.id == early.id == entry_id("birthday", "gold", "birthday", 2026)
    assert on_birthday(DBOUTIQUE, m, hist, at(2026, 6, 23, 1, tz=MSK)) == []
    [silver] = on_birthday(DBOUTIQUE, Member(id="s", birthday=dt.date(1990, 6, 15)), [], at(2026, 6, 15))
    assert silver.points == 1_000


def test_leap_day_birthday_is_celebrated_on_28_february():
    m = Member(id="leap", birthday=dt.date(2000, 2, 29))
    [e] = on_birthday(INTERMODA, m, [], at(2026, 2, 28, 10, tz=MSK))
    assert e.points == 2_000
    assert on_birthday(INTERMODA, m, [], at(2026, 2, 27, 10, tz=MSK)) == []


# --- summary, helpers -------------------------------------------------------------------------


def test_summary_shows_pending_expiring_and_max_redeem():
    acc = Account(INTERMODA)
    acc.buy("r1", at(2026, 1, 10), item("coat", 100_000))  # 5,000 until 24 Jan
    acc.buy("r2", at(2026, 1, 20), item("bag", 40_000))  # 2,000 until 3 Feb
    acc.give("flash", 700, at(2026, 1, 21))  # expires 24 Jan
    s = summary(INTERMODA, acc.ledger, acc.receipts, at(2026, 1, 22))
    assert s.balance == 700 and s.balance_kopecks == rub(700)
    assert s.pending_total == 7_000
    assert [(x.points, x.at) for x in s.pending] == [(5_000, at(2026, 1, 24)), (2_000, at(2026, 2, 3))]
    assert [(x.points, x.at) for x in s.expiring] == [(700, at(2026, 1, 24))]
    assert s.spend_12m == rub(140_000) and s.to_next_tier == rub(360_000)
    assert max_redeem(INTERMODA, s, [item("shoes", 50_000)], s.as_of) == 700
    assert max_redeem(INTERMODA, s, [item("belt", 2_000)], s.as_of) == 400


def test_summary_next_birthday_bonus():
    s = summary(DBOUTIQUE, [], [], at(2026, 6, 20), birthday=dt.date(1985, 3, 2))
    assert s.next_birthday_bonus == dt.date(2027, 3, 2)


def test_receipt_from_a_fiscal_record():
    rec = {
        "id": "x",
        "type": 2,
        "at": "2026-01-05T10:00:00+03:00",
        "total": 100,
        "refers_to": "y",
        "store_id": "s",
        "fn": "7380440700000001",
        "i": "1001",
        "fp": "123",
    }
    r = receipt_from_record(rec)
    assert (r.kind, r.at, r.fn) == ("return", at(2026, 1, 5, 7), "7380440700000001")
    with pytest.raises(ValueError, match="does not match its lines"):
        Receipt(id="z", at=at(2026, 1, 1), total=5, lines=[ReceiptLine(sku="a", price=4)])
    with pytest.raises(ValueError, match="timezone"):
        Receipt(id="z", at=dt.datetime(2026, 1, 1), total=5)
    assert fiscal_receipt_id("1", "2", "3") == fiscal_receipt_id("1 ", "2", "3") != fiscal_receipt_id("1", "2", "4")


def test_ledger_entries_keep_the_bucket_rule_and_check_ledger_finds_overdrafts():
    t = at(2026, 1, 1)
    with pytest.raises(ValueError, match="negative entry must draw"):
        LedgerEntry(
            id="a", client_id="c", kind="redemption", points=-1, at=t, available_at=t, bucket_id="a", reason="x"
        )
    head = LedgerEntry(id="a", client_id="c", kind="welcome", points=5, at=t, available_at=t, bucket_id="a", reason="x")
    over = LedgerEntry(
        id="b", client_id="c", kind="redemption", points=-6, at=t, available_at=t, bucket_id="a", reason="x"
    )
    assert check_ledger([head, over]) == ["bucket a is overdrawn by 1 points"]
    assert "unknown bucket" in check_ledger([over])[0]


def test_manual_deduction_takes_soonest_expiring_and_never_overdraws():
    acc = Account(INTERMODA)
    acc.give("a", 300, at(2026, 1, 1))  # promo, 3 days
    acc.give("b", 500, at(2026, 1, 1), kind="adjustment")  # 6 months
    taken = deduct(INTERMODA, acc.ledger, acc.member.id, "fix-1", 400, at(2026, 1, 2), "Correction")
    assert [e.points for e in taken] == [-300, -100]
    with pytest.raises(ValueError, match="800 available"):
        deduct(INTERMODA, acc.ledger, acc.member.id, "fix-2", 900, at(2026, 1, 2), "Too much")
