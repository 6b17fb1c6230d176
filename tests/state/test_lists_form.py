"""A manager's list form (app.state.lists.to_filter): what was typed becomes a ListFilter, or
errors by field, nothing lost."""

from __future__ import annotations

import datetime as dt

from app.state import lists
from sync.rules.today import ListFilter


def test_a_filled_form_is_the_filter():
    form = lists.blank() | {
        "tiers": ["Gold", "Platinum", "Bronze"],
        "min_spend": "300 000",
        "not_seen_days": "60",
        "brand": " Brunello Cucinelli ",
        "size": "44",
        "consent": "sms",
        "birthday_month": "12",
    }
    f, errors = lists.to_filter(form, dt.date(2027, 1, 31))
    assert errors == {}
    assert f == ListFilter(
        tiers=("Gold", "Platinum"),  # an unknown tier is no tier
        min_spend=30_000_000,  # roubles typed, kopecks kept
        not_seen_since=dt.date(2026, 12, 2),
        brand="Brunello Cucinelli",
        size=("clothing", "44"),
        consent="sms",
        birthday_month=12,
    )
    assert lists.to_filter(lists.blank(), dt.date(2027, 1, 31)) == (ListFilter(), {})


def test_bad_numbers_are_named_by_field():
    form = lists.blank() | {"min_spend": "много", "birthday_month": "13", "not_seen_days": "-5"}
    f, errors = lists.to_filter(form, dt.date(2027, 1, 31))
    assert f is None
    assert errors == {k: "lists.bad_number" for k in ("min_spend", "birthday_month", "not_seen_days")}
    assert form["min_spend"] == "много"  # the form keeps what was typed
