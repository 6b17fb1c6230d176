"""The state layer's actions against a real hub process and a real cache file."""

from __future__ import annotations

import asyncio

from app.services.secrets import EncryptedFileStore
from app.state.controller import Config, Controller
from tests.conftest import free_port


def make(tmp_path, hub_url: str) -> Controller:
    return Controller(Config(hub_url, tmp_path / "device", sync_interval=60),
                      secrets=EncryptedFileStore(tmp_path / "device" / "secrets"))


async def wait_for(cond, timeout=20.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.05)


async def test_login_syncs_and_fills_the_client_list(demo_hub, tmp_path):
    ctrl = make(tmp_path, demo_hub.url)
    await ctrl.start()
    assert ctrl.app.route == "/login"
    ctrl.login_view.login, ctrl.login_view.password = "demo", "vitrine-demo"
    assert await ctrl.login()
    assert ctrl.app.route == "/clients" and ctrl.app.store_name == "Петровка"
    await wait_for(lambda: ctrl.sync.last_sync is not None and ctrl.clients.total > 0)
    await wait_for(lambda: len(ctrl.clients.rows) > 0)
    assert ctrl.sync.online is True and ctrl.sync.pending == 0
    assert ctrl.login_view.password == ""  # not kept once used
    # the token is in the secret store, never in the cache file
    token = ctrl.secrets.get(ctrl._token_key)
    assert token
    await ctrl.close()
    raw = (tmp_path / "device" / "cache.sqlite").read_bytes()
    assert token.encode() not in raw


async def test_wrong_password_keeps_input(demo_hub, tmp_path):
    ctrl = make(tmp_path, demo_hub.url)
    await ctrl.start()
    ctrl.login_view.login, ctrl.login_view.password = "demo", "wrong"
    assert not await ctrl.login()
    assert ctrl.login_view.error == "login.wrong"
    assert (ctrl.login_view.login, ctrl.login_view.password) == ("demo", "wrong")
    assert ctrl.app.route == "/login"
    await ctrl.close()


async def test_unreachable_hub(tmp_path):
    ctrl = make(tmp_path, f"http://127.0.0.1:{free_port()}")
    await ctrl.start()
    ctrl.login_view.login, ctrl.login_view.password = "demo", "vitrine-demo"
    assert not await ctrl.login()
    assert ctrl.login_view.error == "login.unreachable"
    assert ctrl.login_view.password == "vitrine-demo"
    await ctrl.close()


async def test_session_resumes_offline_after_restart(demo_hub, tmp_path):
    ctrl = make(tmp_path, demo_hub.url)
    await ctrl.start()
    ctrl.login_view.login, ctrl.login_view.password = "demo", "vitrine-demo"
    assert await ctrl.login()
    await wait_for(lambda: ctrl.clients.total > 0)
    total = ctrl.clients.total
    await ctrl.close()
    # Same device, hub now down: the consultant is still in, the book still there.
    demo_hub.stop()
    try:
        offline = make(tmp_path, demo_hub.url)
        await offline.start()
        assert offline.app.route == "/clients"
        await wait_for(lambda: offline.clients.total == total)
        await wait_for(lambda: offline.sync.online is False)
        await offline.close()
    finally:
        demo_hub.start()


async def test_empty_login_is_refused_locally(tmp_path):
    ctrl = make(tmp_path, f"http://127.0.0.1:{free_port()}")
    await ctrl.start()
    assert not await ctrl.login()
    assert ctrl.login_view.error == "login.empty"
    await ctrl.close()
