"""Sessions and devices as the app lives them, on a real hub process and a real cache file:
a revoked device wipes itself and says so; logout ends the session on the hub; an account or
store change wipes the old cache only once its outbox has drained, and the previous
consultant's queue is never pushed under the next one's name; each browser session of web
mode logs in for itself."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import httpx

from app.cache import cipher, outbox, store, sync_state
from app.main import Apps, parse_args
from app.state.messages import Message
from sync.models import DEVICE_REVOKED
from tests.state.helpers import signed_in
from tests.state.test_app import logged_in, wait_for
from tests.sync.helpers import PASSWORDS, STORES, logins_of_store


def _login(hub_url: str, who: str) -> str:
    r = httpx.post(f"{hub_url}/v1/auth/login", json={"login": who, "password": PASSWORDS[who]}, timeout=30)
    r.raise_for_status()
    return r.json()["access_token"]


def _cache_rows(app, sql: str) -> list[tuple]:
    """Rows of the app's cache file read beside it, with the key the app keeps (the file is
    encrypted); a wiped cache is read with its new key."""
    path = app.cache.path
    key = bytes.fromhex(app.secrets.get(store.key_name(path)))
    conn = cipher.connect(path, key)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def _as(app, who: str, password: str) -> bool:
    app.session.login, app.session.password = who, password
    return await app.session.log_in()


async def test_a_revoked_device_wipes_its_cache_and_secrets_and_says_so(demo_hub, tmp_path):
    app = await logged_in(demo_hub, tmp_path)
    await wait_for(lambda: app.clients.total > 0)
    some = _cache_rows(app, "SELECT id FROM clients LIMIT 5")
    assert some and app.secrets.get(app.session.refresh_key) and app.secrets.get(app.session.device_key)
    device = app.ctx.device_id
    manager = _login(demo_hub.url, "manager1")
    r = httpx.post(
        f"{demo_hub.url}/v1/devices/{device}/revoke", headers={"Authorization": f"Bearer {manager}"}, timeout=30
    )
    assert r.status_code == 204, r.text
    app.sync.sync_now()  # the next contact
    await wait_for(lambda: app.ui.notice == Message("notice.device_revoked"))
    await wait_for(lambda: app.ui.route == "/login")
    assert app.session.current is None and app.sync.engine is None
    for key in (app.session.token_key, app.session.refresh_key, app.session.device_key):
        assert app.secrets.get(key) is None, key
    await app.close()
    # the file in its place is a fresh cache: no client of the store is left on the tablet
    assert _cache_rows(app, "SELECT count(*) FROM clients") == [(0,)]


async def test_logout_ends_the_session_on_the_hub(demo_hub, tmp_path):
    app = await logged_in(demo_hub, tmp_path)
    await wait_for(lambda: app.sync.status.last_sync is not None)
    token = app.secrets.get(app.session.token_key)
    await app.session.log_out()
    assert app.secrets.get(app.session.token_key) is None and app.secrets.get(app.session.refresh_key) is None
    r = httpx.get(f"{demo_hub.url}/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 401 and r.json()["type"] != DEVICE_REVOKED
    await app.close()


async def test_a_store_change_wipes_the_old_stores_book_once_the_outbox_drained(demo_hub, tmp_path):
    app = await logged_in(demo_hub, tmp_path)  # demo: the first store
    await wait_for(lambda: app.sync.status.last_sync is not None and app.clients.total > 0)
    # Her own store's clients (a client of another store shared into it, by the duplicates'
    # browser test on this session's hub, is in both books by right).
    first_store = set(_cache_rows(app, f"SELECT id FROM clients WHERE store_id = '{STORES[0]}'"))
    assert first_store
    await app.session.log_out()
    other = next(w for w in logins_of_store(1))
    assert await _as(app, other, PASSWORDS[other]), app.session.error
    assert signed_in(app).store_id == STORES[1]
    await wait_for(lambda: app.sync.status.last_sync is not None and app.clients.total > 0)
    now = set(_cache_rows(app, "SELECT id FROM clients"))
    assert now and not now & first_store
    assert _cache_rows(app, "SELECT DISTINCT store_id FROM clients") == [(STORES[1],)]
    await app.close()


async def test_the_previous_consultants_queue_is_never_sent_under_the_next_ones_name(demo_hub, tmp_path):
    app = await logged_in(demo_hub, tmp_path)
    await wait_for(lambda: app.sync.status.last_sync is not None and app.clients.total > 0)
    demo_id = signed_in(app).consultant_id
    (cid,) = _cache_rows(app, "SELECT id FROM clients ORDER BY id LIMIT 1")[0]
    demo_hub.stop()  # the hub goes away: the change stays queued, and logout cannot reach the hub
    try:
        mid = await app.cache.write(outbox.enqueue, "client.update", cid, {"fields": {"notes": "Анна: перезвонить"}})
        await app.session.log_out()
        assert app.secrets.get(app.session.token_key) is None  # deleted locally all the same
    finally:
        demo_hub.start()
    colleague = next(w for w in logins_of_store(0) if w != "demo")
    assert not await _as(app, colleague, PASSWORDS[colleague])
    assert app.session.error is not None and app.session.error.key == "login.previous_outbox"
    assert app.session.current is None and app.ui.route == "/login"
    counts = await app.cache.read(outbox.counts)
    assert counts["pending"] == 1  # kept, not wiped, not sent
    hub = sqlite3.connect(demo_hub.db_path)
    try:
        assert hub.execute("SELECT count(*) FROM mutations WHERE id = ?", (mid,)).fetchone()[0] == 0
    finally:
        hub.close()
    # the consultant who made it logs in again: it goes out under her name, and the cache stays hers
    assert await _as(app, "demo", "vitrine-demo")
    for _ in range(600):
        if (await app.cache.read(outbox.counts))["pending"] == 0:
            break
        await asyncio.sleep(0.1)
    assert (await app.cache.read(outbox.counts)) == {"pending": 0, "waiting": 0, "rejected": 0}
    hub = sqlite3.connect(demo_hub.db_path)
    try:
        (status,) = hub.execute("SELECT response FROM mutations WHERE id = ?", (mid,)).fetchone()
        assert json.loads(status)["status"] == "applied", status
        (data,) = hub.execute(
            "SELECT data FROM feed WHERE entity = 'history' AND json_extract(data, '$.mutation_id') = ?", (mid,)
        ).fetchone()
    finally:
        hub.close()
    assert json.loads(data)["consultant_id"] == demo_id
    # and now, drained, the colleague may take the tablet: the cache is wiped for her
    await app.session.log_out()
    assert await _as(app, colleague, PASSWORDS[colleague]), app.session.error
    assert await app.cache.read(sync_state.get_state, "owner") is not None
    assert (await app.cache.read(outbox.counts))["pending"] == 0
    await app.close()


async def test_each_browser_session_of_web_mode_logs_in_for_itself(demo_hub, tmp_path):
    apps = Apps(parse_args(["--hub", demo_hub.url, "--data", str(tmp_path), "--sync-interval", "60"]))
    (k1, one), (k2, other) = await apps.browser(), await apps.browser()
    try:
        assert one.ui.route == other.ui.route == "/login"
        assert await _as(one, "demo", "vitrine-demo")
        assert other.ui.route == "/login" and other.session.current is None  # no ride on the first's login
        assert other.secrets.get(other.session.token_key) is None
        assert one.cache.path != other.cache.path and one.cache.path.parent.parent == tmp_path / "web"
        await wait_for(lambda: one.sync.status.last_sync is not None and one.clients.total > 0)
        token = one.secrets.get(one.session.token_key)
        assert token and not list(tmp_path.rglob("secrets*"))  # held in memory: nothing on disk
        folder = one.cache.path.parent
        assert await apps.end(k1)  # the browser session is over: its hub session ends, its folder goes
        assert not folder.exists()
        r = httpx.get(f"{demo_hub.url}/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert r.status_code == 401
        assert other.ui.route == "/login"
    finally:
        await apps.close_all()
    assert not (tmp_path / "web" / k2).exists()
