"""Today against a real hub: the brand's rules reach the devices, a task settled on two devices
offline keeps one outcome (the first the hub applied), a manager assigns clients and lists."""

from __future__ import annotations

import datetime as dt
import json
from functools import partial

from app.cache import clients, today
from sync.models import ClientProfile, new_id, utcnow
from sync.rules import today as rules
from tests.sync.helpers import CONSULTANTS, logins_of_store

DEMO = CONSULTANTS["demo"]


def _now() -> dt.datetime:
    return utcnow()


def _mine(device, me: str) -> list[str]:
    return device.cache.read_sync(
        lambda db: [r[0] for r in db.execute("SELECT id FROM clients WHERE consultant_id = ? ORDER BY id", [me])]
    )


def _answers(hub, device, kind: str) -> list[dict]:
    """The hub's recorded answers to `device`'s mutations of `kind`, in order."""
    rows = hub.view.q(
        "SELECT response FROM mutations WHERE device_id = ? AND kind = ? ORDER BY at", device.device_id, kind
    )
    return [json.loads(r[0]) for r in rows]


def _any_task(view, n: int = 0):
    """The n-th task of Today, whatever its rule."""
    return [t for ts in view.groups.values() for t in ts][n]


def _outbox(device) -> list[tuple[str, str, str | None]]:
    return device.cache.read_sync(
        lambda db: db.execute("SELECT kind, status, code FROM outbox ORDER BY seq").fetchall()
    )


async def test_rules_and_staff_reach_the_device_and_today_is_computed(hub, devices):
    a = devices(hub, "demo")
    await a.settle()
    s = a.cache.read_sync(today.settings)
    assert s.days(rules.BIRTHDAY) == rules.DEFAULT_RULES[rules.BIRTHDAY][1] and s.tz == "Europe/Moscow"
    staff = a.cache.read_sync(today.staff)
    assert DEMO["id"] in {x["id"] for x in staff} and any(x["role"] == "manager" for x in staff)
    # a client of hers whose birthday is in two days (in the store's calendar), registered here
    day = rules.local_today(_now(), s.tz)
    born = rules.birthday_in(day + dt.timedelta(days=2), 1984) if (day + dt.timedelta(days=2)).month != 2 else None
    born = born or dt.date(1984, 3, 1)
    profile = ClientProfile(last_name="Белова", first_name="Ирина", birthday=born, consultant_id=DEMO["id"])
    cid = await a.cache.write(clients.register_client, profile, a.store_id)
    await a.settle()
    view = await a.cache.read(today.compute, DEMO["id"], _now())
    soon = rules.next_birthday(born, day, s.days(rules.BIRTHDAY))
    mine = {t.client_id: t for t in view.groups.get(rules.BIRTHDAY, [])}
    assert (cid in mine) == (soon is not None)
    if soon is not None:
        assert mine[cid].key == rules.task_key(rules.BIRTHDAY, cid, soon.year) and mine[cid].mine
    for t in view.groups.get(rules.BIRTHDAY, []):
        assert view.day <= dt.date.fromisoformat(t.day or "") <= view.day + dt.timedelta(days=s.days(rules.BIRTHDAY))
    # her quick card is a profile task too (no consent, no e-mail)
    assert cid in {t.client_id for t in view.groups[rules.PROFILE]}
    # her own clients come before the store's unassigned ones in every group
    for ts in view.groups.values():
        flags = [t.mine for t in ts]
        assert flags == sorted(flags, reverse=True)


async def test_two_devices_settling_one_task_offline_keep_one_outcome(hub, devices):
    colleague = next(x for x in logins_of_store(0) if x != "demo")
    a, b = devices(hub, "demo"), devices(hub, colleague)
    await a.settle()
    await b.settle()
    view = await a.cache.read(today.compute, DEMO["id"], _now())
    task = _any_task(view)
    # Both offline: each marks it done (b dismisses it) before either reaches the hub.
    await a.cache.write(today.settle_task, a.store_id, task, "done", None, DEMO["id"], DEMO["name"])
    await b.cache.write(today.settle_task, b.store_id, task, "dismissed", None, CONSULTANTS[colleague]["id"], "B")
    gone = await a.cache.read(today.compute, DEMO["id"], _now())
    assert task.key not in {t.key for ts in gone.groups.values() for t in ts}  # off her Today at once
    await a.settle()
    await b.settle()  # the second: answered, not refused
    assert _outbox(b) == []
    answer = _answers(hub, b, "task.update")[-1]
    assert answer["status"] == "applied" and answer["result"]["already"] is True
    assert answer["result"]["outcome"]["status"] == "done"
    await a.settle()
    rows = hub.view.q("SELECT status, data FROM task_outcomes WHERE task_key = ?", task.key)
    assert len(rows) == 1 and rows[0][0] == "done"
    for d in (a, b):  # both devices hold the hub's one outcome: a's
        kept = d.entity("task_outcome", today.outcome_id(a.store_id, task.key))
        assert kept["status"] == "done" and kept["by"] == DEMO["id"] and not kept.get("pending")


