"""The duplicate check while registering (app.state.duplicates), on a real cache and the real
hub process: the cache answers at once, the brand after the pause, and "Open her" brings a
client of another store into this device and opens her."""

from __future__ import annotations

import random

import httpx

from app.state.duplicates import DuplicatesModel, criteria_of
from app.state.messages import Message
from sync.models import new_id, utcnow
from tests.state.helpers import engine, shown
from tests.state.test_app import logged_in, make, wait_for


def _hub_login(url: str, login: str, password: str) -> dict:
    r = httpx.post(f"{url}/v1/auth/login", json={"login": login, "password": password}, timeout=30)
    r.raise_for_status()
    return r.json()


def _register_elsewhere(url: str, **fields) -> str:
    """A client registered at Невский (another store of the brand) by its consultant."""
    s = _hub_login(url, "consultant04", "vitrine")
    cid = new_id()
    m = {
        "id": new_id(),
        "kind": "client.register",
        "entity_id": cid,
        "payload": {"store_id": s["store_id"], **fields},
        "client_time": utcnow().isoformat(),
    }
    r = httpx.post(
        f"{url}/v1/mutations",
        json={"device_id": s["device_id"], "mutations": [m]},
        headers={"Authorization": f"Bearer {s['access_token']}", "X-Vitrine-Protocol": "1"},
        timeout=30,
    )
    assert r.json()["results"][0]["status"] == "applied", r.text
    return cid


def test_only_complete_values_are_criteria():
    c = criteria_of({"phone": "8 916 12", "email": "anna@", "last_name": "Ким", "first_name": "", "birthday": "1.2"})
    assert c.empty
    c = criteria_of(
        {
            "phone": "8 (916) 123-45-67",
            "email": " Anna@Mail.RU ",
            "last_name": "Ким",
            "first_name": "Анна",
            "birthday": "02.03.1990",
        }
    )
    assert (c.phone, c.email, c.birthday, c.by_name) == ("+79161234567", "anna@mail.ru", "1990-03-02", True)


async def test_a_client_of_another_store_is_found_while_typing_and_opened_here(demo_hub, tmp_path):
    phone = f"+7926{random.randrange(10**7):07d}"
    cid = _register_elsewhere(demo_hub.url, last_name="Лебедева", first_name="Ирина", phone=phone)
    ctrl = await logged_in(demo_hub, tmp_path)
    await wait_for(lambda: ctrl.sync.status.last_sync is not None)
    dup: DuplicatesModel = ctrl.duplicates
    await ctrl.register.open()
    ctrl.register.form.update(last_name="Лебедева", phone=f"8 {phone[2:5]} {phone[5:8]}-{phone[8:10]}-{phone[10:]}")
    dup.check(ctrl.register.form)
    await wait_for(lambda: bool(dup.matches) and not dup.asking)
    (m,) = dup.matches
    assert (m.client_id, m.name, m.cached, m.matched_by) == (cid, "Ирина Л.", False, ("phone",))
    assert m.phone == f"+7 *** ***-**-{phone[-2:]}" and m.store_name == "Невский"
    assert await dup.open_match(cid)
    assert ctrl.ui.route == f"/clients/{cid}" and shown(ctrl).client.last_name == "Лебедева"
    assert dup.matches == []
    # what the hub then publishes of her reaches this device: she is served here from now on
    await engine(ctrl).sync_once()
    await ctrl.profile.load()
    assert shown(ctrl).client.phone == phone
    # the registration she interrupted is still there, as typed
    await ctrl.register.open()
    assert ctrl.register.form["last_name"] == "Лебедева"
    await ctrl.close()


async def test_the_cache_answers_at_once_and_offline_says_only_the_device_was_checked(demo_hub, tmp_path):
    ctrl = await logged_in(demo_hub, tmp_path)
    await wait_for(lambda: ctrl.sync.status.last_sync is not None and ctrl.clients.total > 0)
    row = await ctrl.cache.read(
        lambda db: db.execute(
            "SELECT id, phone, email, last_name, first_name, birthday FROM clients"
            " WHERE phone IS NOT NULL AND email IS NOT NULL AND birthday IS NOT NULL LIMIT 1"
        ).fetchone()
    )
    cid, phone, email, last, first, born = row
    dup = ctrl.duplicates
    y, mo, d = born[:10].split("-")
    for form, by in (
        ({"phone": phone}, ("phone",)),
        ({"email": email.upper()}, ("email",)),
        ({"last_name": last.upper(), "first_name": first, "birthday": f"{d}.{mo}.{y}"}, ("name_birthday",)),
    ):
        dup.check(form)
        await wait_for(lambda by=by: any((m.client_id, m.matched_by) == (cid, by) for m in dup.matches))
        (m,) = [m for m in dup.matches if m.client_id == cid]
        assert m.cached and m.name == f"{last} {first}"
    # the hub unreachable: the cache still answers; the panel says the brand was not asked
    client = ctrl.sync.client
    assert client is not None
    client.base_url = "http://127.0.0.1:9"
    client._http.base_url = httpx.URL("http://127.0.0.1:9")
    dup.check({"phone": phone, "email": ""})
    await wait_for(lambda: dup.notice is not None and not dup.asking)
    assert dup.notice == Message("duplicates.offline") and [m.client_id for m in dup.matches] == [cid]
    assert await dup.open_match(cid) and ctrl.ui.route == f"/clients/{cid}"
    await ctrl.close()


async def test_a_manager_lists_the_stores_pairs_and_keeps_one_a_consultant_sees_none(demo_hub, tmp_path):
    phone = f"+7926{random.randrange(10**7):07d}"
    there = _register_elsewhere(demo_hub.url, last_name="Горина", first_name="Нина", phone=phone)
    consultant = await logged_in(demo_hub, tmp_path / "consultant")
    await wait_for(lambda: consultant.sync.status.last_sync is not None)
    await consultant.register.open()
    consultant.register.form.update(last_name="Горина", first_name="Нина", phone=phone)
    here = await consultant.register.save()  # registered anyway (she is in no cache here): a pair on the hub
    assert here
    await engine(consultant).sync_once()
    await consultant.pairs.load()
    assert consultant.pairs.allowed is False and consultant.pairs.pairs == []
    await consultant.close()

    manager = make(tmp_path / "manager", demo_hub.url)
    await manager.start()
    manager.session.login, manager.session.password = "manager1", "vitrine"
    assert await manager.session.log_in()
    await wait_for(lambda: manager.sync.status.last_sync is not None)
    await manager.pairs.load()
    assert manager.pairs.allowed is True
    (pair,) = [p for p in manager.pairs.pairs if {c.client_id for c in p.clients} == {there, here}]
    assert {c.store_name for c in pair.clients} == {"Петровка", "Невский"} and phone not in pair.model_dump_json()
    assert await manager.pairs.merge(pair.id, here)
    assert pair.id not in [p.id for p in manager.pairs.pairs] and manager.pairs.notice is None
    assert not await manager.pairs.merge(pair.id, here)  # closed now: refused, said so
    assert manager.pairs.notice == Message("duplicates.pair_failed")
    await manager.close()
