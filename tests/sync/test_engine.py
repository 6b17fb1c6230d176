"""The sync engine against a real hub process: the contract of docs/sync-protocol.md, case by case."""

from __future__ import annotations

import asyncio
import json
import random
import uuid

import httpx
import pytest

from app.cache import bulk_load, outbox, replica, sync_state
from app.sync_engine import engine as engine_mod
from app.sync_engine.engine import SyncStatus, backoff_delay
from sync.client import AuthExpired, DeviceRevoked, HubError, HubUnreachable
from sync.models import PROTOCOL_HEADER, new_id
from tests.conftest import free_port
from tests.sync.faulty_proxy import FaultyProxy
from tests.sync.helpers import STORES, compare_cache_with_hub, login_token, post_receipts, till_receipt


def _fiscal() -> tuple[str, str, str]:
    """A fiscal triple no other test uses."""
    n = uuid.uuid4().int
    return f"92{n % 10**14:014d}", str(n % 10**9 + 1), str((n >> 64) % 10**9 + 1)


def _mine(device, n: int = 1, offset: int = 0) -> list[str]:
    """Seeded clients of the device's store, picked per test so tests don't share them."""
    ids = device.clients_of_store()
    rnd = random.Random(device.device_id)
    return rnd.sample(ids, n + offset)[offset:]


async def test_offline_writes_then_sync(hub, devices):
    d = devices(hub, "consultant01")
    await d.settle()
    existing = _mine(d)[0]
    d.connect(f"http://127.0.0.1:{free_port()}")  # nothing listens there: offline

    cid = await d.register("Офлайнова", "Анна", email="anna@example.ru")
    await d.update(existing, notes="записано без сети")
    entry, _ = await d.diary_add(cid, "любит тёмно-синий")
    with pytest.raises(HubUnreachable):
        await d.engine.sync_once()
    assert d.engine.status.online is False and d.engine.status.pending == 3
    # the app keeps working from the cache: the new client and the edit are there, pending
    local, snapshot = d.client_row(cid)
    assert local["last_name"] == "Офлайнова" and snapshot is None
    assert d.client_row(existing)[0]["notes"] == "записано без сети"
    assert d.entity("diary", entry)["pending"] is True
    assert [r["status"] for r in d.outbox()] == ["pending"] * 3

    d.connect(hub.url)
    await d.settle()
    assert d.outbox() == [] and d.engine.status.online is True and d.engine.status.pending == 0
    assert hub.view.client(cid)["last_name"] == "Офлайнова"
    assert hub.view.client(existing)["notes"] == "записано без сети"
    assert [r["text"] for r in hub.view.diary_revisions(entry)] == ["любит тёмно-синий"]
    assert "pending" not in d.entity("diary", entry)
    assert compare_cache_with_hub(d.cache, hub.view, d.store_id) == []


async def test_a_replayed_batch_gets_the_first_answers_as_duplicates(hub, devices):
    d = devices(hub, "consultant02")
    await d.settle()
    cid = _mine(d)[0]
    await d.update(cid, notes=f"заметка {new_id()}")
    entry, _ = await d.diary_add(cid, "первая запись")
    batch = (await d.cache.read(outbox.pending_after, 10, 0))[0]

    first = await d.client.push(d.device_id, batch)
    again = await d.client.push(d.device_id, batch)
    assert [r.status for r in first.results] == ["applied", "applied"]
    assert [r.status for r in again.results] == ["duplicate", "duplicate"]
    for a, b in zip(first.results, again.results, strict=True):
        assert b.id == a.id and b.result == {"first": a.model_dump(mode="json")}
    # applied once: one revision, one history row per changed field, one answer stored
    assert len(hub.view.diary_revisions(entry)) == 1
    assert [h[0] for h in hub.view.history(cid) if h[3] == batch[0].id] == ["notes"]
    assert len(hub.view.mutations([d.device_id])) == 2
    # the engine treats a duplicate as answered: it leaves the outbox
    await d.cache.write(replica.record_results, again.results)
    assert d.outbox() == []


