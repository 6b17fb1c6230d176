"""Duplicates across stores with real devices: each tablet its own encrypted cache, HubClient
and SyncEngine, against the real hub subprocess on loopback (SQLite, and PostgreSQL with two
worker processes).

- Two tablets of two stores of the brand register one phone while offline; at their sync
  the hub keeps both and flags the pair; a manager merges it; at their next sync both
  tablets hold the survivor with every record of both, and neither holds the merged one.
- A tablet holding unsent work about a client (a diary note, a profile edit, a profile
  draft) pulls her merge's tombstone before it pushes: the work is not lost; it shows under
  the survivor, and the next push puts it on her on the hub and on both tablets.
- A consultant of another store finds a client by her phone (HubClient.lookup_clients,
  masked), shares her into the store (HubClient.share_client), and the tablet's next sync
  brings her with her records; what it then writes for her reaches her home store's tablet.
"""

from __future__ import annotations

import hashlib
import random

import pytest

from app.cache import drafts
from sync.client import HubClient
from sync.models import ClientLookup


@pytest.fixture(params=["sqlite", "postgresql"])
def any_hub(request):
    return request.getfixturevalue("hub" if request.param == "sqlite" else "pg_hub")


def _phone() -> str:
    return f"+7926{random.randrange(10**7):07d}"


async def test_one_phone_registered_offline_on_two_tablets_is_flagged_merged_and_both_converge(any_hub, devices):
    hub = any_hub
    a, b = devices(hub, "demo"), devices(hub, "consultant04")
    assert a.store_id != b.store_id
    await a.settle()
    await b.settle()
    phone = _phone()
    # offline: each tablet registers her and writes about her; nothing reaches the hub yet
    ca = await a.register("Дублёва", "Нина", phone=phone)
    cb = await b.register("Дублёва", "Нина", phone=phone, email="nina.dubleva@example.ru", birthday="1985-01-02")
    entry_a, _ = await a.diary_add(ca, "Любит кашемир")
    entry_b, _ = await b.diary_add(cb, "Размер 38")
    signature = b"signature-strokes-" + cb.encode()
    form_b, _ = await b.sign_form(cb, signature)
    await a.settle()
    await b.settle()
    assert a.client_row(ca) is not None and b.client_row(cb) is not None  # both kept

    async with HubClient(hub.url, hub.token("manager1")) as manager:
        (pair,) = [p for p in await manager.duplicate_pairs() if {c.client_id for c in p.clients} == {ca, cb}]
        assert pair.reason == "phone" and phone not in pair.model_dump_json()
        merged = await manager.merge_pair(pair.id, ca)
    assert merged.merged_id == cb and merged.moved["diary"] == 1 and merged.moved["form"] == 1
    # tablet b, not yet told, writes about her again: its push (before its pull) reaches the survivor
    late, _ = await b.diary_add(cb, "Записано до того, как планшет узнал о слиянии")

    await b.settle()
    await a.settle()
    for d in (a, b):
        assert d.client_row(cb) is None, d.login  # dropped: her tombstone reached the tablet that had her
        _, hub_data = d.client_row(ca)
        assert hub_data is not None and hub_data["birthday"] == "1985-01-02" and hub_data["email"]
        for entity, eid in (("diary", entry_a), ("diary", entry_b), ("form", form_b), ("diary", late)):
            got = d.entity(entity, eid)
            assert got is not None and got["client_id"] == ca, (d.login, entity)
    assert a.client_row(ca)[1] == b.client_row(ca)[1]  # one survivor, the same on both
    # the merged one's signed form is readable from the survivor's home store
    assert await a.client.get_blob(hashlib.sha256(signature).hexdigest()) == signature


async def test_unsent_work_about_a_merged_client_pulled_before_pushed_lands_on_the_survivor(any_hub, devices):
    hub = any_hub
    a, b = devices(hub, "demo"), devices(hub, "consultant04")
    await a.settle()
    await b.settle()
    phone = _phone()
    ca = await a.register("Зимина", "Ольга", phone=phone)
    cb = await b.register("Зимина", "Ольга", phone=phone)
    await a.settle()
    await b.settle()
    async with HubClient(hub.url, hub.token("manager1")) as manager:
        (pair,) = [p for p in await manager.duplicate_pairs() if {c.client_id for c in p.clients} == {ca, cb}]
        await manager.merge_pair(pair.id, ca)
    await a.settle()  # the survivor is shared into b's store: b's pull brings her with the tombstone

    # b, offline since, writes about the one it holds; then its pull comes first (its push failed)
    note, note_mid = await b.diary_add(cb, "Просила отложить платье до субботы")
    edit_mid = await b.update(cb, notes="Звонить после 18:00")
    await b.cache.write(drafts.save_draft, f"profile:{cb}", "consultant04", {"styles": ["casual"]})
    await b.engine.pull()
    assert b.client_row(cb) is None and b.client_row(ca) is not None  # dropped, her survivor here
    queued = {r["id"]: r for r in b.outbox()}
    assert queued[note_mid]["status"] == queued[edit_mid]["status"] == "pending"  # nothing typed is lost
    assert queued[edit_mid]["entity_id"] == cb  # sent as written: the hub redirects it (sync.hub.mutations)
    shown = b.entity("diary", note)
    assert shown["client_id"] == ca and shown["pending"], shown  # in sight, under the survivor
    assert b.cache.read_sync(lambda db: db.execute("SELECT form FROM drafts").fetchall()) == [(f"profile:{ca}",)]

    await b.settle()
    await a.settle()
    assert hub.view.client(ca)["notes"] == "Звонить после 18:00"
    for d in (a, b):
        got = d.entity("diary", note)
        assert got is not None and got["client_id"] == ca and not got.get("pending"), (d.login, got)
        local, snap = d.client_row(ca)
        assert local["notes"] == snap["notes"] == "Звонить после 18:00", d.login
        assert d.client_row(cb) is None
    assert not b.outbox()


async def test_a_client_of_another_store_is_found_shared_and_served_by_its_tablet(any_hub, devices):
    hub = any_hub
    home, here = devices(hub, "demo"), devices(hub, "consultant04")
    await home.settle()
    await here.settle()
    phone = _phone()
    cid = await home.register("Белова", "Анна", phone=phone)
    entry, _ = await home.diary_add(cid, "Предпочитает шёлк")
    await home.settle()
    assert here.client_row(cid) is None

    typed = f"8 {phone[2:5]} {phone[5:8]} {phone[8:10]} {phone[10:]}"
    (match,) = await here.client.lookup_clients(ClientLookup(phone=typed))
    assert (match.client_id, match.name, match.in_my_store) == (cid, "Анна Б.", False)
    assert match.phone == f"+7 *** ***-**-{phone[-2:]}"
    shared = await here.client.share_client(cid)
    assert shared.client.id == cid and shared.shared
    assert ("diary", entry) in {(e.entity, e.entity_id) for e in shared.entities}

    await here.settle()
    assert here.client_row(cid) is not None and here.entity("diary", entry)["client_id"] == cid
    (again,) = await here.client.lookup_clients(ClientLookup(phone=phone))
    assert again.in_my_store is True
    # served here: a note written at this store reaches her home store's tablet
    note, _ = await here.diary_add(cid, "Заходила в Невский")
    await here.settle()
    await home.settle()
    assert home.entity("diary", note)["client_id"] == cid
