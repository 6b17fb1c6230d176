"""The walking skeleton in a real browser: log in, see the book fill, and the bad cases."""

from __future__ import annotations

import os
import re

from tests.conftest import free_port
from tests.e2e.conftest import start_app, stop_app


def test_login_and_client_list_fills_after_sync(demo_hub, app_factory, screen):
    app = app_factory(demo_hub.url)
    screen.open(app.url)
    screen.text("Вход для консультанта")
    screen.shot("1-login")
    screen.fill("Логин", "demo")
    screen.fill("Пароль", "vitrine-demo")
    screen.click("Войти")
    screen.set_pin()
    count = screen.text("Клиентов в книге:")
    # The list fills from the hub through the cache: wait for a non-zero count.
    screen.page.get_by_text(re.compile(r"Клиентов в книге: [1-9]\d*")).first.wait_for(state="attached", timeout=30_000)
    screen.text("В сети")
    screen.text("Ожидают отправки: 0")
    screen.shot("2-clients")
    text = count.text_content() or ""
    shown = screen.page.get_by_text(re.compile("Клиентов в книге")).first.text_content() or ""
    found = re.search(r"(\d+)", shown)
    assert found is not None, f"the client count should show a number: {shown!r}"
    assert int(found.group(1)) > 100, text
    # English switch
    screen.click("English")
    screen.text("Clients in the book:")
    screen.shot("3-english")


def test_wrong_password_keeps_what_was_typed(demo_hub, app_factory, screen):
    app = app_factory(demo_hub.url)
    screen.open(app.url)
    screen.fill("Логин", "demo")
    screen.fill("Пароль", "not-the-password")
    screen.click("Войти")
    screen.text("Неверный логин или пароль")
    screen.shot("wrong-password")
    from playwright.sync_api import expect

    expect(screen.page.get_by_role("textbox", name="Логин")).to_have_value("demo")


def test_unreachable_hub_says_so_and_keeps_input(app_factory, screen):
    dead = f"http://127.0.0.1:{free_port()}"
    app = app_factory(dead)
    screen.open(app.url)
    screen.fill("Логин", "demo")
    screen.fill("Пароль", "vitrine-demo")
    screen.click("Войти")
    screen.text("Нет связи с сервером лояльности")
    screen.shot("unreachable")
    from playwright.sync_api import expect

    expect(screen.page.get_by_role("textbox", name="Логин")).to_have_value("demo")
    expect(screen.page.get_by_role("textbox", name="Пароль")).to_have_value("vitrine-demo")


def test_damaged_cache_is_set_aside_with_a_message(demo_hub, tmp_path, screen):
    data = tmp_path / "device"
    data.mkdir()
    # A plain cache of an earlier version, too damaged to encrypt.
    (data / "cache.sqlite").write_bytes(b"SQLite format 3\x00" + b"this is not a database" * 200)
    app = start_app(data, demo_hub.url)
    try:
        screen.open(app.url)
        screen.text("Локальная база на устройстве была повреждена")
        screen.shot("damaged-cache")
        kept = list(data.glob("cache.sqlite.damaged-*"))
        assert kept and b"this is not a database" in kept[0].read_bytes()
    finally:
        stop_app(app)


def test_cache_without_its_key_is_set_aside_with_a_message(demo_hub, tmp_path, screen):
    data = tmp_path / "device"
    data.mkdir()
    # An encrypted cache whose key is not in this device's secret store (copied, or the store reset).
    (data / "cache.sqlite").write_bytes(os.urandom(16384 * 4))
    app = start_app(data, demo_hub.url)
    try:
        screen.open(app.url)
        screen.text("Локальную базу не удалось расшифровать")
        screen.text("восстановить нельзя")
        screen.shot("unreadable-cache")
        assert list(data.glob("cache.sqlite.unreadable-*"))
    finally:
        stop_app(app)


def test_sync_screen_speaks_plainly_and_folds_the_details(demo_hub, app_factory, screen):
    app = app_factory(demo_hub.url)
    screen.open(app.url)
    screen.fill("Логин", "demo")
    screen.fill("Пароль", "vitrine-demo")
    screen.click("Войти")
    screen.set_pin()
    screen.page.get_by_text(re.compile(r"Клиентов в книге: [1-9]")).first.wait_for(state="attached", timeout=30_000)
    screen.click("Синхронизация")
    screen.text("Всё отправлено, данные актуальны на")
    # The device id and the counts are there, but only under "Подробнее".
    assert screen.page.get_by_text(re.compile("^Устройство:")).count() == 0
    screen.shot("1-sync-plain")
    screen.click("Подробнее")
    screen.text("Устройство:")
    screen.shot("2-sync-details")
