"""The Settings model on a real cache and a real hub: choices kept on the device and applied
at the next start; "reset this device" at once when the outbox has drained, and only after
a second confirmation, with the losses listed, when it has not."""

from __future__ import annotations

import asyncio

from app.cache import outbox, queries
from app.services import device_settings
from app.state.messages import Message
from tests.state.test_app import make, wait_for
from tests.state.test_scan import synced, unidentified_payload


async def test_choices_are_kept_and_applied_at_the_next_start(tmp_path):
    ctrl = make(tmp_path, "http://127.0.0.1:9")
    await ctrl.start()
    s = ctrl.settings
    await s.open()
    assert ctrl.ui.route == "/settings" and s.hub_url == "http://127.0.0.1:9"
    assert s.size is not None and s.size > 0  # the cache file on disk

    s.hub_url = "http://hub.shop.example:8700"  # plain http beyond loopback
    assert not await s.save_hub()
    assert s.hub_error == Message.of("hub.plain_http", "http://hub.shop.example:8700")
    assert s.hub_url == "http://hub.shop.example:8700"  # what was typed stays
    s.hub_url = "https://hub.shop.example:8700/"
    assert await s.save_hub()
    assert s.hub_error is None and s.message == Message("settings.hub_saved")

    await s.set_lang("en")
    assert ctrl.ui.lang == "en"
    await s.set_interval(60)
    assert ctrl.ctx.config.sync_interval == 60
    await ctrl.close()

    saved = device_settings.load(device_settings.path_in(tmp_path / "device"))
    assert saved == device_settings.DeviceSettings("https://hub.shop.example:8700", "en", 60.0)
    again = make(tmp_path, "http://127.0.0.1:9")
    assert again.ui.lang == "en"
    assert again.ctx.config.hub_url == "https://hub.shop.example:8700"
    assert again.ctx.config.sync_interval == 60
    again.ctx.cache.close()


async def test_reset_with_a_drained_outbox_asks_once_and_wipes(demo_hub, tmp_path):
    ctrl = await synced(demo_hub, tmp_path)
    await wait_for(lambda: not ctrl.sync.status.syncing and ctrl.sync.status.pending == 0)
    assert await ctrl.cache.read(queries.client_count) > 0
    s = ctrl.settings
    await s.open()
    assert s.device_id  # issued by the hub at login
    await s.ask_reset()
    assert s.confirm == 1 and s.losses == []
    assert await s.confirm_reset()
    assert ctrl.ui.route == "/login" and ctrl.ui.notice == Message("notice.device_reset")
    assert ctrl.session.current is None and ctrl.ctx.device_id == ""
    assert await ctrl.cache.read(queries.client_count) == 0
    secrets = ctrl.secrets
    hub = demo_hub.url
    for key in (f"token:{hub}", f"refresh:{hub}", f"device:{hub}", f"pins:{hub}"):
        assert await asyncio.to_thread(secrets.get, key) is None, key
    # The next login is a first one: a new PIN, the book synced again.
    ctrl.session.login, ctrl.session.password = "demo", "vitrine-demo"
    assert await ctrl.session.log_in()
    await wait_for(lambda: len(ctrl.clients.rows) > 0)
    await ctrl.close()


async def test_reset_with_unsent_changes_lists_them_and_asks_twice(demo_hub, tmp_path):
    ctrl = await synced(demo_hub, tmp_path)
    await ctrl.sync.engine.stop()  # offline from here: the link stays queued
    client = ctrl.clients.rows[0]
    ctrl.scan.start(client.id, client.last_name)
    await ctrl.scan.scan_text(unidentified_payload(demo_hub, 3))
    assert await ctrl.scan.link()
    s = ctrl.settings
    await s.open()
    await s.ask_reset()
    assert s.losses == [("receipt.link", 1)] and s.unsent == 1
    assert not await s.confirm_reset()  # the first "yes" only shows the second question
    assert s.confirm == 2 and ctrl.session.current is not None
    assert (await ctrl.cache.read(outbox.counts))["pending"] == 1
    s.cancel_reset()
    assert s.confirm == 0
    await s.ask_reset()
    assert not await s.confirm_reset()
    assert await s.confirm_reset()
    assert ctrl.ui.route == "/login"
    assert await ctrl.cache.read(outbox.unsent_by_kind) == []
    await ctrl.close()
