"""What the profile shows of the loyalty figures: never a figure the app knows is past,
and each points-history line with a label in the consultant's language."""

from __future__ import annotations

import datetime as dt

from app.cache.queries import Account, Offer, PointsOn
from app.state import loyalty_view
from app.ui import history
from app.ui.loyalty_extras import offer_text

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 10, 12, tzinfo=UTC)


def _account(as_of: str = "2026-03-08T09:00:00+00:00") -> Account:
    return Account(
        balance=500,
        as_of=as_of,
        pending=(PointsOn(300, "2026-03-09T12:00:00+00:00"), PointsOn(200, "2026-03-20T12:00:00+00:00")),
        expiring=(PointsOn(100, "2026-03-10T11:00:00+00:00"), PointsOn(50, "2026-04-01T00:00:00+00:00")),
    )


def test_pending_points_whose_date_passed_count_as_available_as_of_now():
    f = loyalty_view.figures(_account(), 500, NOW)
    assert (f.balance, f.unlocked, f.expired) == (500 + 300 - 100, 300, 100)
    assert f.pending == (PointsOn(200, "2026-03-20T12:00:00+00:00"),)
    assert f.expiring == (PointsOn(50, "2026-04-01T00:00:00+00:00"),)
    assert f.estimated and f.as_of == NOW


def test_the_hubs_figures_stand_when_nothing_is_past():
    f = loyalty_view.figures(_account(), 500, dt.datetime(2026, 3, 8, 10, tzinfo=UTC))
    assert (f.balance, f.estimated, f.as_of) == (500, False, None)
    assert len(f.pending) == 2


def test_a_device_clock_behind_the_hub_uses_the_hubs_time():
    hub_later = _account(as_of="2026-03-21T00:00:00+00:00")
    f = loyalty_view.figures(hub_later, 500, dt.datetime(2026, 3, 1, tzinfo=UTC))
    assert f.unlocked == 500 and f.pending == ()
    assert f.as_of == dt.datetime(2026, 3, 21, tzinfo=UTC)


def test_no_account_shows_the_client_records_balance():
    assert loyalty_view.figures(None, 120, NOW).balance == 120


def test_manager_grants_and_deductions_read_with_their_reason():
    assert history.ledger_label("campaign", None, 300, None, "Извинение", "ru") == "Промо-баллы от менеджера: Извинение"
    assert history.ledger_label("adjustment", None, -100, None, "Ошибка", "en") == "Deducted by the manager: Ошибка"
    assert history.ledger_label("campaign", None, 40, "black-friday", "x", "ru") == "Бонус по акции"
    assert history.ledger_label("birthday", None, 1000, "birthday", "x", "en") == "Birthday bonus"
    assert history.ledger_label("referral", None, 1000, "friends", "x", "ru") == "Бонус за рекомендацию"
    assert history.ledger_label("expiry", "birthday", -1000, "birthday", "x", "ru") == "Сгорание бонуса ко дню рождения"


def test_an_offer_reads_with_its_inclusive_last_day():
    coupon = Offer(
        "plat", "coupon", "15% off", "2026-09-01T00:00:00+03:00", "2027-01-01T00:00:00+03:00", "15", "PLAT15"
    )
    assert offer_text(coupon, "ru") == "Купон −15%: 15% off · PLAT15 · 01.09.2026 – 31.12.2026"
    sale = Offer("w", "closed_sale", "Winter", None, None)
    assert offer_text(sale, "en") == "Closed sale: Winter"
