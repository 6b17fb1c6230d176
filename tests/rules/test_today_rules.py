"""Today's task rules (sync.rules.today): dates around month and year ends, time zones,
29 February, outcomes, settings and list filters."""

from __future__ import annotations

import datetime as dt

import pytest

from sync.rules import today as r

D = dt.date


# --- birthdays


@pytest.mark.parametrize(
    ("born", "today", "days", "expected"),
    [
        (D(1980, 12, 31), D(2026, 12, 28), 7, D(2026, 12, 31)),  # within the year
        (D(1980, 1, 2), D(2026, 12, 28), 7, D(2027, 1, 2)),  # across the year end
        (D(1980, 1, 5), D(2026, 12, 28), 7, None),  # one day too far
        (D(1980, 1, 4), D(2026, 12, 28), 7, D(2027, 1, 4)),  # the window's last day counts
        (D(1980, 12, 27), D(2026, 12, 28), 7, None),  # yesterday: gone
        (D(1980, 12, 28), D(2026, 12, 28), 0, D(2026, 12, 28)),  # today, N = 0
        (D(1980, 3, 1), D(2026, 2, 27), 3, D(2026, 3, 1)),  # across a month end (common year)
        (D(1980, 2, 29), D(2026, 2, 25), 7, D(2026, 2, 28)),  # 29 Feb kept on 28 Feb in 2026
        (D(1980, 2, 29), D(2028, 2, 25), 7, D(2028, 2, 29)),  # and on 29 Feb in a leap year
        (D(1980, 2, 29), D(2026, 3, 1), 7, None),  # 28 Feb was this year's: past
        (D(1980, 2, 29), D(2100, 2, 28), 0, D(2100, 2, 28)),  # 2100 is not a leap year
    ],
)
def test_next_birthday(born, today, days, expected):
    assert r.next_birthday(born, today, days) == expected


def test_birthday_keys_cover_the_window_and_29_february():
    assert r.birthday_keys(D(2026, 12, 30), 3) == ["12-30", "12-31", "01-01", "01-02"]
    assert "02-29" in r.birthday_keys(D(2026, 2, 27), 1)  # 28 Feb of a common year brings 29 Feb
    assert "02-29" not in r.birthday_keys(D(2028, 2, 27), 1)  # a leap year has its own 29 Feb
    assert r.birthday_keys(D(2028, 2, 28), 1) == ["02-28", "02-29"]
    assert len(r.birthday_keys(D(2026, 1, 1), 10_000)) == 366  # capped at a year, each day once


def test_every_key_is_a_birthday_in_the_window():
    """The index's keys and the rule agree, for every day of two years and a few windows."""
    for start in range(0, 2 * 366, 5):
        today = D(2027, 1, 1) + dt.timedelta(days=start)
        for days in (0, 1, 7, 30):
            keys = set(r.birthday_keys(today, days))
            for born in (D(1980, 2, 29), D(1981, 3, 1), D(1990, 12, 31), D(1975, 1, 1), D(1985, 2, 28)):
                in_window = r.next_birthday(born, today, days) is not None
                assert in_window == (born.strftime("%m-%d") in keys), (today, days, born)


# --- time zones


def test_local_today_is_the_stores_day():
    late = dt.datetime(2026, 12, 31, 21, 30, tzinfo=dt.UTC)  # 00:30 on 1 January in Moscow
    assert r.local_today(late, "Europe/Moscow") == D(2027, 1, 1)
    assert r.local_today(late, "Europe/London") == D(2026, 12, 31)
    assert r.local_today(late, "Asia/Vladivostok") == D(2027, 1, 1)
    assert r.local_today(dt.datetime(2026, 12, 31, 21, 30), "Europe/Moscow") == D(2027, 1, 1)  # naive: UTC
    assert r.local_today(late, "Nowhere/Atlantis") == D(2027, 1, 1)  # unknown: the default zone


