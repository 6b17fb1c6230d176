"""Diary rules both ends apply: tags from the brand's list, follow-up days, revision order."""

from __future__ import annotations

import datetime as dt

import pytest

from sync.rules.diary import (
    FOLLOW_UP_MAX_DAYS,
    DiaryRuleError,
    check_follow_up,
    may_change_entry,
    normalise_tags,
    revision_order,
)

LIST = ["предпочтения", "размеры", "подарки", "монограмма"]


def test_tags_come_out_once_in_the_lists_order_whatever_the_case_or_spaces():
    assert normalise_tags([" Монограмма", "подарки", "ПОДАРКИ "], LIST) == ["подарки", "монограмма"]
    assert normalise_tags([], LIST) == []


def test_a_tag_not_on_the_list_is_refused_not_dropped():
    with pytest.raises(DiaryRuleError) as e:
        normalise_tags(["подарки", "свадьба"], LIST)
    assert e.value.code == "unknown_tag"
    with pytest.raises(DiaryRuleError):
        normalise_tags(["подарки"], [])  # a brand without a list takes no tags


def test_follow_up_days_from_the_day_written_up_to_two_years():
    today = dt.date(2026, 3, 1)
    assert check_follow_up(None, today) is None
    assert check_follow_up(today, today) == today
    last = today + dt.timedelta(days=FOLLOW_UP_MAX_DAYS)
    assert check_follow_up(last, today) == last
    for day, code in ((today - dt.timedelta(days=1), "follow_up_past"), (last + dt.timedelta(days=1), "follow_up_far")):
        with pytest.raises(DiaryRuleError) as e:
            check_follow_up(day, today)
        assert e.value.code == code


def test_revisions_order_by_when_written_in_utc_then_hub_order():
    early = {"at": "2026-03-01T12:00:00+03:00", "hub_order": 2}  # 09:00 UTC
    late = {"at": "2026-03-01T10:00:00+00:00", "hub_order": 1}
    same = {"at": "2026-03-01T10:00:00+00:00", "hub_order": 3}
    assert sorted([late, same, early], key=revision_order) == [early, late, same]


def test_an_entry_is_changed_by_its_author_or_a_manager_of_its_store_only():
    assert may_change_entry("k1", "k1", manager=False)
    assert not may_change_entry("k1", "k2", manager=False)
    assert not may_change_entry(None, None, manager=False)  # an author not known is nobody's
    assert may_change_entry("k1", "m1", manager=True)
    assert not may_change_entry("k1", "m1", manager=True, her_store=False)
    assert not may_change_entry("k1", "k1", manager=False, her_store=False)  # another store's: changed there
