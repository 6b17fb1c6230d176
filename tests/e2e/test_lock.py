"""The PIN lock in a real browser: the first login sets a PIN, idle time locks the app with
nothing of the book on screen, the PIN opens it; and the next consultant on the same device,
of another store, finds no trace of the first one's store."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from playwright.sync_api import expect

from sync.hub import demo
from tests.e2e.conftest import PIN, Screen

# The idle time for these tests: long enough to see the book fill first, short enough to wait for.
LOCK_MINUTES = "0.2"
FIRST, SECOND = demo.stores(1)[0], demo.stores(1)[1]
BOOK_COUNT = re.compile(r"Клиентов в книге: [1-9]")


@pytest.fixture(scope="module")
def books(demo_hub) -> dict[str, list[dict]]:
    """Each store's clients, read from the hub's database (the test's oracle)."""
    conn = sqlite3.connect(demo_hub.db_path)
    out: dict[str, list[dict]] = {FIRST["id"]: [], SECOND["id"]: []}
    for store_id, data in conn.execute("SELECT store_id, data FROM clients"):
        if store_id in out:
            out[store_id].append(json.loads(data))
    conn.close()
    assert out[FIRST["id"]] and out[SECOND["id"]], "the demo seed should give both stores clients"
    return out


def log_in(screen: Screen, login: str, password: str) -> None:
    screen.fill("Логин", login)
    screen.fill("Пароль", password)
    screen.click("Войти")


def page_text(screen: Screen) -> str:
    """Everything the semantics tree says: what a person (or a screen reader) can read."""
    return screen.page.locator("body").aria_snapshot()


def search(screen: Screen, text: str) -> None:
    box = screen.page.get_by_role("textbox", name="Поиск: телефон, фамилия, карта, email")
    box.click()
    box.fill(text)
    expect(box).to_have_value(text)


def test_first_login_sets_a_pin_then_idle_time_locks_and_the_pin_unlocks(demo_hub, app_factory, screen, books):
    app = app_factory(demo_hub.url, extra=["--lock-minutes", LOCK_MINUTES])
    screen.open(app.url)
    log_in(screen, "demo", demo.DEMO_PASSWORD)

    screen.text("Задайте PIN-код")
    assert screen.page.get_by_role("button", name="Клиенты").count() == 0, "navigation before a PIN is set"
    screen.shot("1-pin-setup")
    screen.fill("PIN-код", "1234", exact=True)
    screen.fill("PIN-код ещё раз", "1234")
    screen.page.get_by_role("textbox", name="PIN-код ещё раз").press("Enter")
    screen.text("Слишком простой PIN-код")
    screen.shot("2-pin-too-simple")
    screen.set_pin(PIN)

    screen.page.get_by_text(BOOK_COUNT).first.wait_for(state="attached", timeout=30_000)
    screen.shot("3-book")

    # Hands off: after the idle time the lock screen replaces everything.
    screen.text("Приложение заблокировано", timeout=120_000)
    screen.text("Консультант: Акулина Филатова")
    screen.shot("4-locked")
    shown = page_text(screen)
    assert "Клиентов в книге" not in shown and "Скан чека" not in shown and "Выйти" not in shown
    leaked = [c["last_name"] for c in books[FIRST["id"]] if c["last_name"] in shown]
    assert leaked == [], f"client names on the lock screen: {leaked[:5]}"

    screen.unlock("1357")
    screen.text("Неверный PIN-код. Осталось попыток: 4.")
    screen.shot("5-wrong-pin")
    screen.unlock(PIN)
    screen.page.get_by_text(BOOK_COUNT).first.wait_for(state="attached", timeout=30_000)
    expect(screen.page.get_by_text("Приложение заблокировано")).to_have_count(0)
    screen.shot("6-unlocked")


def test_the_next_consultant_of_another_store_sees_nothing_of_the_first_store(demo_hub, app_factory, screen, books):
    app = app_factory(demo_hub.url)
    screen.open(app.url)
    log_in(screen, "demo", demo.DEMO_PASSWORD)
    screen.set_pin(PIN)
    screen.page.get_by_text(BOOK_COUNT).first.wait_for(state="attached", timeout=30_000)
    screen.text("· " + FIRST["name"])
    screen.shot("1-first-consultant")

    screen.click("Выйти")
    log_in(screen, "consultant04", demo.CONSULTANT_PASSWORD)
    screen.set_pin("2468")  # her own PIN: the first consultant's is hers alone
    screen.text(f"Клиентов в книге: {len(books[SECOND['id']])}")
    screen.text("Пелагея Рогова · " + SECOND["name"])
    screen.shot("2-second-consultant")
    assert "· " + FIRST["name"] not in page_text(screen), "a row of the first store in the list"

    # Nor does a search find one of them, by a surname or the last four digits only she has.
    # (A surname whose first four letters no client of hers shares: the search is forgiving,
    # Герасимова finds Герасимов.)
    stems = {c["last_name"][:4].lower() for c in books[SECOND["id"]]}
    suffixes = {(c["phone"] or "")[-4:] for c in books[SECOND["id"]]}
    other = next(
        c
        for c in books[FIRST["id"]]
        if c["last_name"][:4].lower() not in stems
        and len(c["last_name"]) >= 6
        and c["phone"]
        and c["phone"][-4:] not in suffixes
    )
    search(screen, other["last_name"])
    screen.text("Ничего не найдено")
    search(screen, other["phone"][-4:])
    screen.text("Ничего не найдено")
    screen.shot("3-search-finds-nothing")
