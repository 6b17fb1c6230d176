"""Hardening of the hub (issue 13): one bad mutation cannot fail its batch, login throttling,
a request-size limit answered before the body is read, security headers, /docs switchable."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
import threading
import time

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from sync.hub import api as api_module
from sync.hub import asgi, http_guard, throttle
from sync.hub.api import PasswordChecks, create_app
from sync.models import new_id, utcnow
from tests.conftest import free_port
from tests.hub.conftest import headers

PROBLEM = "application/problem+json"


def _mutation(kind: str, entity_id: str, payload: dict, client_time: str | None = None) -> dict:
    return {
        "id": new_id(),
        "kind": kind,
        "entity_id": entity_id,
        "payload": payload,
        "client_time": client_time or utcnow().isoformat(),
    }


def _register(store: str, last_name: str, client_time: str | None = None) -> dict:
    return _mutation(
        "client.register",
        new_id(),
        {"last_name": last_name, "first_name": "Вера", "store_id": store, "phone": "+79991234567"},
        client_time,
    )


def test_an_unexpected_error_rejects_that_mutation_alone_and_replays_the_same(api, demo, caplog):
    h = headers(demo)
    store = demo["_me"]["store_id"]
    # A client_time far in the future: the welcome bonus's expiry date overflows (OverflowError).
    good1, bad, good2 = (
        _register(store, "Первая"),
        _register(store, "Далёкая", "9999-12-31T23:59:00Z"),
        _register(store, "Третья"),
    )
    batch = {"device_id": demo["_me"]["device_id"], "mutations": [good1, bad, good2]}
    with caplog.at_level(logging.ERROR, logger="vitrine.hub"):
        r = api.post("/v1/mutations", json=batch, headers=h)
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    assert [x["status"] for x in res] == ["applied", "rejected", "applied"]
    assert res[1]["code"] == "internal_error"
    reason = res[1]["reason"]
    assert "internal error" in reason and "Traceback" not in reason and "Далёкая" not in reason
    assert "OverflowError" not in reason and "+7999" not in reason
    # logged by type and stack, without the mutation's data
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert "OverflowError" in logged and bad["id"] in logged
    assert "Далёкая" not in logged and "79991234567" not in logged

    # its transaction was rolled back: no client, no ledger entry in the feed
    feed = api.get("/v1/changes?cursor=0&limit=5000", headers=h).json()["changes"]
    ids = {c["entity_id"] for c in feed if c["entity"] == "client"}
    assert good1["entity_id"] in ids and good2["entity_id"] in ids and bad["entity_id"] not in ids
    assert not [c for c in feed if c["client_id"] == bad["entity_id"]]

    # a replay answers the same: the first answer, as duplicates
    again = api.post("/v1/mutations", json=batch, headers=h).json()["results"]
    assert [x["status"] for x in again] == ["duplicate"] * 3
    assert again[1]["code"] == "internal_error" and again[1]["reason"] == reason
    assert again[1]["result"]["first"]["status"] == "rejected"


def test_a_database_that_goes_away_is_answered_503_to_retry_not_500(api, demo, monkeypatch):
    """A lost connection mid-batch (seen on PostgreSQL when a retry races another worker):
    nothing is wrong with the batch, so the device is told to retry it, in problem details."""

    def lost(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))

    monkeypatch.setattr(api_module.mutations, "apply_one", lost)
    store = demo["_me"]["store_id"]
    batch = {"device_id": demo["_me"]["device_id"], "mutations": [_register(store, "Четвёртая")]}
    r = api.post("/v1/mutations", json=batch, headers=headers(demo))
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["retry-after"] == "1" and r.json()["title"] == "Database unavailable"


# --- login throttling -------------------------------------------------------------------


class Clock:
    """The time the throttle sees (epoch seconds), moved by the test; far in the past, so
    its rows never lock anything for the real-clock apps sharing the database."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _throttled(hub_db, client_host: str, **limits) -> tuple[TestClient, Clock]:
    clock = Clock()
    app = create_app(hub_db, login_limits=throttle.LoginLimits(**limits), clock=clock)
    return TestClient(app, client=(client_host, 50000), raise_server_exceptions=False), clock


def _try(c: TestClient, who: str, password: str) -> int:
    return c.post("/v1/auth/login", json={"login": who, "password": password}).status_code


