"""One phone rule (sync.rules.contacts): a till's phone finds the client the device's index keys.

The hub matches a till receipt's `client_phone` to a client's stored E.164; the device
indexes and searches phones by the same E.164 (search_index.norm_phone, phone_key). For
each spelling, the hub must match the client exactly when the device's key is that
client's phone.
"""

from __future__ import annotations

import json

import pytest

from app.cache import search_index
from app.services import phones
from sync.hub import handlers
from sync.models import PosReceipt, utcnow


def spellings(e164: str) -> list[str]:
    n = e164[2:]  # +7 and ten digits
    fw = str.maketrans("0123456789", "０１２３４５６７８９")
    return [
        e164,
        n,
        "7" + n,
        "8" + n,
        f"8 ({n[:3]}) {n[3:6]}-{n[6:8]}-{n[8:]}",
        f"+7 {n[:3]} {n[3:6]} {n[6:8]} {n[8:]}",
        f"+7\u00a0{n[:3]}\u00a0{n[3:6]}\u2012{n[6:8]}\u2012{n[8:]}",
        f" 8 {n[:3]} {n[3:]} ",
        f"+7({n[:3]}){n[3:]}",
        ("8" + n).translate(fw),  # full-width digits: the hub's parser reads them; the device now too
        n[:-1],  # one digit short
        n[-4:],
        "",
        f"+7 {n[:3]} {n[3:]} доб. 12",
    ]


@pytest.fixture(scope="module")
def client(hub):
    with hub.read() as conn:
        rows = conn.exec_driver_sql("SELECT data FROM clients WHERE phone LIKE '+79%' LIMIT 1").fetchall()
    return json.loads(rows[0][0])


def test_hub_matches_a_till_phone_exactly_when_the_device_keys_it_as_the_clients(hub, client):
    phone = client["phone"]
    before = _receipts_of(hub, client)
    disagree = []
    for k, spelled in enumerate(spellings(phone)):
        receipt = PosReceipt(
            store_id=client["store_id"],
            fn="9281000100200300",
            i=str(900_000 + k),
            fp="1",
            at=utcnow(),
            total=100,
            type=1,
            client_phone=spelled or None,
        )
        with hub.write() as conn:
            hub_match = handlers.ingest_receipts(conn, [receipt])[0]["client_id"] == client["id"]
        device_key = phones.phone_key(search_index.norm_phone(spelled))
        device_match = device_key is not None and device_key == phones.phone_key(phone)
        if hub_match != device_match:
            disagree.append((spelled, hub_match, device_match))
    assert disagree == []
    # the table is not trivial: some spellings match and some do not
    assert 0 < _receipts_of(hub, client) - before < len(spellings(phone))


def _receipts_of(hub, client) -> int:
    with hub.read() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM receipts WHERE client_id = ?", (client["id"],)).fetchone()[0]
