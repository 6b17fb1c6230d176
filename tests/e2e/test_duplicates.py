"""A duplicate phone found across stores while typing, in a real browser at 1280×800.

Two stores of one brand on the demo hub: a client is registered at Невский (by its
consultant, through the hub's API); the demo consultant of Петровка opens the registration
form and types her phone as people say it. The panel shows the brand's masked match (her
first name and initial, the masked phone, her boutique) and "Открыть её" brings her into
this tablet and opens her profile, instead of registering her twice.
"""

from __future__ import annotations

import random
import re

import httpx
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from sync.models import new_id, utcnow
from tests.conftest import start_hub
from tests.e2e.conftest import Screen
from tests.e2e.test_forms import open_register
from tests.e2e.test_lookup_profile import logged_in

SURNAME, NAME = "Вяземская", "Ольга"


@pytest.fixture(scope="module")
def demo_hub(tmp_path_factory):
    """A demo hub of this module's own: sharing and merging change which clients each store's
    book holds, and the other tests read their stores' books from the session's demo hub."""
    hub = start_hub(tmp_path_factory.mktemp("duplicates-hub"), clients=200)
    yield hub
    hub.stop()


def _register(hub_url: str, login: str, password: str, phone: str, last_name: str, first_name: str) -> str:
    """A client registered through the hub's API by a consultant of `login`'s store."""
    s = httpx.post(f"{hub_url}/v1/auth/login", json={"login": login, "password": password}, timeout=30).json()
    cid = new_id()
    m = {
        "id": new_id(),
        "kind": "client.register",
        "entity_id": cid,
        "payload": {"store_id": s["store_id"], "last_name": last_name, "first_name": first_name, "phone": phone},
        "client_time": utcnow().isoformat(),
    }
    r = httpx.post(
        f"{hub_url}/v1/mutations",
        json={"device_id": s["device_id"], "mutations": [m]},
        headers={"Authorization": f"Bearer {s['access_token']}", "X-Vitrine-Protocol": "1"},
        timeout=30,
    )
    assert r.json()["results"][0]["status"] == "applied", r.text
    return cid


def _register_at_nevsky(hub_url: str, phone: str) -> str:
    return _register(hub_url, "consultant04", "vitrine", phone, SURNAME, NAME)


def _register_at_petrovka(hub_url: str, phone: str, last_name: str, first_name: str) -> str:
    return _register(hub_url, "demo", "vitrine-demo", phone, last_name, first_name)


def test_a_duplicate_phone_found_across_stores_while_typing(demo_hub, app_factory, screen: Screen):
    phone = f"+7926{random.randrange(10**7):07d}"
    _register_at_nevsky(demo_hub.url, phone)
    app = app_factory(demo_hub.url)
    logged_in(screen, app.url)
    open_register(screen)
    screen.fill("Фамилия", SURNAME)
    typed = f"8 {phone[2:5]} {phone[5:8]}-{phone[8:10]}-{phone[10:]}"
    for _ in range(2):  # a re-render (the sync banner, every 2 s) may clear a field typed meanwhile: type it again
        screen.fill("Телефон", typed)
        try:
            screen.text("Возможно, она уже клиент", timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    screen.text("Возможно, она уже клиент")
    screen.text(f"{NAME} {SURNAME[0]}.  +7 *** ***-**-{phone[-2:]}")
    screen.text("бутик «Невский» · тот же телефон")
    screen.shot("1-masked-match-of-another-store")
    screen.click("Открыть её")
    screen.text(f"{SURNAME} {NAME}")  # her profile, served at this boutique now
    screen.text("Приветственный бонус")  # her points ledger came with her from the other boutique
    screen.shot("2-her-profile-opened-here")
    assert "Traceback" not in app.log()


def test_a_manager_keeps_one_of_a_duplicate_pair(demo_hub, app_factory, screen: Screen):
    phone = f"+7926{random.randrange(10**7):07d}"
    _register_at_nevsky(demo_hub.url, phone)
    _register_at_petrovka(demo_hub.url, phone, "Вяземская", "Оля")  # a second tablet, the same phone: a pair
    app = app_factory(demo_hub.url)
    screen.open(app.url)
    screen.log_in("manager1", "vitrine")
    screen.set_pin()
    screen.text("Синхронизировано:")
    screen.page.get_by_role("button", name=re.compile(r"^Синхронизация")).first.click()
    screen.text("Возможные дубли клиентов")
    nevsky = f"{NAME} {SURNAME[0]}. +7 *** ***-**-{phone[-2:]} · Невский"
    screen.text(nevsky)
    screen.text(f"Оля {SURNAME[0]}. +7 *** ***-**-{phone[-2:]} · Петровка")
    screen.shot("3-manager-sees-the-pair")
    keep = screen.page.get_by_role("button", name="Оставить эту")
    keep.first.wait_for(state="attached")
    # the row of the Петровка client holds the second "keep" button (clients are listed by id, oldest first)
    keep.nth(1).click()
    expect(screen.page.get_by_text(nevsky)).to_have_count(0, timeout=30_000)
    screen.shot("4-pair-merged")
    assert "Traceback" not in app.log()
