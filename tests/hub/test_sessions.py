"""Sessions and devices on a real hub (SQLite and PostgreSQL): access tokens expire and are
renewed with a rotating refresh token, a reused refresh token ends the session, logout
revokes, the device id is the hub's and bound to the session, a revoked device is told so.

The hub runs on a clock the test moves (create_app's `clock`), so no test waits for time.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from sync.client import AuthExpired, HubClient
from sync.hub import sessions
from sync.hub.api import create_app
from sync.hub.auth import Account
from sync.models import DEVICE_REVOKED, TOKEN_EXPIRED, new_id, utcnow
from tests.hub.conftest import headers, login

LIFE = sessions.Lifetimes(access=900, refresh=30 * 24 * 3600)


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def hub(hub_db, clock):
    with TestClient(create_app(hub_db, clock=clock, lifetimes=LIFE), raise_server_exceptions=False) as c:
        yield c


def _me(hub, h: dict):
    return hub.get("/v1/me", headers=headers(h))


def _refresh(hub, token: str):
    return hub.post("/v1/auth/refresh", json={"refresh_token": token})


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}", "X-Vitrine-Protocol": "1"}


def _contact(client_id: str) -> dict:
    return {
        "id": new_id(),
        "kind": "contact.log",
        "entity_id": new_id(),
        "payload": {"client_id": client_id, "channel": "calls", "text": "Звонок"},
        "client_time": utcnow().isoformat(),
    }


def test_the_access_token_expires_and_the_refresh_token_renews_it(hub, clock):
    s = login(hub)
    assert s["_me"]["expires_in"] == 900
    clock.now += 899
    assert _me(hub, s).status_code == 200
    clock.now += 2
    r = _me(hub, s)
    assert r.status_code == 401 and r.json()["type"] == TOKEN_EXPIRED
    renewed = _refresh(hub, s["_me"]["refresh_token"])
    assert renewed.status_code == 200
    pair = renewed.json()
    assert pair["refresh_token"] != s["_me"]["refresh_token"] and pair["expires_in"] == 900
    me = hub.get("/v1/me", headers=_bearer(pair["access_token"]))
    assert me.status_code == 200 and me.json()["device_id"] == s["_me"]["device_id"]
    # the access token it replaced stays dead, even before its own expiry would have come
    assert _me(hub, s).status_code == 401


def test_a_refresh_token_past_its_lifetime_renews_nothing(hub, clock):
    s = login(hub)
    clock.now += LIFE.refresh + 1
    r = _refresh(hub, s["_me"]["refresh_token"])
    assert r.status_code == 401 and r.json()["type"] != DEVICE_REVOKED


def test_a_reused_refresh_token_revokes_the_whole_session(hub):
    s = login(hub)
    first = _refresh(hub, s["_me"]["refresh_token"]).json()  # the device rotates...
    assert hub.get("/v1/me", headers=_bearer(first["access_token"])).status_code == 200
    # ...and a copy of the spent token is presented (a thief, or a replay): refused, and the
    # device's current tokens die with it
    stolen = _refresh(hub, s["_me"]["refresh_token"])
    assert stolen.status_code == 401
    assert hub.get("/v1/me", headers=_bearer(first["access_token"])).status_code == 401
    assert _refresh(hub, first["refresh_token"]).status_code == 401


def test_logout_revokes_access_and_refresh_tokens(hub):
    s = login(hub)
    assert _me(hub, s).status_code == 200  # now in the process's session cache
    assert hub.post("/v1/auth/logout", headers=headers(s)).status_code == 204
    assert _me(hub, s).status_code == 401  # at once, not after the cache's TTL
    assert _refresh(hub, s["_me"]["refresh_token"]).status_code == 401


def test_a_batch_naming_another_device_is_refused(hub, hub_db):
    a, b = login(hub), login(hub)
    assert a["_me"]["device_id"] != b["_me"]["device_id"]  # each login without a key: a new device
    client = hub.get("/v1/changes?cursor=0&limit=50", headers=headers(a)).json()["changes"]
    cid = next(c["entity_id"] for c in client if c["entity"] == "client")
    m = _contact(cid)
    r = hub.post("/v1/mutations", json={"device_id": b["_me"]["device_id"], "mutations": [m]}, headers=headers(a))
    assert r.status_code == 403 and r.json()["type"] == "urn:vitrine:device-mismatch"
    with hub_db.read() as conn:
        n = conn.exec_driver_sql(f"SELECT count(*) FROM mutations WHERE id = '{m['id']}'").scalar_one()
    assert n == 0
    ok = hub.post("/v1/mutations", json={"device_id": a["_me"]["device_id"], "mutations": [m]}, headers=headers(a))
    assert ok.status_code == 200 and ok.json()["results"][0]["status"] == "applied"
    again = hub.post("/v1/mutations", json={"device_id": a["_me"]["device_id"], "mutations": [m]}, headers=headers(a))
    assert again.json()["results"][0]["status"] == "duplicate"  # exactly-once still keyed by the device


def test_a_later_login_with_the_device_key_keeps_the_device_id(hub):
    first = login(hub)["_me"]
    again = _login(hub, "demo", "vitrine-demo", device_id=first["device_id"], device_key=first["device_key"])
    assert again["device_id"] == first["device_id"] and again["device_key"] != first["device_key"]
    # the key is rotated: the old one no longer proves the id
    stale = _login(hub, "demo", "vitrine-demo", device_id=first["device_id"], device_key=first["device_key"])
    assert stale["device_id"] != first["device_id"]
    # another store's account cannot take this store's device id, even with its key
    other = _login(hub, "consultant04", "vitrine", device_id=again["device_id"], device_key=again["device_key"])
    assert other["device_id"] != again["device_id"]


def _login(hub, who: str, password: str, **device) -> dict:
    r = hub.post("/v1/auth/login", json={"login": who, "password": password, **device})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_revoked_device_is_told_so_on_every_request_and_at_login(hub):
    manager = headers(login(hub, "manager1", "vitrine"))
    s = login(hub)
    me = s["_me"]
    assert _me(hub, s).status_code == 200  # cached in the process: the revoke must reach it anyway
    listed = {d["id"]: d for d in hub.get("/v1/devices", headers=manager).json()}
    assert listed[me["device_id"]]["revoked_at"] is None and listed[me["device_id"]]["account_name"]
    assert hub.post(f"/v1/devices/{me['device_id']}/revoke", headers=manager).status_code == 204
    for r in (
        _me(hub, s),
        hub.get("/v1/changes?cursor=0&limit=5", headers=headers(s)),
        hub.post("/v1/mutations", json={"device_id": me["device_id"], "mutations": []}, headers=headers(s)),
        _refresh(hub, me["refresh_token"]),
        hub.post(
            "/v1/auth/login",
            json={
                "login": "demo",
                "password": "vitrine-demo",
                "device_id": me["device_id"],
                "device_key": me["device_key"],
            },
        ),
    ):
        assert r.status_code == 401 and r.json()["type"] == DEVICE_REVOKED, r.text
    listed = {d["id"]: d for d in hub.get("/v1/devices", headers=manager).json()}
    assert listed[me["device_id"]]["revoked_at"] is not None
    # a fresh login (no claim) is a new device, which works
    fresh = login(hub)
    assert fresh["_me"]["device_id"] != me["device_id"] and _me(hub, fresh).status_code == 200


def test_the_session_cache_never_outlives_the_token():
    clock = Clock()
    cache = sessions.SessionCache(ttl=10, clock=clock)
    acc = Account("a", "s", "l", "n", "consultant", brand_id="b", session_id="sess", device_id="dev")
    cache.put("t", sessions.Found(acc, expires=clock.now + 3))
    assert cache.get("t") == acc
    clock.now += 3
    assert cache.get("t") is None  # the token's own expiry, before the TTL
    cache.put("t", sessions.Found(acc, expires=clock.now + 100))
    clock.now += 10
    assert cache.get("t") is None  # the TTL: what another process revoked stops here
    cache.put("t", sessions.Found(acc, expires=clock.now + 100))
    cache.forget(device_id="dev")
    assert cache.get("t") is None


async def test_the_client_renews_a_really_expired_token_once_and_saves_the_pair(hub_db):
    """The protocol client against the hub's own expiry (a moved clock, no wait): renewed
    transparently once, the rotated pair handed to the saver; with the refresh spent
    elsewhere, the session is over (AuthExpired), not retried in a loop."""
    clock = Clock()
    app = create_app(hub_db, clock=clock, lifetimes=LIFE)
    saved: list[tuple[str, str]] = []
    async with HubClient(
        "http://hub", transport=httpx.ASGITransport(app=app), on_tokens=lambda a, r: saved.append((a, r))
    ) as client:
        me = await client.login("demo", "vitrine-demo", device_label="test tablet")
        clock.now += LIFE.access + 1
        page = await client.pull_page(0, 5)
        assert page.size > 0 and len(saved) == 1 and saved[0][1] != me.refresh_token
        clock.now += LIFE.access + 1
        stale = client.refresh_token
        assert stale is not None
        thief = _pair(app, stale)  # the refresh token used elsewhere: spent for this client
        assert thief.status_code == 200
        with pytest.raises(AuthExpired):
            await client.pull_page(0, 5)
        assert len(saved) == 1 and client.refresh_token is None


def _pair(app, refresh_token: str) -> httpx.Response:
    with TestClient(app) as c:
        return c.post("/v1/auth/refresh", json={"refresh_token": refresh_token})
