"""Scanning actions: a handheld scanner's text opens a card's client or stages a receipt link."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import datetime

from app.state.messages import Message
from app.state.scan import ScanModel
from app.ui import formatting, operations, theme
from app.ui.scan import link_result
from tests.state.test_app import logged_in, wait_for


async def synced(demo_hub, tmp_path):
    ctrl = await logged_in(demo_hub, tmp_path)
    await wait_for(lambda: len(ctrl.clients.rows) > 0)
    return ctrl


def unidentified_payload(demo_hub, offset=0) -> str:
    from datetime import datetime

    conn = sqlite3.connect(demo_hub.db_path)
    r = json.loads(
        conn.execute("SELECT data FROM receipts WHERE client_id IS NULL LIMIT 1 OFFSET ?", [20 + offset]).fetchone()[0]
    )
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
    await wait_for(lambda: ctrl.scan.outcome.state == "matched")  # the scan screen follows its link too
    # The same receipt for another client: the cache knows it is hers, so it is refused here.
    other = next(c for c in ctrl.clients.rows if c.id != client.id)
    ctrl.scan.start(other.id, other.last_name)
    await ctrl.scan.scan_text(payload)
    assert ctrl.scan.taken and ctrl.scan.holder.client.id == client.id
    assert not await ctrl.scan.link()
    assert await ctrl.cache.read(lambda db: db.execute("SELECT count(*) FROM outbox").fetchone()[0]) == 0
    await ctrl.close()


# --- results that tell the truth: refused at scan time, or pending until the hub answers ---------


async def device(demo_hub, tmp_path, name: str):
    """A second (third...) device of the same store: its own cache, the same hub; synced once."""
    ctrl = await logged_in(demo_hub, tmp_path / name)
    await wait_for(lambda: len(ctrl.clients.rows) > 4)
    engine = ctrl.sync.engine
    assert engine is not None, "a logged-in device should have a sync engine"
    await engine.stop()  # each step below syncs when the test says so
    await engine.sync_once()
    return ctrl


def shown(scan: ScanModel) -> tuple[str, str]:
    """What the scan screen says (in Russian) about the staged receipt's link, and its colour."""
    said = link_result(scan, "ru")
    assert said is not None, "a receipt should be staged with a link result to show"
    return said


def fiscal(payload: str) -> dict[str, str]:
    return dict(x.split("=", 1) for x in payload.split("&"))


async def test_a_receipt_another_device_linked_is_refused_at_scan_time_naming_its_client(demo_hub, tmp_path):
    a = await device(demo_hub, tmp_path, "a")
    b = await device(demo_hub, tmp_path, "b")
    x, y = a.clients.rows[0], a.clients.rows[1]
    payload = unidentified_payload(demo_hub, 5)
    a.scan.start(x.id, x.short_name)
    await a.scan.scan_text(payload)
    assert await a.scan.link()
    await a.sync.engine.sync_once()
    await b.sync.engine.sync_once()

    b.scan.start(y.id, y.short_name)
    await b.scan.scan_text(payload)
    held = b.scan.holder
    assert b.scan.taken and held.client.id == x.id and held.link.state == "matched" and held.link.at
    assert not await b.scan.link()  # nothing queued
    assert await b.cache.read(lambda db: db.execute("SELECT count(*) FROM outbox").fetchone()[0]) == 0
    text, _ = shown(b.scan)
    r = fiscal(payload)
    assert f"№ {r['i']}" in text and x.short_name in text and x.masked_phone in text
    assert operations.link_day(held.link.at, "ru") in text and "не отправлена" in text
    # Scanned for X herself: already hers, said so, nothing queued either.
    b.scan.choose_client(x.id, x.short_name)
    assert not b.scan.taken and not await b.scan.link()
    assert "этому клиенту" in shown(b.scan)[0]
    await a.close()
    await b.close()


async def test_a_queued_link_is_pending_until_the_hub_applies_it(demo_hub, tmp_path):
    a = await device(demo_hub, tmp_path, "a")
    x = a.clients.rows[2]
    payload = unidentified_payload(demo_hub, 6)
    a.scan.start(x.id, x.short_name)
    await a.scan.scan_text(payload)
    assert await a.scan.link()
    text, colour = shown(a.scan)
    r = fiscal(payload)
    rub = formatting.money(round(float(r["s"]) * 100), "ru")
    assert a.scan.outcome.state == "pending" and colour != theme.OK
    assert text.startswith(f"Чек № {r['i']} на {rub} от ") and "отправлен — ждём ответа сервера" in text
    # The engine finds the hub unreachable (as it reports it): "will be sent", still not "linked".
    a.sync._status(replace(a.sync.status, online=False))
    await wait_for(lambda: a.scan.offline)
    assert "будет отправлен, когда появится связь" in shown(a.scan)[0]
    await a.sync.engine.sync_once()  # the status change re-reads the outcome
    await wait_for(lambda: a.scan.outcome.state == "matched")
    assert not a.scan.offline and "привязан к клиенту" in shown(a.scan)[0]
    await a.close()


async def test_both_offline_the_second_link_turns_refused_after_sending(demo_hub, tmp_path):
    a = await device(demo_hub, tmp_path, "a")
    b = await device(demo_hub, tmp_path, "b")
    x, y = a.clients.rows[3], a.clients.rows[4]
    payload = unidentified_payload(demo_hub, 7)
    for ctrl, who in ((a, x), (b, y)):  # neither knows of the other's link
        ctrl.scan.start(who.id, who.short_name)
        await ctrl.scan.scan_text(payload)
        assert not ctrl.scan.taken and await ctrl.scan.link()
        assert ctrl.scan.outcome.state == "pending"
    await a.sync.engine.sync_once()
    await b.sync.engine.sync_once()
    await wait_for(lambda: a.scan.outcome.state == "matched")
    # Refused by the push's answer; its holder is known once the pull after it brought A's link
    # (the outcome is re-read on each status change of that round).
    await wait_for(lambda: b.scan.outcome.state == "rejected" and b.scan.outcome.holder is not None)
    out = b.scan.outcome
    assert out.operation.code == "receipt_taken" and out.holder is not None and out.holder.client.id == x.id
    r = fiscal(payload)
    text, _ = shown(b.scan)
    assert text.startswith(f"Чек № {r['i']} на ") and "не привязан: чек уже привязан к другому клиенту" in text
    assert x.short_name in text
    # The sync screen's refused operation names the receipt: number, sum and date.
    await b.sync.load_rejections()
    (op,) = b.sync.rejections
    date = formatting.date(datetime.strptime(r["t"], "%Y%m%dT%H%M"), "ru")
    assert operations.line(op, "ru") == (
        f"Привязка чека № {r['i']} на {formatting.money(op.receipt.s, 'ru')} от {date}"
        " — чек уже привязан к другому клиенту"
    )
    # Her profile's links section says the same about the receipt.
    await b.profile.open(y.id)
    (link,) = b.profile.data.links
    assert link.state == "rejected" and link.receipt.i == r["i"]
    await a.close()
    await b.close()