def test_an_account_locks_after_repeated_wrong_passwords_then_opens_again(hub_db):
    c, clock = _throttled(
        hub_db,
        "10.13.0.1",
        account=throttle.Limit(failures=3, window=60, lock=300),
        address=throttle.Limit(failures=1000, window=60, lock=300),
    )
    with c:
        assert [_try(c, "consultant07", "wrong") for _ in range(3)] == [401, 401, 401]
        r = c.post("/v1/auth/login", json={"login": "consultant07", "password": "wrong"})
        assert r.status_code == 429 and r.headers["content-type"].startswith(PROBLEM)
        assert r.headers["retry-after"] == "300" and r.json()["type"] == "urn:vitrine:login-locked"
        # the right password is refused while locked
        r = c.post("/v1/auth/login", json={"login": "consultant07", "password": "vitrine"})
        assert r.status_code == 429 and r.headers["retry-after"] == "300"
        clock.now += 299
        r = c.post("/v1/auth/login", json={"login": "consultant07", "password": "vitrine"})
        assert r.status_code == 429 and r.headers["retry-after"] == "1"
        clock.now += 1
        assert _try(c, "consultant07", "vitrine") == 200
        # a right password starts the count over: two wrong ones are not a lock
        assert [_try(c, "consultant07", "wrong") for _ in range(2)] == [401, 401]
        assert _try(c, "consultant07", "vitrine") == 200
        assert [_try(c, "consultant07", "wrong") for _ in range(3)] == [401, 401, 401]
        assert _try(c, "consultant07", "vitrine") == 429
        # other accounts are not concerned
        assert _try(c, "consultant08", "vitrine") == 200
        # a window gone by forgets old failures
        clock.now += 300
        assert [_try(c, "consultant09", "wrong") for _ in range(2)] == [401, 401]
        clock.now += 61
        assert [_try(c, "consultant09", "wrong") for _ in range(2)] == [401, 401]
        assert _try(c, "consultant09", "vitrine") == 200


def test_an_unknown_login_locks_the_same_way(hub_db):
    c, _ = _throttled(hub_db, "10.13.0.2", account=throttle.Limit(failures=2, window=60, lock=60))
    with c:
        assert [_try(c, "nobody-here", "x") for _ in range(3)] == [401, 401, 429]


def test_an_address_is_refused_after_failures_across_accounts(hub_db):
    c, clock = _throttled(hub_db, "10.13.0.3", address=throttle.Limit(failures=4, window=60, lock=120))
    with c:
        assert [_try(c, f"sprayed{i}", "guess") for i in range(4)] == [401] * 4
        r = c.post("/v1/auth/login", json={"login": "consultant10", "password": "vitrine"})
        assert r.status_code == 429 and r.headers["retry-after"] == "120"
    other = TestClient(c.app, client=("10.13.0.4", 50000))
    with other:
        assert _try(other, "consultant10", "vitrine") == 200  # another address is not concerned
    with c:
        clock.now += 120
        assert _try(c, "consultant10", "vitrine") == 200


def test_successful_logins_do_not_use_up_an_address(hub_db):
    c, _ = _throttled(hub_db, "10.13.0.5", address=throttle.Limit(failures=2, window=60, lock=60))
    with c:
        assert [_try(c, f"consultant{n:02d}", "vitrine") for n in range(1, 7)] == [200] * 6
        assert _try(c, "consultant01", "wrong") == 401
        assert _try(c, "consultant01", "vitrine") == 200


async def test_password_checks_run_at_most_n_at_once_and_say_when_busy():
    checks = PasswordChecks(concurrent=2, queued=4)
    gate, lock = threading.Event(), threading.Lock()
    running, most = 0, 0

    def check():
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        gate.wait(30)
        with lock:
            running -= 1
        return None

    tasks = [asyncio.create_task(checks.run(check)) for _ in range(4)]
    while running < 2:  # two are let in...
        await asyncio.sleep(0.01)
    assert checks.busy  # ...four are waiting or running: a fifth is turned away
    gate.set()
    await asyncio.gather(*tasks)
    assert most == 2 and not checks.busy


def test_a_login_is_answered_503_when_too_many_are_being_checked(hub_db, monkeypatch):
    c, _ = _throttled(hub_db, "10.13.0.6", queued_checks=0)
    with c:
        r = c.post("/v1/auth/login", json={"login": "consultant05", "password": "vitrine"})
        assert r.status_code == 503 and r.headers["retry-after"] == "1"


# --- request size -----------------------------------------------------------------------


async def _call(app, method: str, path: str, headers: list[tuple[bytes, bytes]], chunks) -> tuple[int, dict, int]:
    """Call the ASGI app directly: (status, headers, how many body chunks it asked for)."""
    asked = 0
    sent: list[dict] = []
    source = iter(chunks)

    async def receive():
        nonlocal asked
        asked += 1
        chunk = next(source, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("10.13.1.1", 1),
        "server": ("hub", 80),
    }
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, asked


