"""Today from the cache (app.cache.today): each rule through its index, fed as a pull feeds it
(pages, or a bulk load whose indexes are rebuilt at the end), at month and year ends, in the
store's time zone, with 29 February; outcomes, "my clients" first, lists for their consultants."""

from __future__ import annotations

import datetime as dt

import pytest

from app.cache import bulk_load, pages, today
from app.cache.store import Cache
from sync.rules import today as rules

ME, OTHER, STORE = "m0000000-0000-0000-0000-000000000001", "o0000000-0000-0000-0000-000000000002", "s1"
FULL = {"email": "a@b.ru", "gender": "f", "consents": {"processing": {"granted": True}}}


def _client(cid: str, owner: str | None = ME, **kw) -> dict:
    return {
        "entity": "client",
        "entity_id": cid,
        "data": {
            "id": cid,
            "last_name": kw.pop("last_name", cid.upper()),
            "first_name": "Анна",
            "store_id": STORE,
            "consultant_id": owner,
            "created_at": "2020-01-01T00:00:00+00:00",
            "tier": "Silver",
            "spend_12m": 0,
            "last_visit": "2026-12-01",
            "birthday": "1980-06-15",
            **FULL,
            **kw,
        },
    }


def _entity(entity: str, eid: str, client_id: str | None, data: dict) -> dict:
    return {"entity": entity, "entity_id": eid, "client_id": client_id, "data": {"id": eid, **data}}


def _feed(cache: Cache, changes: list[dict], bulk: bool) -> None:
    def write(db):
        if bulk:
            bulk_load.begin_bulk(db)
        pages.apply_page(db, changes, 10)

    cache.write_sync(write)
    if bulk:
        cache.write_sync(bulk_load.finish_bulk)


@pytest.fixture(params=["pages", "bulk"])
def cache(request, tmp_path):
    c = Cache(tmp_path / "cache.db")
    c.bulk = request.param == "bulk"  # type: ignore[attr-defined]
    yield c
    c.close()


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    """Noon in Moscow on `day`, as UTC."""
    return dt.datetime.combine(day, dt.time(hour), dt.UTC) - dt.timedelta(hours=3)


def _keys(view, rule: str) -> dict[str, str | None]:
    return {t.client_id: t.day for t in view.groups.get(rule, [])}


def test_birthdays_across_the_year_end_and_on_29_february(cache):
    _feed(
        cache,
        [
            _client("c1", birthday="1980-12-31"),
            _client("c2", birthday="1975-01-03"),
            _client("c3", birthday="1990-01-06"),  # one day past the window (29 Dec + 7)
            _client("c4", birthday="1984-02-29"),
            _client("c5", birthday=None),
        ],
        cache.bulk,
    )
    view = cache.read_sync(today.compute, ME, _at(dt.date(2026, 12, 29)))
    assert _keys(view, rules.BIRTHDAY) == {"c1": "2026-12-31", "c2": "2027-01-03"}
    assert {t.key for t in view.groups[rules.BIRTHDAY]} == {"birthday:c1:2026", "birthday:c2:2027"}
    feb = cache.read_sync(today.compute, ME, _at(dt.date(2027, 2, 26)))
    assert _keys(feb, rules.BIRTHDAY) == {"c4": "2027-02-28"}  # 29 Feb kept on 28 Feb in a common year
    leap = cache.read_sync(today.compute, ME, _at(dt.date(2028, 2, 26)))
    assert _keys(leap, rules.BIRTHDAY) == {"c4": "2028-02-29"}


def test_the_day_is_the_stores_day(cache):
    _feed(cache, [_client("c1", birthday="1980-01-07")], cache.bulk)
    # 22:30 UTC on 31 Dec is already 1 Jan in Moscow: the seven days reach 8 Jan there
    late = dt.datetime(2026, 12, 31, 22, 30, tzinfo=dt.UTC)
    assert _keys(cache.read_sync(today.compute, ME, late), rules.BIRTHDAY) == {"c1": "2027-01-07"}
    assert cache.read_sync(today.compute, ME, late).day == dt.date(2027, 1, 1)
    _feed(cache, [_entity("task_rules", STORE, None, {"tz": "Europe/London"})], False)
    view = cache.read_sync(today.compute, ME, late)
    assert view.day == dt.date(2026, 12, 31) and _keys(view, rules.BIRTHDAY) == {"c1": "2027-01-07"}
    view = cache.read_sync(today.compute, ME, late - dt.timedelta(days=1))
    assert _keys(view, rules.BIRTHDAY) == {}  # 30 Dec in London: 7 Jan is eight days off


