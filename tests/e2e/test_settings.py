"""The Settings screen in a real browser: a refused hub address keeps what was typed, the
language and sync interval change, and "reset this device" with an unsent receipt link
lists it and asks twice before the device is wiped and the login shows (the login after a
reset: tests/state/test_settings.py)."""

from __future__ import annotations

import json
import sqlite3

from sync.hub import demo
from tests.e2e.conftest import Screen
from tests.e2e.test_lookup_profile import logged_in
from tests.e2e.test_scan import open_profile, qr_payload


def unlinked_receipt(db_path, offset: int) -> dict:
    conn = sqlite3.connect(db_path)
    row = conn.execute("SELECT data FROM receipts WHERE client_id IS NULL LIMIT 1 OFFSET ?", [offset]).fetchone()
    conn.close()
    return json.loads(row[0])


def first_client(db_path) -> dict:
    """A client of the demo consultant's store whose surname no one else there has."""
    conn = sqlite3.connect(db_path)
    names: dict[str, list[dict]] = {}
    for (data,) in conn.execute("SELECT data FROM clients WHERE store_id = ?", [demo.stores(1)[0]["id"]]):
        c = json.loads(data)
        names.setdefault(c["last_name"], []).append(c)
    conn.close()
    return next(v[0] for k, v in sorted(names.items()) if len(v) == 1 and len(k) >= 6)


def go_settings(screen: Screen) -> None:
    screen.go("Настройки")
    screen.text("Адрес сервера")
    screen.text("Идентификатор устройства:")


def test_settings_and_reset_with_an_unsent_change(demo_hub, app_factory, screen: Screen):
    app = app_factory(demo_hub.url)
    logged_in(screen, app.url)
    go_settings(screen)
    screen.text("Локальная база:")
    screen.shot("1-settings")

    screen.fill("Адрес сервера", "http://hub.shop.example:8700")
    screen.click("Сохранить адрес")
    screen.text("начинается с http://")
    screen.page.get_by_role("textbox", name="Адрес сервера").wait_for(state="attached")
    screen.shot("2-hub-refused")

    screen.click("каждые 1 мин")
    screen.click("English")
    screen.text("Server address")
    screen.text("Background sync")
    screen.shot("3-english")
    screen.click("Русский")
    screen.text("Синхронизация в фоне")

    # One change that cannot reach the hub: a receipt linked from a profile, offline.
    client = first_client(demo_hub.db_path)
    receipt = unlinked_receipt(demo_hub.db_path, 40)
    screen.click("Клиенты")
    open_profile(screen, client)
    screen.click("Сканировать чек")
    demo_hub.stop()
    try:
        field = screen.page.get_by_role("textbox", name="Код чека или карты (сканер вводит сам)")
        field.click()
        field.fill(qr_payload(receipt))
        field.press("Enter")
        screen.click("Привязать чек к клиенту")
        screen.text("будет отправлен, когда появится связь", timeout=60_000)

        go_settings(screen)
        screen.click("Сбросить устройство")
        screen.text("Привязка чека: 1")
        screen.text("ещё не отправленные на сервер (1 изменение)")
        screen.shot("4-reset-lists-losses")
        screen.click("Сбросить и потерять изменения")
        screen.text("Точно? Эти изменения нельзя будет восстановить.")
        screen.shot("5-reset-asks-again")
        screen.click("Да, потерять изменения и сбросить")
        screen.text("Устройство сброшено", timeout=60_000)
        screen.page.get_by_role("button", name="Войти").wait_for(state="attached", timeout=30_000)
        screen.shot("6-reset-login")
    finally:
        demo_hub.start()