async def test_an_unknown_kind_is_rejected_not_dropped(hub, devices):
    d = devices(hub, "consultant03")
    await d.settle()
    cid = _mine(d)[0]
    bad = await d.raw("client.teleport", cid, {"to": "Марс"})
    good = await d.update(cid, notes=f"после неизвестной {new_id()}")
    await d.engine.sync_once()

    rows = d.outbox()
    assert [(r["id"], r["status"]) for r in rows] == [(bad, "rejected")]
    assert "client.teleport" in rows[0]["reason"]
    assert d.engine.status.rejected == 1 and d.engine.status.pending == 0
    stored = hub.view.mutations([d.device_id])
    assert stored[(d.device_id, bad)]["status"] == "rejected"
    assert stored[(d.device_id, bad)]["response"]["code"] == "unknown_kind"
    assert stored[(d.device_id, good)]["status"] == "applied"  # the one after it was not held up
    # a replay of the rejected one stays rejected on the device
    again = await d.client.push(d.device_id, [m for m in await _as_mutations(d, [bad])])
    assert again.results[0].status == "duplicate" and again.results[0].code == "unknown_kind"
    await d.cache.write(replica.record_results, again.results)
    assert [(r["id"], r["status"]) for r in d.outbox()] == [(bad, "rejected")]
    assert [r["id"] for r in await d.cache.read(outbox.rejected)] == [bad]


async def _as_mutations(d, ids: list[str]):
    from sync.models import Mutation

    def client_time(db, mid: str) -> str:
        return db.execute("SELECT client_time FROM outbox WHERE id = ?", [mid]).fetchone()[0]

    rows = [r for r in d.outbox() if r["id"] in ids]
    return [
        Mutation(
            id=r["id"],
            kind=r["kind"],
            entity_id=r["entity_id"],
            payload=json.loads(r["payload"]),
            client_time=d.cache.read_sync(client_time, r["id"]),
        )
        for r in rows
    ]


async def test_an_invalid_payload_is_rejected_with_a_readable_reason(hub, devices):
    d = devices(hub, "demo")
    await d.settle()
    cid = _mine(d)[0]
    before = hub.view.client(cid)
    bad_email = await d.raw("client.update", cid, {"fields": {"email": "не почта"}})
    hub_owned = await d.raw("client.update", cid, {"fields": {"points_balance": 10**6}})
    no_name = await d.raw("client.register", new_id(), {"last_name": "Безымянная", "store_id": d.store_id})
    empty_note = await d.raw("diary.add", new_id(), {"client_id": cid, "text": ""})
    await d.engine.sync_once()

    reasons = {r["id"]: r["reason"] for r in d.outbox() if r["status"] == "rejected"}
    assert set(reasons) == {bad_email, hub_owned, no_name, empty_note}
    assert "email" in reasons[bad_email] and "not valid" in reasons[bad_email]
    assert "points_balance" in reasons[hub_owned]
    assert "first_name" in reasons[no_name] and "required" in reasons[no_name].lower()
    assert reasons[empty_note].startswith("text:")
    for reason in reasons.values():
        assert "Traceback" not in reason and "{" not in reason and len(reason) < 300
    assert hub.view.client(cid) == before
    codes = {k[1]: v["response"]["code"] for k, v in hub.view.mutations([d.device_id]).items()}
    assert set(codes.values()) == {"invalid_payload"}
    assert d.client_row(cid)[0] == before  # the local view is the hub's again


async def test_two_devices_editing_different_fields_both_win(hub, devices):
    a, b = devices(hub, "demo"), devices(hub, "consultant01")
    await asyncio.gather(a.settle(), b.settle())
    cid = _mine(a, offset=1)[0]
    await a.update(cid, notes="предпочитает примерку утром")
    await b.update(cid, email="new.mail@example.ru", styles=["классика"])
    await a.settle()
    await b.settle()
    await a.settle()

    hub_client = hub.view.client(cid)
    assert hub_client["notes"] == "предпочитает примерку утром"
    assert hub_client["email"] == "new.mail@example.ru" and hub_client["styles"] == ["классика"]
    for d in (a, b):
        local, snapshot = d.client_row(cid)
        assert local == snapshot == hub_client
    assert {h[0] for h in hub.view.history(cid)} >= {"notes", "email", "styles"}


