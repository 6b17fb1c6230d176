"""The feature models' actions against a real hub process and a real cache file."""

from __future__ import annotations

import asyncio

from app.services.secrets import EncryptedFileStore
from app.state.app import App
from app.state.context import Config
from app.state.messages import Message
from tests.conftest import free_port
from tests.state.helpers import engine, shown, signed_in


def make(tmp_path, hub_url: str) -> App:
    return App(
        Config(hub_url, tmp_path / "device", sync_interval=60),
        secrets=EncryptedFileStore(tmp_path / "device" / "secrets"),
    )


async def logged_in(hub, tmp_path) -> App:
    """An app on a real cache, logged in as the demo consultant."""
    ctrl = make(tmp_path, hub.url)
    await ctrl.start()
    ctrl.session.login, ctrl.session.password = "demo", "vitrine-demo"
    assert await ctrl.session.log_in()
    return ctrl


async def wait_for(cond, timeout=60.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.05)


async def test_login_syncs_and_fills_the_client_list(demo_hub, tmp_path):
    ctrl = make(tmp_path, demo_hub.url)
    await ctrl.start()
    assert ctrl.ui.route == "/login"
    ctrl.session.login, ctrl.session.password = "demo", "vitrine-demo"
    assert await ctrl.session.log_in()
    assert ctrl.ui.route == "/clients" and signed_in(ctrl).store_name == "Петровка"
    await wait_for(lambda: ctrl.sync.status.last_sync is not None and ctrl.clients.total > 0)
    await wait_for(lambda: len(ctrl.clients.rows) > 0)
    assert ctrl.sync.status.online is True and ctrl.sync.status.pending == 0
    assert ctrl.session.password == ""  # not kept once used
    # the token is in the secret store, never in the cache file
    token = ctrl.secrets.get(ctrl.session.token_key)
    assert token
    await ctrl.close()
    raw = (tmp_path / "device" / "cache.sqlite").read_bytes()
    assert token.encode() not in raw


async def test_wrong_password_keeps_input(demo_hub, tmp_path):
    ctrl = make(tmp_path, demo_hub.url)
    await ctrl.start()
    ctrl.session.login, ctrl.session.password = "demo", "wrong"
    assert not await ctrl.session.log_in()
    assert ctrl.session.error == Message("login.wrong")
    assert (ctrl.session.login, ctrl.session.password) == ("demo", "wrong")
    assert ctrl.ui.route == "/login"
    await ctrl.close()


async def test_unreachable_hub(tmp_path):
    ctrl = make(tmp_path, f"http://127.0.0.1:{free_port()}")
    await ctrl.start()
    ctrl.session.login, ctrl.session.password = "demo", "vitrine-demo"
    assert not await ctrl.session.log_in()
    assert ctrl.session.error == Message("login.unreachable")
    assert ctrl.session.password == "vitrine-demo"
    await ctrl.close()


async def test_session_resumes_offline_after_restart(demo_hub, tmp_path):
    ctrl = await logged_in(demo_hub, tmp_path)
    await wait_for(lambda: ctrl.clients.total > 0)
    total = ctrl.clients.total
    await ctrl.close()
    # Same device, hub now down: the consultant is still in, the book still there.
    demo_hub.stop()
    try:
        offline = make(tmp_path, demo_hub.url)
        await offline.start()
        assert offline.ui.route == "/clients"
        await wait_for(lambda: offline.clients.total == total)
        await wait_for(lambda: offline.sync.status.online is False)
        await offline.close()
    finally:
        demo_hub.start()


async def test_empty_login_is_refused_locally(tmp_path):
    ctrl = make(tmp_path, f"http://127.0.0.1:{free_port()}")
    await ctrl.start()
    assert not await ctrl.session.log_in()
    assert ctrl.session.error == Message("login.empty")
    await ctrl.close()


async def test_register_offline_then_sync_reaches_the_hub(demo_hub, tmp_path):
    ctrl = await logged_in(demo_hub, tmp_path)
    await wait_for(lambda: ctrl.sync.status.last_sync is not None)
    await engine(ctrl).stop()  # offline from here: nothing reaches the hub
    await ctrl.register.open()
    ctrl.register.form.update(last_name="Зайцева", first_name="Алиса", phone="8 916 000-11-22")
    ctrl.register.form["last_name"] = ""
    assert await ctrl.register.save() is None
    assert ctrl.register.errors == {"last_name": Message("form.required")}
    assert ctrl.register.form["phone"] == "8 916 000-11-22"  # kept as typed
    ctrl.register.form["last_name"] = "Зайцева"
    cid = await ctrl.register.save()
    assert cid and ctrl.ui.route == f"/clients/{cid}"
    assert shown(ctrl).client.phone == "+79160001122" and shown(ctrl).client.pending
    assert [p.kind for p in shown(ctrl).pending] == ["client.register"]
    # a second client with the same phone: warned once, then allowed
    await ctrl.register.open()
    ctrl.register.form.update(last_name="Зайцев", first_name="Олег", phone="+79160001122")
    assert await ctrl.register.save() is None and ctrl.register.errors["phone"].key == "form.phone_taken"
    assert await ctrl.register.save()
    await engine(ctrl).sync_once()
    assert engine(ctrl).status.pending == 0 and engine(ctrl).status.rejected == 0
    await ctrl.profile.load()
    assert shown(ctrl).pending == ()
    await ctrl.close()