async def test_a_declared_oversized_body_is_refused_without_reading_it(hub_db):
    app = create_app(hub_db)
    status, hdrs, asked = await _call(
        app,
        "POST",
        "/v1/mutations",
        [(b"content-type", b"application/json"), (b"content-length", b"1000000000")],
        [b"{}"],
    )
    assert status == 413 and hdrs["content-type"].startswith(PROBLEM) and asked == 0
    assert hdrs["connection"] == "close"


async def test_a_chunked_body_is_cut_off_at_the_limit(hub_db):
    app = create_app(hub_db)
    mib = b"x" * (1 << 20)
    status, _, asked = await _call(
        app, "POST", "/v1/mutations", [(b"content-type", b"application/json")], (mib for _ in range(100))
    )  # 100 MiB offered, chunked
    assert status == 413
    assert asked == http_guard.MAX_BODY // len(mib) + 1  # it stopped reading one chunk past the limit


def test_over_a_real_socket_the_hub_answers_413_before_the_body_arrives(hub_db):
    server = uvicorn.Server(
        uvicorn.Config(create_app(hub_db), host="127.0.0.1", port=free_port(), log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        port = server.config.port
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            # headers claiming a gigabyte, then ten bytes of it: the answer comes anyway
            s.sendall(
                b"POST /v1/mutations HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
                b'Content-Length: 1000000000\r\n\r\n{"device_i'
            )
            answer = b""
            while b"\r\n\r\n" not in answer:
                got = s.recv(65536)
                assert got, "the hub closed without answering"
                answer += got
        assert answer.startswith(b"HTTP/1.1 413 ")
    finally:
        server.should_exit = True
        thread.join(30)


def test_a_blob_is_streamed_with_a_cap(hub_db, monkeypatch, demo):
    monkeypatch.setattr(api_module, "MAX_BLOB", 1000)
    with TestClient(create_app(hub_db), raise_server_exceptions=False) as c:
        h = headers(demo)
        big = b"y" * 5000
        r = c.put(f"/v1/blobs/{hashlib.sha256(big).hexdigest()}", content=iter([big[:2000], big[2000:]]), headers=h)
        assert r.status_code == 413 and r.headers["content-type"].startswith(PROBLEM)
        small = b"z" * 900
        r = c.put(f"/v1/blobs/{hashlib.sha256(small).hexdigest()}", content=iter([small[:400], small[400:]]), headers=h)
        assert r.status_code == 200 and r.json()["created"]


# --- headers, docs, logs ----------------------------------------------------------------


def test_every_answer_carries_the_security_headers(api, demo):
    h = headers(demo)
    answers = {
        "/healthz": api.get("/healthz"),
        "/v1/me": api.get("/v1/me", headers=h),
        "401": api.get("/v1/me"),
        "404": api.get("/nowhere"),
        "/docs": api.get("/docs"),
        "login": api.post("/v1/auth/login", json={"login": "nobody", "password": "x"}),
    }
    for name, r in answers.items():
        assert r.headers["x-content-type-options"] == "nosniff", name
        assert r.headers["referrer-policy"] == "no-referrer", name
        assert r.headers["x-frame-options"] == "DENY", name
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], name
    for name in ("/v1/me", "401", "login"):
        assert answers[name].headers["cache-control"] == "no-store", name
    assert "default-src 'none'" in answers["/v1/me"].headers["content-security-policy"]
    assert answers["/docs"].status_code == 200  # the interactive docs keep their scripts
    assert "default-src" not in answers["/docs"].headers["content-security-policy"]


def test_docs_can_be_switched_off(hub_db, monkeypatch):
    with TestClient(create_app(hub_db, docs=False)) as c:
        assert [c.get(p).status_code for p in ("/docs", "/redoc", "/openapi.json")] == [404, 404, 404]
        assert c.get("/healthz").status_code == 200
    monkeypatch.setenv("VITRINE_HUB_DB", hub_db.url)
    monkeypatch.setenv("VITRINE_HUB_DOCS", "off")
    monkeypatch.setenv("VITRINE_EXPIRY_INTERVAL", "0")
    app = asgi.app()  # the multi-worker factory reads the switch from the environment
    try:
        with TestClient(app) as c:
            assert c.get("/openapi.json").status_code == 404
    finally:
        app.state.db.dispose()


def test_sql_errors_do_not_carry_their_parameters(hub_db):
    with pytest.raises(DBAPIError) as failed, hub_db.write() as conn:
        conn.execute(text("INSERT INTO no_such_table (phone) VALUES (:p)"), {"p": "+79161234567"})
    assert "79161234567" not in str(failed.value)