async def test_same_field_last_in_hub_order_wins_and_the_loser_is_in_history(hub, devices):
    a, b = devices(hub, "consultant02"), devices(hub, "consultant03")
    await asyncio.gather(a.settle(), b.settle())
    cid = _mine(a, offset=2)[0]
    a_mid = await a.update(cid, notes="от A")
    b_mid = await b.update(cid, notes="от B")
    await b.settle()  # B reaches the hub first...
    await a.engine.pull()  # A sees B's value but still shows its own pending edit
    assert a.client_row(cid)[0]["notes"] == "от A" and a.client_row(cid)[1]["notes"] == "от B"
    await a.settle()  # ...A second: A is last in hub order and wins
    await b.settle()

    assert hub.view.client(cid)["notes"] == "от A"
    assert a.client_row(cid)[0]["notes"] == b.client_row(cid)[0]["notes"] == "от A"
    rows = [h for h in hub.view.history(cid) if h[3] in (a_mid, b_mid)]
    assert [(json.loads(h[1]), json.loads(h[2]), h[3]) for h in rows][-1] == ("от B", "от A", a_mid)
    for d in (a, b):  # the overwritten value is published to the store's devices
        lost = [h for h in d.entities("history") if h["client_id"] == cid and h["mutation_id"] == a_mid]
        assert lost and lost[0]["old_value"] == "от B" and lost[0]["new_value"] == "от A"
        assert compare_cache_with_hub(d.cache, hub.view, d.store_id) == []


async def test_republishing_the_newest_entity_is_not_skipped_by_a_device_at_the_head(hub, devices):
    """Regression: SQLite reused the deleted top seq for the next feed row (rowid without
    AUTOINCREMENT), so a device whose cursor sat on it never saw that row."""
    a, b = devices(hub, "consultant01"), devices(hub, "consultant03")
    await asyncio.gather(a.settle(), b.settle())
    cid = _mine(b, offset=12)[0]
    await a.update(cid, notes=f"A {new_id()}")
    await a.settle()
    top = hub.view.q("SELECT entity, entity_id, seq FROM feed ORDER BY seq DESC LIMIT 1")[0]
    assert top[:2] == ("client", cid) and a.cache.read_sync(sync_state.cursor) == top[2]
    b_mid = await b.update(cid, email=f"x{uuid.uuid4().hex[:8]}@example.ru")
    await b.settle()
    await a.settle()
    assert [h["mutation_id"] for h in a.entities("history") if h["mutation_id"] == b_mid] == [b_mid]
    assert compare_cache_with_hub(a.cache, hub.view, a.store_id) == []


async def test_diary_revisions_from_two_devices_are_both_kept(hub, devices):
    a, b = devices(hub, "demo"), devices(hub, "demo")  # the author on two tablets (only she or a manager may edit)
    await a.settle()
    cid = _mine(a, offset=3)[0]
    entry, _ = await a.diary_add(cid, "хочет пальто к осени")
    await a.settle()
    await b.settle()
    assert b.entity("diary", entry)["text"] == "хочет пальто к осени"
    await a.diary_revise(entry, cid, "A: размер 44")
    await b.diary_revise(entry, cid, "B: цвет кэмел")
    await a.settle()
    await b.settle()
    await a.settle()

    revs = hub.view.diary_revisions(entry)
    assert [(r["kind"], r["text"]) for r in revs] == [
        ("add", "хочет пальто к осени"),
        ("revise", "A: размер 44"),
        ("revise", "B: цвет кэмел"),
    ]
    for d in (a, b):
        seen = d.entity("diary", entry)
        assert seen["text"] == "B: цвет кэмел" and len(seen["revisions"]) == 3 and "pending" not in seen


async def test_a_diary_delete_is_a_tombstone(hub, devices):
    d = devices(hub, "consultant01")
    await d.settle()
    cid = _mine(d, offset=4)[0]
    entry, _ = await d.diary_add(cid, "временная запись")
    await d.raw("diary.delete", entry, {})
    await d.settle()
    seen = d.entity("diary", entry)
    assert seen["deleted"] is True and [r["kind"] for r in seen["revisions"]] == ["add", "delete"]
    assert seen["text"] == "временная запись"  # the tombstone keeps what was there


async def test_a_receipt_link_waits_for_the_till_upload_then_matches(hub, devices):
    d = devices(hub, "consultant03")
    await d.settle()
    cid = _mine(d, offset=5)[0]
    fn, i, fp = _fiscal()
    mid = await d.link_receipt(cid, fn, i, fp)
    await d.settle()
    assert d.outbox() == []
    assert hub.view.mutations([d.device_id])[(d.device_id, mid)]["response"]["result"]["state"] == "waiting"
    assert d.entity("link", mid)["state"] == "waiting"

    res = post_receipts(hub.url, hub.token("till1"), [till_receipt(STORES[0], fn, i, fp)])
    assert res[0]["client_id"] == cid
    await d.settle()
    link = d.entity("link", mid)
    assert link["state"] == "matched" and link["receipt_id"] == res[0]["receipt_id"]
    receipt = d.entity("receipt", res[0]["receipt_id"])
    assert receipt["client_id"] == cid and receipt["linked_by"] is not None
    # the hub ran its loyalty rules on the link: the points it wrote reach the device
    hub_ledger = sorted(
        (e for e in hub.view.ledger(cid) if e.get("receipt_id") == receipt["id"]), key=lambda e: e["id"]
    )
    assert hub_ledger, "a linked 25,000 RUB sale earned no ledger entry"
    assert (
        sorted((e for e in d.entities("ledger") if e.get("receipt_id") == receipt["id"]), key=lambda e: e["id"])
        == hub_ledger
    )
    assert d.client_row(cid)[0] == hub.view.client(cid)
    assert compare_cache_with_hub(d.cache, hub.view, d.store_id) == []


