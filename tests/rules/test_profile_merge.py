"""One profile merge (sync.profile): the device's update_client and the hub's
update_fields, given the same client and the same patches, change the same fields to the
same values and refuse the same patches."""

from __future__ import annotations

import json
from typing import Any

from app.cache import clients
from sync.hub import members
from sync.hub.errors import Rejected
from tests.rules.conftest import mutation

PATCHES: list[dict[str, Any]] = [
    {"first_name": "Оля"},
    {"first_name": "Оля"},  # no change the second time
    {"email": "Olga.P@Mail.RU"},  # stored lowercased
    {"email": ""},  # cleared: None
    {"email": "olga@localhost"},  # refused: no dot in the domain
    {"phone": "+79161234567", "notes": "любит синий"},
    {"phone": "8 916 123-45-67"},  # refused: not E.164
    {"birthday": "1990-05-01", "gender": "f"},
    {"birthday": "1990-5-1"},  # refused
    {"sizes": {"shoe": "38", "clothing": "S"}},
    {"sizes": {"hat": "M"}},  # refused: unknown size
    {"consents": {"sms": {"granted": True, "date": "2024-01-01"}}},
    {"preferred_brands": ["Max Mara", "Loro Piana"], "styles": []},
    {"tier": "Platinum"},  # refused: hub-owned, not a profile field
    {"last_name": ""},  # refused: required
    {"middle_name": None, "card_number": "1234 5678"},
]


def device(cache, cid: str, patch: dict) -> dict | None:
    """The fields the device's update_client sends; None when it refuses the patch."""
    try:
        mid = cache.write_sync(clients.update_client, cid, patch)
    except ValueError:  # NotEditable, pydantic.ValidationError
        return None
    if mid is None:
        return {}
    return cache.read_sync(
        lambda db: json.loads(db.execute("SELECT payload FROM outbox WHERE id = ?", [mid]).fetchone()[0])["fields"]
    )


def hub_side(hub, cid: str, patch: dict) -> dict | None:
    """The fields the hub's update_fields changes, with their stored values; None when refused."""
    try:
        with hub.write() as conn:
            before = members.load(conn, cid)
            assert before is not None, f"client {cid} should be in the hub before the patch"
            store = before["store_id"]
            names = members.update_fields(conn, mutation("client.update", {"fields": patch}, cid), "dev", store)[
                "changed"
            ]
            after = members.load(conn, cid)
    except Rejected as e:
        assert e.code == "invalid_payload"
        return None
    assert after is not None
    return {k: after[k] for k in names}


def test_device_and_hub_merge_the_same_patches_alike(hub, cache):
    with hub.read() as conn:
        cid = conn.exec_driver_sql("SELECT id FROM clients LIMIT 1").fetchone()[0]
        client = members.load(conn, cid)
    assert client is not None
    cache.write_sync(clients.save_client, client, client)
    results = [(patch, device(cache, cid, patch), hub_side(hub, cid, patch)) for patch in PATCHES]
    assert [(p, d) for p, d, h in results if d != h] == []
    assert any(d is None for _, d, _ in results) and any(d for _, d, _ in results)
    # and the client ends the same on both
    local = cache.read_sync(
        lambda db: json.loads(db.execute("SELECT data FROM clients WHERE id = ?", [cid]).fetchone()[0])
    )
    with hub.read() as conn:
        assert members.load(conn, cid) == local
