"""Scanning actions: a handheld scanner's text opens a card's client or stages a receipt link."""

from __future__ import annotations

import json
import sqlite3

from app.state.messages import Message
from tests.state.test_app import logged_in, wait_for


async def synced(demo_hub, tmp_path):
    ctrl = await logged_in(demo_hub, tmp_path)
    await wait_for(lambda: len(ctrl.clients.rows) > 0)
    return ctrl


def unidentified_payload(demo_hub, offset=0) -> str:
    from datetime import datetime

    conn = sqlite3.connect(demo_hub.db_path)
    r = json.loads(conn.execute("SELECT data FROM receipts WHERE client_id IS NULL LIMIT 1 OFFSET ?",
                                [20 + offset]).fetchone()[0])
    conn.close()
    at = datetime.fromisoformat(r["at"])
    return f"t={at:%Y%m%dT%H%M}&s={r['total'] // 100}.{r['total'] % 100:02d}&fn={r['fn']}&i={r['i']}&fp={r['fp']}&n=1"


async def test_card_code_opens_the_client(demo_hub, tmp_path):
    ctrl = await synced(demo_hub, tmp_path)
    await ctrl.profile.open(ctrl.clients.rows[0].id)
    card = ctrl.profile.data.client.card_number
    ctrl.profile.close()
    ctrl.scan.start()
    await ctrl.scan.scan_text(card)
    assert ctrl.ui.route == f"/clients/{ctrl.clients.rows[0].id}"
    ctrl.scan.start()
    await ctrl.scan.scan_text("2000000000000")  # wrong check digit
    assert ctrl.scan.error and ctrl.scan.message.key == "scan.unknown"
    await ctrl.close()


async def test_receipt_link_queues_offline_and_matches_later(demo_hub, tmp_path):
    ctrl = await synced(demo_hub, tmp_path)
    await ctrl.sync.engine.stop()
    client = ctrl.clients.rows[1]
    payload = unidentified_payload(demo_hub)
    ctrl.scan.start()
    await ctrl.scan.scan_text(payload)
    assert ctrl.scan.receipt and ctrl.scan.message == Message("scan.choose_client")
    assert not await ctrl.scan.link()  # no client yet: nothing queued
    await ctrl.scan.find_client(client.last_name)
    assert any(c.id == client.id for c in ctrl.scan.candidates)
    ctrl.scan.choose_client(client.id, client.last_name)
    assert await ctrl.scan.link()
    await ctrl.profile.open(client.id)
    assert [x.state for x in ctrl.profile.data.links] == ["pending"]
    await ctrl.sync.engine.sync_once()
    await ctrl.profile.load()
    assert [x.state for x in ctrl.profile.data.links] == ["matched"]
    assert any(r.i == ctrl.scan.receipt.i and r.points_earned > 0 for r in ctrl.profile.data.receipts)
    # The same receipt for another client is refused, with the hub's code kept for the UI.
    other = next(c for c in ctrl.clients.rows if c.id != client.id)
    ctrl.scan.start(other.id, other.last_name)
    await ctrl.scan.scan_text(payload)
    assert await ctrl.scan.link()
    await ctrl.sync.engine.sync_once()
    await ctrl.profile.open(other.id)
    links = ctrl.profile.data.links
    assert [(x.state, x.code) for x in links] == [("rejected", "receipt_taken")], (
        links, client.id, other.id, ctrl.sync.status.rejected)
    assert ctrl.sync.status.rejected == 1
    await ctrl.close()
