"""Scanning actions: a handheld scanner's text opens a card's client or stages a receipt link."""

from __future__ import annotations

import json
import sqlite3

from tests.state.test_controller import logged_in, wait_for


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
    await ctrl.open_client(ctrl.clients.rows[0]["id"])
    card = ctrl.profile.client["card_number"]
    ctrl.back_to_list()
    ctrl.start_scan()
    await ctrl.scan_text(card)
    assert ctrl.app.route == f"/clients/{ctrl.clients.rows[0]['id']}"
    ctrl.start_scan()
    await ctrl.scan_text("2000000000000")  # wrong check digit
    assert ctrl.scan.error and ctrl.scan.message.startswith("scan.unknown|")
    await ctrl.close()


async def test_receipt_link_queues_offline_and_matches_later(demo_hub, tmp_path):
    ctrl = await synced(demo_hub, tmp_path)
    await ctrl.engine.stop()
    client = ctrl.clients.rows[1]
    payload = unidentified_payload(demo_hub)
    ctrl.start_scan()
    await ctrl.scan_text(payload)
    assert ctrl.scan.receipt and ctrl.scan.message == "scan.choose_client"
    assert not await ctrl.link_scanned()  # no client yet: nothing queued
    await ctrl.find_scan_client(client["last_name"])
    assert any(c["id"] == client["id"] for c in ctrl.scan.candidates)
    ctrl.choose_scan_client(client["id"], client["last_name"])
    assert await ctrl.link_scanned()
    await ctrl.open_client(client["id"])
    assert [x["state"] for x in ctrl.profile.links] == ["pending"]
    await ctrl.engine.sync_once()
    await ctrl.load_profile()
    assert [x["state"] for x in ctrl.profile.links] == ["matched"]
    assert any(r["i"] == ctrl.scan.receipt["i"] and r["points_earned"] > 0 for r in ctrl.profile.receipts)
    # The same receipt for another client is refused, with the hub's code kept for the UI.
    other = next(c for c in ctrl.clients.rows if c["id"] != client["id"])
    ctrl.start_scan(other["id"], other["last_name"])
    await ctrl.scan_text(payload)
    assert await ctrl.link_scanned()
    await ctrl.engine.sync_once()
    await ctrl.open_client(other["id"])
    assert [(x["state"], x.get("code")) for x in ctrl.profile.links] == [("rejected", "receipt_taken")], (ctrl.profile.links, client["id"], other["id"], ctrl.sync.rejected)
    assert ctrl.sync.rejected == 1
    await ctrl.close()