async def test_a_second_link_to_another_client_is_rejected_and_shown_in_the_outbox(hub, devices):
    a, b = devices(hub, "demo"), devices(hub, "consultant01")
    await asyncio.gather(a.settle(), b.settle())
    c1, c2 = _mine(a, 2, offset=6)
    fn, i, fp = _fiscal()
    post_receipts(hub.url, hub.token("till1"), [till_receipt(STORES[0], fn, i, fp)])  # unidentified
    first = await a.link_receipt(c1, fn, i, fp)
    second = await b.link_receipt(c2, fn, i, fp)
    await a.settle()
    await b.settle()

    assert a.outbox() == []
    rows = b.outbox()
    assert [(r["id"], r["status"]) for r in rows] == [(second, "rejected")]
    assert rows[0]["reason"] == "This receipt is already linked to another client."
    assert b.engine.status.rejected == 1
    assert hub.view.mutations([b.device_id])[(b.device_id, second)]["response"]["code"] == "receipt_taken"
    assert hub.view.mutations([a.device_id])[(a.device_id, first)]["status"] == "applied"
    assert hub.view.receipt(fn, i, fp)["client_id"] == c1
    # the consultant dismisses it once read
    await b.cache.write(outbox.dismiss_rejected, second)
    assert b.outbox() == []


async def test_form_sign_waits_until_its_blob_is_uploaded(hub, devices):
    d = devices(hub, "consultant02")
    await d.settle()
    cid = _mine(d, offset=8)[0]
    signature = b"\x89PNG signature " + new_id().encode()
    form_id, mid = await d.sign_form(cid, signature)
    sha = next(iter(d.blobs))
    on_disk = d.blobs.pop(sha)  # the signature file is not readable yet
    after = await d.update(cid, notes=f"после подписи {new_id()}")
    await d.engine.sync_once()

    rows = d.outbox()
    assert [(r["id"], r["status"]) for r in rows] == [(mid, "waiting")]
    assert rows[0]["reason"].startswith("Waiting for the upload of blob")
    assert d.engine.status.pending == 1
    assert (d.device_id, mid) not in hub.view.mutations([d.device_id])  # nothing recorded: retried later
    assert hub.view.mutations([d.device_id])[(d.device_id, after)]["status"] == "applied"

    d.blobs[sha] = on_disk
    await d.settle()
    assert d.outbox() == []
    assert hub.view.mutations([d.device_id])[(d.device_id, mid)]["status"] == "applied"
    assert await d.client.get_blob(sha) == signature
    assert d.entity("form", form_id)["signature_sha256"] == sha


async def test_many_waiting_mutations_do_not_hold_up_the_rest(hub, devices, monkeypatch):
    monkeypatch.setattr(engine_mod, "PUSH_BATCH", 3)
    d = devices(hub, "consultant03")
    await d.settle()
    cid = _mine(d, offset=9)[0]
    for k in range(4):  # more waiting forms than one batch holds
        await d.sign_form(cid, f"signature {k} {new_id()}".encode())
    d.blobs.clear()
    after = await d.update(cid, notes=f"после форм {new_id()}")
    await d.engine.sync_once()
    assert hub.view.mutations([d.device_id]).get((d.device_id, after), {}).get("status") == "applied"
    assert [r["status"] for r in d.outbox()] == ["waiting"] * 4


