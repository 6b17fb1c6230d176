"""Linking a receipt in a real browser: from a photo file while the hub is down, then up;
a second link of the same receipt, typed by a handheld scanner, is refused with a message."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from datetime import datetime

import pytest

from sync.hub import demo
from tests.e2e.conftest import Screen
from tests.e2e.test_lookup_profile import logged_in, search
from tests.services.receipt_photos import receipt_content, render_receipt


def qr_payload(r: dict) -> str:
    at = datetime.fromisoformat(r["at"])
    return f"t={at:%Y%m%dT%H%M}&s={r['total'] // 100}.{r['total'] % 100:02d}&fn={r['fn']}&i={r['i']}&fp={r['fp']}&n=1"


@pytest.fixture(scope="module")
def scene(demo_hub, tmp_path_factory) -> dict:
    """An unidentified till receipt, its photo, and two clients of the demo store."""
    conn = sqlite3.connect(demo_hub.db_path)
    store = demo.stores(1)[0]["id"]
    receipt = json.loads(conn.execute("SELECT data FROM receipts WHERE client_id IS NULL LIMIT 1").fetchone()[0])
    names: dict[str, list[dict]] = {}
    for (data,) in conn.execute("SELECT data FROM clients WHERE store_id = ?", [store]):
        c = json.loads(data)
        names.setdefault(c["last_name"], []).append(c)
    conn.close()
    unique = [v[0] for k, v in sorted(names.items()) if len(v) == 1 and len(k) >= 6]
    payload = qr_payload(receipt)
    rng = random.Random(11)
    _, lines = receipt_content(rng)
    paper, _, _ = render_receipt(rng, payload, lines)
    photo = tmp_path_factory.mktemp("scan") / "receipt.jpg"
    paper.convert("RGB").rotate(4, expand=True, fillcolor="white").save(photo, "JPEG", quality=85)
    return {"receipt": receipt, "payload": payload, "photo": photo, "first": unique[0], "second": unique[1]}


def open_profile(screen: Screen, client: dict, from_profile: bool = False) -> None:
    if from_profile:
        screen.click("К списку")
    search(screen, client["last_name"])
    screen.text(f"{client['last_name']} {client['first_name']}").click()
    screen.text("Баланс баллов")


def test_link_from_photo_offline_then_online_and_second_link_refused(demo_hub, app_factory, screen, scene):
    app = app_factory(demo_hub.url)
    logged_in(screen, app.url)
    first, receipt = scene["first"], scene["receipt"]
    rub = f"{receipt['total'] // 100:,}".replace(",", " ")

    open_profile(screen, first)
    screen.click("Сканировать чек")
    demo_hub.stop()
    try:
        with screen.page.expect_file_chooser() as chooser:
            screen.click("Фото чека")
        chooser.value.set_files(str(scene["photo"]))
        screen.text(f"{rub},00 ₽")  # the sum, at once, from the QR
        screen.text(f"ФД {receipt['i']}")
        screen.shot("1-decoded-offline")
        screen.click("Привязать чек к клиенту")
        screen.text("будет отправлен, когда появится связь")  # saved here, not "linked" before the hub agreed
        screen.page.get_by_text(re.compile(r"Нет связи")).first.wait_for(state="attached", timeout=30_000)
        screen.text("Ожидают отправки: 1")
        screen.shot("2-linked-offline")
    finally:
        demo_hub.start()
    screen.text("Ожидают отправки: 0", timeout=60_000)
    screen.text(f"Чек № {receipt['i']} на {rub} ₽", timeout=30_000)
    screen.text("привязан к клиенту")
    screen.click("Открыть профиль")
    screen.text(f"{rub} ₽", timeout=30_000)  # the purchase, matched with the till's copy
    screen.page.get_by_text(re.compile(r"\+\d[\d\s]*\sбалл")).first.wait_for(state="attached")  # "+1 234 балла"
    screen.shot("3-purchase-on-profile")

    second = scene["second"]
    open_profile(screen, second, from_profile=True)
    screen.click("Сканировать чек")
    box = screen.page.get_by_role("textbox", name="Код чека или карты (сканер вводит сам)")
    box.click()
    box.fill(scene["payload"])
    box.press("Enter")
    screen.text(f"{rub},00 ₽")
    # This device knows the receipt is the first client's: refused here, nothing queued.
    screen.text(f"уже привязан к другому клиенту: {first['last_name']} {first['first_name']}")
    assert screen.page.get_by_role("button", name="Привязать чек к клиенту").count() == 0
    screen.text("Ожидают отправки: 0")
    screen.shot("4-second-link-refused")