def test_points_expiring_purchases_and_top_clients(cache):
    day = dt.date(2027, 1, 2)
    _feed(
        cache,
        [
            _client("c1"),
            _client("c2"),
            _client("c3", last_visit="2026-12-30"),  # a purchase three days ago...
            _client("c4", last_visit="2026-12-30"),  # ...and a visit without one
            _client("c5", tier="Gold", last_visit="2026-10-01"),
            _client("c6", spend_12m=rules.DEFAULT_TOP_SPEND, last_visit=None),
            _client("c7", spend_12m=rules.DEFAULT_TOP_SPEND - 1, last_visit="2026-01-01"),
            _entity("account", "c1", "c1", {"expiring": [{"points": 700, "at": "2027-01-15T20:00:00+00:00"}]}),
            _entity("account", "c2", "c2", {"expiring": [{"points": 50, "at": "2027-01-16T22:00:00+00:00"}]}),
            _entity("receipt", "r3", "c3", {"client_id": "c3", "at": "2026-12-30T15:00:00+03:00"}),
        ],
        cache.bulk,
    )
    view = cache.read_sync(today.compute, ME, _at(day))
    # 16 Jan 22:00 UTC is 17 Jan in Moscow: beyond 14 days from 2 Jan
    assert _keys(view, rules.POINTS) == {"c1": "2027-01-15"} and view.groups[rules.POINTS][0].detail == "700"
    assert [t.key for t in view.groups[rules.PURCHASE]] == ["purchase_follow_up:c3:r3"]
    assert set(_keys(view, rules.TOP)) == {"c5", "c6"}


def test_profile_gaps_outcomes_and_my_clients_first(cache):
    day = dt.date(2027, 3, 1)
    _feed(
        cache,
        [
            _client("c1", last_name="Яковлева", consents={}),
            _client("c2", owner=None, last_name="Абрамова", email=None),  # nobody's: after mine
            _client("c3", owner=OTHER, consents={}),  # a colleague's: not on my Today
            _client("c4", consents={}),
        ],
        cache.bulk,
    )
    view = cache.read_sync(today.compute, ME, _at(day))
    tasks = view.groups[rules.PROFILE]
    assert [(t.client_id, t.mine, t.detail) for t in tasks] == [
        ("c4", True, "consent"),
        ("c1", True, "consent"),
        ("c2", False, "quick"),
    ]
    t4 = tasks[0]
    cache.write_sync(today.settle_task, STORE, t4, "done", None, ME, "Я")
    t1 = tasks[1]
    cache.write_sync(today.settle_task, STORE, t1, "snoozed", day + dt.timedelta(days=2), ME, "Я")
    left = cache.read_sync(today.compute, ME, _at(day))
    assert [t.client_id for t in left.groups[rules.PROFILE]] == ["c2"] and left.counts[rules.PROFILE] == 1
    back = cache.read_sync(today.compute, ME, _at(day + dt.timedelta(days=2)))
    assert [t.client_id for t in back.groups[rules.PROFILE]] == ["c1", "c2"]  # the snooze is over
    kinds = cache.read_sync(lambda db: db.execute("SELECT kind, entity_id FROM outbox ORDER BY seq").fetchall())
    assert kinds == [("task.update", "c4"), ("task.update", "c1")]


def test_a_list_is_on_its_consultants_today_only_and_rules_can_be_off(cache):
    _feed(
        cache,
        [
            _client("c1", owner=OTHER),
            _client("c2"),
            _entity(
                "task_list", "l1", None, {"name": "Закрытая распродажа", "client_ids": ["c1", "c2"], "assignees": [ME]}
            ),
            _entity("task_list", "l2", None, {"name": "Чужой", "client_ids": ["c1"], "assignees": [OTHER]}),
        ],
        cache.bulk,
    )
    view = cache.read_sync(today.compute, ME, _at(dt.date(2027, 3, 1)))
    assert {(t.client_id, t.detail) for t in view.groups[rules.LIST]} == {
        ("c1", "Закрытая распродажа"),
        ("c2", "Закрытая распродажа"),
    }
    off = rules.TaskSettings().changed(rules.LIST, enabled=False).to_data()
    _feed(cache, [_entity("task_rules", STORE, None, off)], False)
    assert rules.LIST not in cache.read_sync(today.compute, ME, _at(dt.date(2027, 3, 1))).counts


def test_a_managers_filter(cache):
    _feed(
        cache,
        [
            _client("c1", tier="Gold", preferred_brands=["Brunello Cucinelli"], birthday="1980-05-02"),
            _client("c2", tier="Platinum", preferred_brands=["Prada"]),
            _client("c3", tier="Silver", preferred_brands=["Brunello Cucinelli"]),
        ],
        cache.bulk,
    )
    f = rules.ListFilter(tiers=("Gold", "Platinum"), brand="brunello cucinelli")
    assert [c for c, _ in cache.read_sync(today.filter_clients, f)] == ["c1"]
    assert [c for c, _ in cache.read_sync(today.filter_clients, rules.ListFilter(birthday_month=5))] == ["c1"]


def test_staff_from_the_rules_or_else_the_stores_consultants(cache):
    _feed(cache, [_entity("consultant", ME, None, {"name": "Анна", "store_id": STORE})], cache.bulk)
    assert cache.read_sync(today.staff) == [{"id": ME, "name": "Анна", "role": "consultant"}]
    boss = {"id": OTHER, "name": "Борис", "role": "manager"}
    _feed(cache, [_entity("task_rules", STORE, None, {"staff": [boss]})], False)
    assert cache.read_sync(today.staff) == [boss]