async def test_an_unknown_protocol_version_is_refused_with_a_message(hub, devices):
    d = devices(hub, "consultant01")
    d.client._http.headers[PROTOCOL_HEADER] = "99"
    await d.update(d.cache.write_sync(_seed_one_client, hub, d), notes="x")
    with pytest.raises(HubError) as e:
        await d.engine.sync_once()
    assert e.value.status == 400 and e.value.title == "Unsupported protocol version"
    detail = e.value.detail
    assert detail is not None and "protocol 1" in detail and "99" in detail and "Update the app" in detail
    assert d.engine.status.error.startswith("Unsupported protocol version")
    assert [r["status"] for r in d.outbox()] == ["pending"]  # kept for the updated app
    r = httpx.get(hub.url + "/v1/changes", headers={PROTOCOL_HEADER: "0", "Authorization": f"Bearer {d.token}"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"] == "urn:vitrine:protocol-version"
    assert hub.view.mutations([d.device_id]) == {}


def _seed_one_client(db, hub, d) -> str:
    """Put one hub client into a cache without a pull (for tests whose pulls are refused)."""
    from app.cache.clients import save_client

    cid, data = hub.view.q("SELECT id, data FROM clients WHERE store_id = ? LIMIT 1", d.store_id)[0]
    save_client(db, json.loads(data), json.loads(data))
    return cid


async def test_an_expired_session_keeps_the_outbox_and_says_so(hub, devices):
    d = devices(hub, "consultant02")
    d.client.token, d.client.refresh_token = "not-a-token", "not-a-refresh-token"
    await d.raw("client.update", new_id(), {"fields": {"notes": "x"}})
    with pytest.raises(AuthExpired):
        await d.engine.sync_once()
    assert d.engine.status.auth_expired is True and d.engine.status.online is True
    assert [r["status"] for r in d.outbox()] == ["pending"]


async def test_a_refused_access_token_is_renewed_once_for_concurrent_requests(hub, devices):
    """The access token dies (here: replaced by garbage; on the hub, by its 15 minutes): the
    client renews it with the refresh token once, however many requests found it refused,
    hands the rotated pair to its saver, and the engine's round goes through."""
    d = devices(hub, "consultant04")
    saved: list[tuple[str, str]] = []

    async def save(access: str, refresh: str) -> None:
        saved.append((access, refresh))

    d.client.on_tokens = save
    first_refresh = d.client.refresh_token
    d.client.token = "expired-or-unknown"
    pages = await asyncio.gather(*(d.client.pull_page(0, 10) for _ in range(4)))
    assert all(p.size > 0 for p in pages)
    # one renewal: a second would have presented the spent refresh token and ended the session
    assert len(saved) == 1 and saved[0][1] != first_refresh and d.client.token == saved[0][0]
    # a live client (the duplicates tests leave merged and erased tombstones on this hub)
    cid = next(
        i
        for i, data in hub.view.q("SELECT id, data FROM clients WHERE store_id = ? ORDER BY id", d.store_id)
        if not ({"merged_into", "erased_at"} & set(json.loads(data)))
    )
    await d.raw("client.update", cid, {"fields": {"notes": "после продления"}})
    d.client.token = "expired-again"
    await d.settle()
    assert len(saved) == 2 and hub.view.client(cid)["notes"] == "после продления"


async def test_a_revoked_device_stops_syncing_and_says_so(hub, devices):
    d = devices(hub, "consultant05")
    await d.settle()
    manager = login_token(hub.url, "manager1" if d.store_id == STORES[0] else "manager2")
    r = httpx.post(
        f"{hub.url}/v1/devices/{d.device_id}/revoke", headers={"Authorization": f"Bearer {manager}"}, timeout=30
    )
    assert r.status_code == 204, r.text
    with pytest.raises(DeviceRevoked):
        await d.engine.sync_once()
    assert d.engine.status.device_revoked is True
    d.engine.start()
    await asyncio.wait_for(d.engine._task, 60)  # the loop ends by itself: nothing more to send
    with pytest.raises(DeviceRevoked):  # the refresh token is refused too
        await d.client.refresh()


async def test_other_stores_data_never_reaches_the_cache(hub, devices):
    a, other = devices(hub, "demo"), devices(hub, "consultant05")
    await a.settle()
    cid = await a.register("Чужая", "Клиентка")
    await a.settle()
    await other.settle()
    assert other.client_row(cid) is None
    shared = {r[0] for r in hub.view.q("SELECT client_id FROM client_shares WHERE store_id = ?", other.store_id)}
    assert all(other.client_row(c) is None for c in a.clients_of_store()[:20] if c not in shared)
    assert compare_cache_with_hub(other.cache, hub.view, other.store_id) == []
    assert other.store_id == STORES[1]


async def test_the_background_loop_backs_off_and_recovers(hub, devices):
    async with FaultyProxy(int(hub.url.rsplit(":", 1)[1]), seed=7, rates={"error_500": 1.0}) as proxy:
        d = devices(hub, "consultant03", base_url=proxy.url)
        statuses: list[SyncStatus] = []
        d.engine.on_status = statuses.append
        d.engine.interval = 0.5
        d.engine.start()
        for _ in range(400):  # a loaded machine can take more than a second for the first round
            if proxy.stats["error_500"] >= 1 and d.engine.status.error:
                break
            await asyncio.sleep(0.05)
        assert proxy.stats["error_500"] >= 1 and d.engine.status.error, d.engine.status
        cid = await d.register("Фоновая", "Проверка")
        proxy.set_rates()  # the hub is reachable again
        d.engine.kick()
        # The push lands before the pull that follows it ends: wait for the whole round.
        for _ in range(400):
            st = d.engine.status
            if st.pending == 0 and not st.syncing and d.client_row(cid)[1] is not None:
                break
            await asyncio.sleep(0.05)
        assert d.client_row(cid)[1] is not None, d.engine.status
        assert d.engine.status.online is True and d.engine.status.error is None
        assert any(s.syncing for s in statuses) and statuses[-1].syncing is False
        await d.engine.stop()


async def test_a_pull_broken_off_midway_keeps_whole_pages_and_resumes(hub, devices, monkeypatch):
    monkeypatch.setattr(engine_mod, "PULL_LIMIT", 40)
    monkeypatch.setattr(engine_mod, "PULL_BATCH_BYTES", 1)  # one page per transaction
    visible = sorted(
        seq for (seq,) in hub.view.q("SELECT seq FROM feed WHERE store_id = ? OR store_id IS NULL", STORES[0])
    )
    assert len(visible) > 200
    async with FaultyProxy(int(hub.url.rsplit(":", 1)[1]), seed=3) as proxy:
        proxy.plan = [None, None, "drop_response"]  # the third page's answer is cut off
        d = devices(hub, "consultant02", base_url=proxy.url, page_files=False)  # JSON pages
        with pytest.raises(HubUnreachable):
            await d.engine.sync_once()
    assert d.cache.read_sync(sync_state.cursor) == visible[79]  # two whole pages, and their cursor
    assert d.engine.status.pulled == 80
    held = d.cache.read_sync(
        lambda db: (
            db.execute("SELECT count(*) FROM entities").fetchone()[0]
            + db.execute("SELECT count(*) FROM clients").fetchone()[0]
        )
    )
    assert held == 80
    d.connect(hub.url)
    await d.settle()
    assert d.cache.read_sync(sync_state.cursor) == max(visible)
    assert compare_cache_with_hub(d.cache, hub.view, d.store_id) == []


def test_backoff_is_exponential_with_full_jitter():
    rnd = random.Random(1)
    for attempt in range(0, 30):
        cap = min(60.0, 2.0 ** min(attempt, 16))
        samples = [backoff_delay(attempt, rnd=rnd) for _ in range(200)]
        assert all(0 <= s <= cap for s in samples)
        assert max(samples) > cap * 0.8 and min(samples) < cap * 0.2  # spread over the whole range


async def test_a_link_overruled_by_another_stores_till_reaches_the_linking_device(hub, devices):
    a = devices(hub, "consultant02")  # store 0
    await a.settle()
    mine = _mine(a, offset=14)[0]
    other = hub.view.q("SELECT id, data FROM clients WHERE store_id = ? LIMIT 1", STORES[1])[0]
    fn, i, fp = _fiscal()
    mid = await a.link_receipt(mine, fn, i, fp)  # scanned before the till uploads it
    await a.settle()
    assert a.entity("link", mid)["state"] == "waiting"
    phone = json.loads(other[1])["phone"]  # ...and the till names store 1's client
    res = post_receipts(hub.url, hub.token("till2"), [till_receipt(STORES[1], fn, i, fp, phone=phone)])
    assert res[0]["client_id"] == other[0]
    await a.settle()
    assert a.entity("link", mid)["state"] == "rejected"


async def test_a_big_first_sync_loads_in_bulk_and_ends_equal_to_the_hub(hub, devices, monkeypatch):
    monkeypatch.setattr(engine_mod, "BULK_MIN_ROWS", 100)
    monkeypatch.setattr(engine_mod, "PULL_LIMIT", 150)
    began: list[int] = []
    real_begin = bulk_load.begin_bulk

    def spy(db):
        began.append(1)
        return real_begin(db)

    monkeypatch.setattr(bulk_load, "begin_bulk", spy)
    d = devices(hub, "consultant03")
    await d.settle()
    assert began and not d.cache.read_sync(bulk_load.bulk_loading)
    assert compare_cache_with_hub(d.cache, hub.view, d.store_id) == []
    names = d.cache.read_sync(lambda db: {r[0] for r in db.execute("SELECT name FROM sqlite_master")})
    assert set(bulk_load.BULK_DROPPED) <= names
    row = d.cache.read_sync(lambda db: db.execute("SELECT id, last_name FROM clients LIMIT 1").fetchone())
    from app.cache.search import search

    assert row[0] in [h.id for h in d.cache.read_sync(search, row[1], 200)]


async def test_a_bulk_pull_broken_off_puts_the_indexes_back_and_resumes(hub, devices, monkeypatch):
    monkeypatch.setattr(engine_mod, "BULK_MIN_ROWS", 100)
    monkeypatch.setattr(engine_mod, "PULL_LIMIT", 40)
    monkeypatch.setattr(engine_mod, "BULK_BATCH_BYTES", 1)  # one page per transaction
    async with FaultyProxy(int(hub.url.rsplit(":", 1)[1]), seed=5) as proxy:
        proxy.plan = [None, None, None, "drop_response"]
        d = devices(hub, "consultant06", base_url=proxy.url, page_files=False)
        with pytest.raises(HubUnreachable):
            await d.engine.sync_once()
    assert d.cache.read_sync(sync_state.cursor) > 0
    assert not d.cache.read_sync(bulk_load.bulk_loading)
    names = d.cache.read_sync(lambda db: {r[0] for r in db.execute("SELECT name FROM sqlite_master")})
    assert set(bulk_load.BULK_DROPPED) <= names
    d.connect(hub.url)
    await d.settle()
    assert compare_cache_with_hub(d.cache, hub.view, d.store_id) == []


def test_an_unreadable_page_ends_a_batch_after_the_pages_before_it(tmp_path):
    from app.cache.replica import CacheReplica
    from app.cache.store import Cache
    from sync.page import BadPage, PageMeta, RawPage

    good = RawPage(
        b'{"changes":[{"seq":1,"entity":"diary","entity_id":"d1","deleted":false,'
        b'"data":{"id":"d1","client_id":"c1","text":"\xd0\xbf\xd1\x80\xd0\xb8"}}],'
        b'"next_cursor":1,"has_more":true,"total_estimate":null}',
        PageMeta(1, True),
    )
    # Its last change is not the cursor it names: a page the device must not trust.
    bad = RawPage(
        b'{"changes":[{"seq":2,"entity":"diary","entity_id":"d2","deleted":false,'
        b'"data":{"id":"d2","client_id":"c1"}}],"next_cursor":3,"has_more":false,"total_estimate":null}',
        PageMeta(3, False),
    )
    # Its body names another cursor than its headers did.
    crossed = RawPage(
        b'{"changes":[{"seq":2,"entity":"diary","entity_id":"d2","deleted":false,'
        b'"data":{"id":"d2","client_id":"c1"}}],"next_cursor":2,"has_more":false,'
        b'"total_estimate":null}',
        PageMeta(5, False),
    )
    # A client whose balance is not a number: the page parses, its client does not.
    odd = RawPage(
        b'{"changes":[{"seq":2,"entity":"client","entity_id":"c9","deleted":false,'
        b'"data":{"id":"c9","last_name":"X","points_balance":"many"}}],'
        b'"next_cursor":2,"has_more":false,"total_estimate":null}',
        PageMeta(2, False),
    )
    cache = Cache(tmp_path / "cache.sqlite")
    try:
        replica = CacheReplica(cache)
        for second in (bad, crossed, odd):
            applied, error = asyncio.run(replica.apply_json_pages([good, second], False))
            assert applied == 1
            assert isinstance(error, BadPage), error
        assert cache.read_sync(sync_state.cursor) == 1
        assert cache.read_sync(lambda db: db.execute("SELECT count(*) FROM clients").fetchone()) == (0,)
        rows = cache.read_sync(lambda db: db.execute("SELECT id, client_id, data FROM entities").fetchall())
        assert [(i, c, json.loads(d)["text"]) for i, c, d in rows] == [("d1", "c1", "при")]
    finally:
        cache.close()


def _count_file_pages(monkeypatch) -> list[int]:
    """Cursors the engine asked SQLite pages for."""
    from sync.client import HubClient

    asked: list[int] = []
    real = HubClient.pull_file

    async def counted(self, cursor, *a, **kw):
        asked.append(cursor)
        return await real(self, cursor, *a, **kw)

    monkeypatch.setattr(HubClient, "pull_file", counted)
    return asked


async def test_a_first_sync_in_file_pages_broken_off_keeps_whole_pages_and_resumes(hub, devices, monkeypatch):
    monkeypatch.setattr(engine_mod, "BULK_MIN_ROWS", 100)
    monkeypatch.setattr(engine_mod, "FILE_LIMIT", 60)
    asked = _count_file_pages(monkeypatch)
    async with FaultyProxy(int(hub.url.rsplit(":", 1)[1]), seed=7) as proxy:
        proxy.plan = [None, None, None, "drop_response"]  # the fourth page's answer is cut off
        d = devices(hub, "consultant05", base_url=proxy.url)
        visible = sorted(
            seq for (seq,) in hub.view.q("SELECT seq FROM feed WHERE store_id = ? OR store_id IS NULL", d.store_id)
        )
        assert len(visible) > 4 * 60
        with pytest.raises(HubUnreachable):
            await d.engine.sync_once()
    cursor = d.cache.read_sync(sync_state.cursor)
    assert cursor in visible[59::60][:3]  # whole pages only, each with its cursor
    assert not d.cache.read_sync(bulk_load.bulk_loading)
    assert not list(d.cache.path.parent.glob(d.cache.path.name + ".page*"))  # no file left behind
    before = len(asked)
    d.connect(hub.url)
    await d.settle()
    assert compare_cache_with_hub(d.cache, hub.view, d.store_id) == []
    assert asked[0] == 0 and asked[before] == cursor  # the broken pull resumed in SQLite pages, from its cursor
    assert not d.cache.read_sync(sync_state.file_pull)  # and ended: later pulls are JSON


async def test_a_hub_without_file_pages_is_pulled_in_json(hub, devices, monkeypatch):
    from sync.client import HubClient

    async def missing(self, *a, **kw):
        raise HubError(404, "Not Found")

    monkeypatch.setattr(HubClient, "pull_file", missing)
    d = devices(hub, "consultant07")
    await d.settle()
    assert d.engine.page_files is False
    assert compare_cache_with_hub(d.cache, hub.view, d.store_id) == []


async def test_an_unreadable_page_file_is_refused_and_nothing_applied(hub, devices, monkeypatch):
    from sync.client import HubClient
    from sync.page import FilePage, PageMeta

    real = HubClient.pull_file

    async def garbage(self, cursor, limit, path, with_total=False, on_headers=None):
        path.write_bytes(b"not a database" * 1000)
        page = FilePage(path, PageMeta(cursor + 10, False, 10))
        if on_headers:
            on_headers(page)
        return page

    monkeypatch.setattr(HubClient, "pull_file", garbage)
    d = devices(hub, "consultant09")
    with pytest.raises(HubError) as e:
        await d.engine.sync_once()
    assert (e.value.status, e.value.title) == (502, "Bad change page")
    assert d.cache.read_sync(sync_state.cursor) == 0
    assert not list(d.cache.path.parent.glob(d.cache.path.name + ".page*"))
    monkeypatch.setattr(HubClient, "pull_file", real)
    await d.settle()
    assert compare_cache_with_hub(d.cache, hub.view, d.store_id) == []


async def test_an_edit_the_hub_applied_unanswered_gives_way_to_a_later_one_once_answered(hub, devices):
    # A's push reaches the hub but its answer is lost; B then edits the same field; A still
    # pulls (its push failed) and replays its pending edit over B's newer value. When A's
    # edit is finally answered (a replay: "duplicate"), A must show the hub's value, B's.
    a, b = devices(hub, "consultant02"), devices(hub, "consultant03")
    await asyncio.gather(a.settle(), b.settle())
    cid = _mine(a, offset=4)[0]
    await a.update(cid, notes="от A, раньше")
    batch = (await a.cache.read(outbox.pending_after, 10, 0))[0]
    await a.client.push(a.device_id, batch)  # applied on the hub; A never records the answer
    await b.update(cid, notes="от B, позже")
    await b.settle()
    await a.engine.pull()
    assert a.client_row(cid)[0]["notes"] == "от A, раньше"  # its own edit, still pending here
    await a.settle()
    assert hub.view.client(cid)["notes"] == "от B, позже"
    local, snapshot = a.client_row(cid)
    assert local == snapshot == hub.view.client(cid)