def test_expiry_counts_by_the_stores_day():
    # 23:00 UTC on 14 Jan is 15 Jan in Moscow: outside a 14-day window from 1 Jan there...
    expiring = [(500, "2027-01-14T23:00:00+00:00")]
    assert r.expiring_soon(expiring, D(2027, 1, 1), 13, "Europe/Moscow") is None
    assert r.expiring_soon(expiring, D(2027, 1, 1), 14, "Europe/Moscow") == (500, D(2027, 1, 15))
    # ...and 14 Jan in London
    assert r.expiring_soon(expiring, D(2027, 1, 1), 13, "Europe/London") == (500, D(2027, 1, 14))


def test_expiring_soon_takes_the_soonest_day_and_sums_it():
    items = [
        (100, "2027-01-05T10:00:00+03:00"),
        (50, "2027-01-03T09:00:00+03:00"),
        (25, "2027-01-03T20:00:00+03:00"),
        (999, "2026-12-31T10:00:00+03:00"),  # past: expired already
        (0, "2027-01-02T10:00:00+03:00"),  # nothing to expire
        (7, "not a date"),
    ]
    assert r.expiring_soon(items, D(2027, 1, 1), 14, "Europe/Moscow") == (75, D(2027, 1, 3))
    assert r.expiring_soon([], D(2027, 1, 1), 14, "Europe/Moscow") is None


def test_expiry_bounds_are_the_store_days_in_utc():
    lo, hi = r.expiry_bounds(D(2026, 12, 31), 1, "Europe/Moscow")
    assert lo == "2026-12-30T21:00:00+00:00"
    assert hi == "2027-01-01T21:00:00+00:00"


# --- purchases, visits, diary, profile


def test_purchase_follow_up_window_across_month_and_year_ends():
    assert r.purchase_due(D(2026, 12, 29), D(2027, 1, 1), 3)  # due on the day
    assert not r.purchase_due(D(2026, 12, 30), D(2027, 1, 1), 3)  # not yet
    assert r.purchase_due(D(2026, 12, 23), D(2027, 1, 1), 3)  # the window's last day
    assert not r.purchase_due(D(2026, 12, 22), D(2027, 1, 1), 3)  # too late
    lo, hi = r.purchase_bounds(D(2027, 3, 1), 3)
    assert (lo, hi) == (D(2027, 2, 20), D(2027, 2, 26))
    assert all(r.purchase_due(lo + dt.timedelta(days=k), D(2027, 3, 1), 3) for k in range(7))


def test_top_clients_not_seen():
    s = r.TaskSettings()
    assert r.is_top("Gold", 0, s) and r.is_top("Platinum", None, s)
    assert r.is_top("Silver", r.DEFAULT_TOP_SPEND, s) and not r.is_top("Silver", r.DEFAULT_TOP_SPEND - 1, s)
    assert r.not_seen(D(2026, 11, 2), D(2027, 1, 1), 60)
    assert not r.not_seen(D(2026, 11, 3), D(2027, 1, 1), 60)
    assert r.not_seen(None, D(2027, 1, 1), 60)
    assert r.not_seen_before(D(2027, 1, 1), 60) == D(2026, 11, 2)


def test_diary_due_and_profile_gaps():
    assert r.diary_due(D(2026, 12, 31), D(2027, 1, 1)) and r.diary_due(D(2027, 1, 1), D(2027, 1, 1))
    assert not r.diary_due(D(2027, 1, 2), D(2027, 1, 1))
    full = {"email": "a@b.ru", "birthday": "1980-01-01", "gender": "f", "consents": {"processing": {"granted": True}}}
    assert r.profile_gaps(full) == []
    assert r.profile_gaps({**full, "consents": {"processing": {"granted": False}}}) == ["consent"]
    assert r.profile_gaps({**full, "email": None}) == ["quick"]
    assert r.profile_gaps({"last_name": "A", "phone": "+79160000000"}) == ["consent", "quick"]


