"""Two devices, one receipt: a link never reads as done before the hub agreed.

(a) Device A links receipt R to client X and syncs; device B, synced, scans R for client
Y: refused at scan time, naming X (name and masked phone, as the list shows namesakes)
and the day of A's link, with nothing queued.
(b) Both offline (the hub stopped), A links R to X and B links R to Y: each says it will
be sent. The hub back, the first to arrive wins; the other turns refused on its scan
screen and on its sync screen, naming the receipt's number, sum and date.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import datetime

import pytest

from app.services import phones
from app.ui import formatting
from sync.hub import demo
from tests.e2e.conftest import Screen
from tests.e2e.test_lookup_profile import logged_in
from tests.e2e.test_scan import open_profile, qr_payload


@pytest.fixture
def second_screen(browser, request) -> Iterator[Screen]:
    """Device B's browser tab: a context of its own, as `screen` is for device A."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ru-RU")
    s = Screen(context.new_page(), request.node.name + "-B")
    yield s
    if getattr(request.node, "failed_call", False):
        s.shot("FAILED")
    context.close()


def unlinked_receipts(demo_hub, n: int) -> list[dict]:
    """Till receipts nobody has linked yet, away from those other tests take (the first few)."""
    conn = sqlite3.connect(demo_hub.db_path)
    rows = conn.execute("SELECT data FROM receipts WHERE client_id IS NULL LIMIT ? OFFSET 60", [n]).fetchall()
    conn.close()
    return [json.loads(r[0]) for r in rows]


def store_clients(demo_hub, n: int) -> list[dict]:
    """Clients of the demo store whose surnames are unique there (so a search finds exactly them)."""
    conn = sqlite3.connect(demo_hub.db_path)
    store = demo.stores(1)[0]["id"]
    names: dict[str, list[dict]] = {}
    for (data,) in conn.execute("SELECT data FROM clients WHERE store_id = ?", [store]):
        c = json.loads(data)
        names.setdefault(c["last_name"], []).append(c)
    conn.close()
    unique = [v[0] for k, v in sorted(names.items()) if len(v) == 1 and len(k) >= 6]
    return unique[-n:]  # from the end: test_scan takes the first two


def scan(screen: Screen, payload: str) -> None:
    box = screen.page.get_by_role("textbox", name="Код чека или карты (сканер вводит сам)")
    box.click()
    box.fill(payload)
    box.press("Enter")


def ref(receipt: dict) -> str:
    """The receipt as every message names it: number, sum (whole roubles), day."""
    rub = f"{receipt['total'] // 100:,}".replace(",", " ")
    return f"№ {receipt['i']} на {rub} ₽ от {datetime.fromisoformat(receipt['at']):%d.%m.%Y}"


def who(c: dict) -> str:
    return f"{c['last_name']} {c['first_name']}, {phones.mask_phone(c['phone'])}"


def link_for(screen: Screen, client: dict, payload: str, first: bool = True) -> None:
    open_profile(screen, client, from_profile=not first)
    screen.click("Сканировать чек")
    scan(screen, payload)


def test_link_known_elsewhere_is_refused_at_scan_time(demo_hub, app_factory, screen, second_screen):
    receipt = unlinked_receipts(demo_hub, 1)[0]
    x, y = store_clients(demo_hub, 2)
    payload = qr_payload(receipt)
    a, b = app_factory(demo_hub.url, "a"), app_factory(demo_hub.url, "b")
    logged_in(screen, a.url)
    logged_in(second_screen, b.url)

    link_for(screen, x, payload)
    screen.click("Привязать чек к клиенту")
    screen.text(f"Чек {ref(receipt)} привязан к клиенту", timeout=60_000)  # once the hub agreed
    screen.shot("1-A-linked")

    # B has pulled A's link when X's purchase shows on B (published in the same hub transaction).
    open_profile(second_screen, x)
    second_screen.text(f"№ {receipt['i']}", timeout=60_000)
    second_screen.click("К списку")
    link_for(second_screen, y, payload)
    today = formatting.date(datetime.now().astimezone(), "ru")
    second_screen.text(
        f"Чек {ref(receipt)} уже привязан к другому клиенту: {who(x)}, привязка от {today}. Привязка не отправлена."
    )
    assert second_screen.page.get_by_role("button", name="Привязать чек к клиенту").count() == 0
    second_screen.text("Ожидают отправки: 0")
    second_screen.shot("2-B-refused-at-scan")


def test_both_offline_the_second_link_is_refused_after_sending(demo_hub, app_factory, screen, second_screen):
    receipt = unlinked_receipts(demo_hub, 2)[1]
    x, y = store_clients(demo_hub, 4)[:2]
    payload = qr_payload(receipt)
    a, b = app_factory(demo_hub.url, "a"), app_factory(demo_hub.url, "b")
    logged_in(screen, a.url)
    logged_in(second_screen, b.url)
    devices = ((screen, x), (second_screen, y))
    for s, client in devices:
        open_profile(s, client)
        s.click("Сканировать чек")

    demo_hub.stop()
    try:
        for i, (s, _) in enumerate(devices):
            scan(s, payload)
            s.click("Привязать чек к клиенту")
            s.text(
                f"Чек {ref(receipt)} сохранён на устройстве и будет отправлен, когда появится связь.", timeout=30_000
            )
            s.text("Ожидают отправки: 1")
            s.shot(f"{1 + i}-offline-saved")
    finally:
        demo_hub.start()

    # The first to reach the hub wins; which one is up to the two sync timers.
    named = re.escape(ref(receipt)).replace(r"\ ", r"\s")  # regexes see the no-break spaces of numbers
    won = re.compile(rf"Чек {named} привязан к клиенту")
    lost = re.compile(rf"Чек {named} не привязан: чек уже привязан к другому клиенту")
    outcome = {}
    for s, _ in devices:
        s.page.get_by_text(re.compile(f"{won.pattern}|{lost.pattern}")).first.wait_for(state="attached", timeout=90_000)
        outcome[s.name] = "won" if s.page.get_by_text(won).count() else "lost"
    assert sorted(outcome.values()) == ["lost", "won"], outcome
    (loser, _), (_, holder) = sorted(devices, key=lambda d: outcome[d[0].name] == "won")
    winner = next(s for s, _ in devices if s is not loser)
    winner.shot("3-winner")
    # The loser's screen names who holds the receipt once its pull has brought that link.
    loser.text(f"Он у клиента: {who(holder)}", timeout=60_000)
    loser.text("Отклонено: 1")
    loser.shot("4-loser-scan-refused")

    # Her profile says the same of the receipt: its links section and this device's refused operation.
    loser.click("Открыть профиль")
    loser.text(f"Чек {ref(receipt)} не привязан: чек уже привязан к другому клиенту", timeout=30_000)
    loser.text(f"Привязка чека {ref(receipt)} — чек уже привязан к другому клиенту")
    loser.shot("5-loser-profile")

    # The rail's destination (its accessible name may carry "Tab 4 of 4" after the label).
    loser.page.get_by_role("button", name=re.compile(r"^Синхронизация(\s|$)")).first.click()
    # A list tile carries its title as the accessible name of its group.
    loser.page.get_by_label(f"Привязка чека {ref(receipt)} — чек уже привязан к другому клиенту").first.wait_for(
        state="attached", timeout=30_000
    )
    loser.shot("6-loser-sync-screen")
