"""The attribution window: a purchase goes to the latest contact before it within N days,
at most once; edges of the window exactly."""

from __future__ import annotations

import datetime as dt

from sync.rules.attribution import Purchase, Touch, attribute

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
N = dt.timedelta(days=14)


def touch(tid: str, days: float, client: str = "anna", author: str = "masha") -> Touch:
    return Touch(tid, client, T0 + dt.timedelta(days=days), author)


def buy(pid: str, days: float, client: str = "anna") -> Purchase:
    return Purchase(pid, client, T0 + dt.timedelta(days=days), 1000)


def test_window_edges_are_inclusive_to_the_second():
    t = [touch("c", 0)]
    got = attribute(t, [buy("same-moment", 0), buy("last-second", 14), buy("one-second-late", 14 + 1 / 86400)], N)
    assert set(got) == {"same-moment", "last-second"}
    assert attribute(t, [buy("before", -1 / 86400)], N) == {}  # a purchase before any contact


def test_a_purchase_goes_once_to_the_latest_contact_before_it():
    ts = [touch("first", 0, author="masha"), touch("second", 5, author="olga"), touch("after", 9, author="masha")]
    got = attribute(ts, [buy("p", 7)], N)
    assert {k: v.id for k, v in got.items()} == {"p": "second"}  # not the earlier one, nor the one after it


def test_the_latest_contact_out_of_window_is_not_replaced_by_an_earlier_one():
    # the latest contact before it is 20 days old: no attribution (an older one is older still)
    assert attribute([touch("old", -30), touch("late", 0)], [buy("p", 20)], N) == {}


def test_one_contact_may_bring_several_purchases_and_clients_are_apart():
    ts = [touch("a", 0), touch("b", 0, client="vera")]
    got = attribute(ts, [buy("p1", 1), buy("p2", 13), buy("v1", 2, client="vera"), buy("x", 1, client="nina")], N)
    assert {k: v.id for k, v in got.items()} == {"p1": "a", "p2": "a", "v1": "b"}


def test_window_length_is_a_setting():
    assert attribute([touch("c", 0)], [buy("p", 3)], dt.timedelta(days=2)) == {}
    assert set(attribute([touch("c", 0)], [buy("p", 3)], dt.timedelta(days=3))) == {"p"}


def test_contacts_in_any_order_and_across_time_zones():
    msk = dt.timezone(dt.timedelta(hours=3))
    late_local = Touch("msk", "anna", dt.datetime(2026, 3, 1, 14, 0, tzinfo=msk))  # 11:00 UTC
    early_utc = Touch("utc", "anna", dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC))
    got = attribute([late_local, early_utc], [buy("p", 0)], N)  # 12:00 UTC
    assert got["p"].id == "msk"