# --- outcomes


def test_task_key_round_trip_and_refusal():
    key = r.task_key(r.BIRTHDAY, "c1", 2027)
    assert key == "birthday:c1:2027"
    assert r.parse_key(key) == ("birthday", "c1", "2027")
    for bad in ("birthday:c1", "nope:c1:1", "birthday::1", "x" * 300):
        with pytest.raises(r.TaskRuleError):
            r.parse_key(bad)


def test_first_final_outcome_wins():
    assert r.settle(None, "done")
    assert r.settle({"status": "snoozed", "until": "2027-01-05"}, "done")
    assert r.settle({"status": "snoozed", "until": "2027-01-05"}, "snoozed")
    assert not r.settle({"status": "done"}, "done")  # the second device's done: already done
    assert not r.settle({"status": "done"}, "dismissed")
    assert not r.settle({"status": "dismissed"}, "snoozed")
    with pytest.raises(r.TaskRuleError):
        r.settle(None, "maybe")


def test_hidden_until_the_snooze_day():
    today = D(2027, 1, 1)
    assert r.hidden({"status": "done"}, today) and r.hidden({"status": "dismissed"}, today)
    assert r.hidden({"status": "snoozed", "until": "2027-01-02"}, today)
    assert not r.hidden({"status": "snoozed", "until": "2027-01-01"}, today)  # back on its day
    assert not r.hidden({"status": "snoozed", "until": "garbage"}, today)
    assert not r.hidden(None, today)


def test_snooze_day_is_checked():
    today = D(2026, 12, 31)
    assert r.check_snooze(D(2027, 1, 1), today) == D(2027, 1, 1)
    for bad in (None, today, D(2026, 1, 1), D(2028, 1, 5)):
        with pytest.raises(r.TaskRuleError):
            r.check_snooze(bad, today)


# --- settings


def test_settings_defaults_round_trip_and_bad_values():
    s = r.TaskSettings.from_data(None)
    assert s.days(r.BIRTHDAY) == 7 and s.on(r.POINTS) and s.tz == "Europe/Moscow"
    changed = s.changed(r.BIRTHDAY, days=3).changed(r.TOP, enabled=False)
    back = r.TaskSettings.from_data(changed.to_data())
    assert back.days(r.BIRTHDAY) == 3 and not back.on(r.TOP) and back == changed
    odd = r.TaskSettings.from_data({"tz": "Mars/Base", "rules": {"birthday": {"days": -4}}, "top_spend": "x"})
    assert odd.tz == "Europe/Moscow" and odd.days(r.BIRTHDAY) == 7 and odd.top_spend == r.DEFAULT_TOP_SPEND
    with pytest.raises(r.TaskRuleError):
        s.changed("weather", days=1)
    with pytest.raises(r.TaskRuleError):
        s.changed(r.BIRTHDAY, days=400)


# --- list filters


def test_list_filter():
    c = {
        "tier": "Gold",
        "spend_12m": 50_000_000,
        "last_visit": "2026-10-01",
        "preferred_brands": ["Brunello Cucinelli", "Prada"],
        "sizes": {"clothing": "44"},
        "consents": {"sms": {"granted": True}},
        "birthday": "1980-12-05",
    }
    assert r.ListFilter().matches(c)
    assert r.ListFilter(tiers=("Gold", "Platinum"), brand="brunello cucinelli").matches(c)
    assert not r.ListFilter(tiers=("Platinum",)).matches(c)
    assert not r.ListFilter(min_spend=60_000_000).matches(c)
    assert r.ListFilter(not_seen_since=D(2026, 10, 2)).matches(c)
    assert not r.ListFilter(seen_since=D(2026, 10, 2)).matches(c)
    assert r.ListFilter(size=("clothing", "44"), consent="sms", birthday_month=12).matches(c)
    assert not r.ListFilter(consent="email").matches(c)
    assert not r.ListFilter(birthday_month=1).matches(c)