async def test_a_snooze_hides_the_task_until_its_day_and_a_later_done_settles_it(hub, devices):
    a = devices(hub, "demo")
    await a.settle()
    view = await a.cache.read(today.compute, DEMO["id"], _now())
    task = _any_task(view, 3)
    until = view.day + dt.timedelta(days=2)
    await a.cache.write(today.settle_task, a.store_id, task, "snoozed", until, DEMO["id"], DEMO["name"])
    await a.settle()
    keys = {t.key for ts in (await a.cache.read(today.compute, DEMO["id"], _now())).groups.values() for t in ts}
    assert task.key not in keys
    later = _now() + dt.timedelta(days=2)
    back = await a.cache.read(today.compute, DEMO["id"], later)
    assert task.key in {t.key for ts in back.groups.values() for t in ts}  # back on its day
    await a.cache.write(today.settle_task, a.store_id, task, "done", None, DEMO["id"], DEMO["name"])
    await a.settle()
    assert hub.view.q("SELECT status FROM task_outcomes WHERE task_key = ?", task.key) == [("done",)]


async def test_a_manager_assigns_a_client_and_a_consultant_cannot(hub, devices):
    colleague = next(x for x in logins_of_store(0) if x != "demo")
    boss, a = devices(hub, "manager1"), devices(hub, "demo")
    await boss.settle()
    await a.settle()
    client_id = _mine(a, CONSULTANTS[colleague]["id"])[0]
    await a.cache.write(today.assign_client, client_id, DEMO["id"])  # a consultant's try
    await a.settle()
    assert _outbox(a)[-1] == ("client.assign", "rejected", "forbidden")
    await boss.cache.write(today.assign_client, client_id, DEMO["id"])
    await boss.settle()
    assert _outbox(boss) == [] and _answers(hub, boss, "client.assign")[-1]["status"] == "applied"
    await a.settle()
    assert client_id in _mine(a, DEMO["id"])
    # another store's consultant is refused
    other = next(iter(logins_of_store(1)))
    await boss.cache.write(today.assign_client, client_id, CONSULTANTS[other]["id"])
    await boss.settle()
    assert _outbox(boss)[-1] == ("client.assign", "rejected", "unknown_consultant")


async def test_a_managers_list_appears_in_the_assigned_consultants_today(hub, devices):
    boss, a = devices(hub, "manager1"), devices(hub, "demo")
    await boss.settle()
    await a.settle()
    chosen = boss.cache.read_sync(today.filter_clients, rules.ListFilter(tiers=("Gold", "Platinum")))
    assert chosen
    ids = [c for c, _ in chosen[:5]]
    list_id = new_id()
    write = partial(today.create_list, list_id=list_id, store_id=boss.store_id, name="Gold и Platinum, Brunello")
    await boss.cache.write(
        partial(
            write,
            note="закрытая распродажа 12-го",
            day=None,
            client_ids=ids,
            assignees=[DEMO["id"]],
            filter_={"tiers": ["Gold", "Platinum"]},
        )
    )
    await boss.settle()
    assert _outbox(boss) == [] and _answers(hub, boss, "list.create")[-1]["status"] == "applied"
    await a.settle()
    view = await a.cache.read(today.compute, DEMO["id"], _now())
    listed = view.groups[rules.LIST]
    assert {t.client_id for t in listed} == set(ids) and listed[0].detail == "Gold и Platinum, Brunello"
    # a consultant cannot make one
    await a.cache.write(today.create_list, new_id(), a.store_id, "x", "", None, ids, [DEMO["id"]], {})
    await a.settle()
    assert _outbox(a)[-1] == ("list.create", "rejected", "forbidden")
