"""One receipt-type rule (sync.rules.receipts): the receipts a consultant's scan refuses
are the receipts the hub refuses to link, and no others."""

from __future__ import annotations

import json

from app.services.secrets import EncryptedFileStore
from app.state.app import App
from app.state.context import Config
from app.state.messages import Message
from sync.hub import handlers
from sync.hub.errors import Rejected
from tests.rules.conftest import consultant, mutation

TYPES = [1, 2, 3, 4]


async def device_refuses(tmp_path, n: int) -> bool:
    app = App(
        Config("http://127.0.0.1:9", tmp_path / f"device{n}", sync_interval=60),
        secrets=EncryptedFileStore(tmp_path / f"device{n}" / "secrets"),
    )
    try:
        await app.scan.scan_text(f"t=20240315T1432&s=1250.00&fn=9960440300123456&i={4500 + n}&fp=2837461920&n={n}")
        assert app.scan.error == (app.scan.receipt is None)
        return app.scan.message == Message("scan.not_sale")
    finally:
        await app.close()


def hub_refuses(hub, client: dict, n: int) -> bool:
    payload = {
        "client_id": client["id"],
        "fn": "9960440300123456",
        "i": str(4500 + n),
        "fp": "2837461920",
        "s": 125000,
        "n": n,
    }
    try:
        with hub.write() as conn:
            handlers.link_receipt(conn, mutation("receipt.link", payload), consultant(hub, client), "device-1")
    except Rejected as e:
        return e.code == "not_a_sale"
    return False


async def test_scan_and_hub_refuse_the_same_receipt_types(hub, tmp_path):
    with hub.read() as conn:
        client = json.loads(conn.exec_driver_sql("SELECT data FROM clients LIMIT 1").fetchone()[0])
    table = {n: (await device_refuses(tmp_path, n), hub_refuses(hub, client, n)) for n in TYPES}
    assert {n: d for n, (d, h) in table.items() if d != h} == {}
    assert {n for n, (d, _) in table.items() if d} == {3, 4}  # expense receipts; sales and returns link
