"""Sync that one bad mutation cannot stop (issue 13), against the real hub process: a push
the hub refuses does not stop the pull, big outboxes go in requests under a byte budget,
a change too large for the hub is refused on the device alone, and a mutation the hub
fails on is rejected alone while the rest of its batch applies."""

from __future__ import annotations

import json
import random

import pytest

from app.cache import outbox
from app.sync_engine import engine as engine_mod
from sync.client import HubError
from sync.hub import http_guard
from sync.models import new_id
from tests.sync.faulty_proxy import FaultyProxy


def _mine(device, n: int = 1) -> list[str]:
    return random.Random(device.device_id).sample(device.clients_of_store(), n)


async def test_a_failed_push_still_pulls_and_the_status_shows_the_push_error(hub, devices):
    d, other = devices(hub, "consultant05"), devices(hub, "consultant06")
    await d.settle()
    await other.settle()
    assert d.store_id == other.store_id
    theirs, mine = _mine(other, 2)
    await other.update(theirs, notes=f"от коллеги {new_id()}")
    await other.settle()  # the hub has the colleague's change
    await d.update(mine, notes="моя правка")

    async with FaultyProxy(int(hub.url.rsplit(":", 1)[1]), seed=5) as proxy:
        proxy.plan = ["error_500"]  # the push's request fails; the pull's go through
        d.connect(proxy.url)
        with pytest.raises(HubError) as failed:
            await d.engine.sync_once()
    assert failed.value.status == 500
    assert d.client_row(theirs)[1]["notes"] == other.client_row(theirs)[1]["notes"]  # pulled all the same
    status = d.engine.status
    assert status.online is True and status.error and "Injected fault" in status.error
    assert status.pending == 1 and [r["status"] for r in d.outbox()] == ["pending"]

    d.connect(hub.url)
    await d.settle()
    assert hub.view.client(mine)["notes"] == "моя правка" and d.engine.status.error is None


async def test_the_outbox_is_pushed_in_requests_under_a_byte_budget(hub, devices, monkeypatch):
    monkeypatch.setattr(engine_mod, "PUSH_BYTES", 60_000)
    d = devices(hub, "consultant07")
    await d.settle()
    cid = _mine(d)[0]
    entries = [await d.diary_add(cid, f"{n}: " + "длинная запись " * 600) for n in range(8)]  # ~15 KB each
    await d.update(cid, notes="и короткая правка")

    sizes: list[tuple[int, int]] = []
    push = d.client.push

    async def measured(device_id, mutations):
        sizes.append((len(mutations), sum(len(m.model_dump_json().encode()) for m in mutations)))
        return await push(device_id, mutations)

    monkeypatch.setattr(d.client, "push", measured)
    await d.settle()
    assert sum(n for n, _ in sizes) == 9 and len(sizes) >= 3
    assert all(size <= 60_000 for _, size in sizes), sizes
    assert [len(hub.view.diary_revisions(e)) for e, _ in entries] == [1] * 8
    assert hub.view.client(cid)["notes"] == "и короткая правка"


def test_the_hub_takes_more_than_the_engine_sends():
    assert engine_mod.PUSH_BYTES * 4 <= http_guard.MAX_BODY


async def test_a_change_too_large_for_the_hub_is_rejected_on_the_device_and_the_rest_goes(hub, devices):
    d = devices(hub, "consultant08")
    await d.settle()
    before, after = _mine(d, 2)
    await d.update(before, notes="до большой записи")
    huge = await d.raw("diary.add", new_id(), {"client_id": before, "text": "x" * (http_guard.MAX_BODY + 1)})
    await d.update(after, notes="после большой записи")
    await d.settle()
    assert hub.view.client(before)["notes"] == "до большой записи"
    assert hub.view.client(after)["notes"] == "после большой записи"
    (row,) = d.cache.read_sync(outbox.rejected)
    assert row["id"] == huge and row["code"] == engine_mod.TOO_LARGE and row["reason"] == engine_mod.TOO_LARGE_REASON
    assert d.engine.status.rejected == 1 and d.engine.status.error is None


async def test_a_mutation_the_hub_fails_on_is_rejected_alone_and_the_rest_applies(hub, devices):
    d = devices(hub, "consultant09")
    await d.settle()
    cid = _mine(d)[0]
    await d.update(cid, notes="перед сбоем")
    # client_time far in the future: the welcome bonus's expiry overflows on the hub
    bad = new_id()
    await d.cache.write(
        lambda db: db.execute(
            "INSERT INTO outbox (id, kind, entity_id, payload, client_time, status) VALUES (?, ?, ?, ?, ?, 'pending')",
            [
                bad,
                "client.register",
                new_id(),
                json.dumps({"last_name": "Будущая", "first_name": "Ирина", "store_id": d.store_id}),
                "9999-12-31T23:59:00+00:00",
            ],
        )
    )
    await d.update(cid, email="after.failure@example.ru")
    await d.settle()
    hub_client = hub.view.client(cid)
    assert hub_client["notes"] == "перед сбоем" and hub_client["email"] == "after.failure@example.ru"
    (row,) = d.cache.read_sync(outbox.rejected)
    assert row["id"] == bad and row["code"] == "internal_error"
    assert "Будущая" not in row["reason"]
