"""The client forms in a real browser at 1280×800: a registration abandoned with "Отмена"
leaves nothing behind, a half-typed one survives an app restart, and a failed save names
the fields to fix while its button stays on screen."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from playwright.sync_api import expect

from sync.hub import demo
from tests.e2e.conftest import Screen
from tests.e2e.test_lookup_profile import logged_in, search

SURNAME, PHONE, EMAIL = "Брошенная", "12", "anna@"


@pytest.fixture(scope="module")
def target(demo_hub) -> dict:
    """A client of the demo consultant's store with an e-mail and a surname no one else there has."""
    conn = sqlite3.connect(demo_hub.db_path)
    store = demo.stores(1)[0]["id"]
    rows = [json.loads(r[0]) for r in conn.execute("SELECT data FROM clients WHERE store_id = ?", [store])]
    conn.close()
    surnames = [c["last_name"] for c in rows]
    return next(c for c in rows if c.get("email") and surnames.count(c["last_name"]) == 1)


def open_register(screen: Screen) -> None:
    # The rail destination's accessible name may carry a position suffix ("… Tab 3 of 4").
    screen.page.get_by_role("button", name=re.compile(r"^Регистрация")).first.click()
    screen.text("Регистрация клиента")


def box(screen: Screen, label: str):
    return screen.page.get_by_role("textbox", name=re.compile(rf"^{label}"))


def holds(screen: Screen, label: str, value: str) -> None:
    """The field holds `value`. Flutter's web semantics show a field's text only while it has
    focus (an unfocused one always reads ""), so it is clicked first."""
    field = box(screen, label)
    field.click()
    expect(field).to_have_value(value)


def inside_viewport(screen: Screen, name: str) -> dict:
    """The button's bounding box, asserted to lie wholly inside the window."""
    button = screen.page.get_by_role("button", name=name).first
    button.wait_for(state="attached")
    bb = button.bounding_box()
    view = screen.page.viewport_size
    assert bb is not None and view is not None
    assert bb["y"] >= 0 and bb["y"] + bb["height"] <= view["height"], (name, bb, view)
    assert bb["x"] >= 0 and bb["x"] + bb["width"] <= view["width"], (name, bb, view)
    return bb


def test_failed_save_names_the_fields_then_cancel_leaves_the_next_registration_empty(demo_hub, app_factory, screen):
    app = app_factory(demo_hub.url)
    logged_in(screen, app.url)
    open_register(screen)
    screen.shot("1-empty-form")
    inside_viewport(screen, "Зарегистрировать")
    inside_viewport(screen, "Отмена")
    screen.fill("Фамилия", SURNAME)
    screen.fill("Имя", "Анна")
    screen.fill("Телефон", PHONE)
    screen.fill("Email", EMAIL)
    screen.click("Зарегистрировать")
    screen.text("Проверьте поля: Телефон, Email")
    screen.text("Не похоже на номер телефона")
    expect(box(screen, "Телефон")).to_be_focused()  # the first field to fix
    inside_viewport(screen, "Зарегистрировать")
    screen.shot("2-failed-save-summary")
    screen.resize(900, 560)  # a smaller window: the bar stays
    screen.text("Проверьте поля: Телефон, Email")
    inside_viewport(screen, "Зарегистрировать")
    inside_viewport(screen, "Отмена")
    screen.shot("2b-small-window")
    screen.resize(1280, 800)

    screen.click("Отмена")
    screen.text("Клиентов в книге:")
    open_register(screen)
    for label in ("Фамилия", "Имя", "Телефон", "Email"):
        holds(screen, label, "")
    expect(screen.page.get_by_text("Не похоже на номер телефона")).to_have_count(0)
    expect(screen.page.get_by_text(re.compile("Проверьте поля"))).to_have_count(0)
    screen.shot("3-after-cancel-empty")


def test_registration_draft_survives_an_app_restart(demo_hub, app_factory, screen):
    app = app_factory(demo_hub.url)
    logged_in(screen, app.url)
    open_register(screen)
    screen.fill("Фамилия", "Черновая")
    screen.fill("Телефон", "+7 916 555-01-02")
    screen.shot("1-typed")

    app.proc.terminate()  # the app process goes away mid-registration
    app.proc.wait(timeout=20)
    again = app_factory(demo_hub.url)  # same device folder, same cache
    assert again.data == app.data
    screen.open(again.url)
    screen.unlock()  # the session resumes, behind the PIN
    screen.text("Клиентов в книге:")
    open_register(screen)
    holds(screen, "Фамилия", "Черновая")
    holds(screen, "Телефон", "+7 916 555-01-02")
    screen.text("Черновик")
    screen.shot("2-draft-restored")

    screen.click("Отмена")  # discards it
    screen.text("Клиентов в книге:")
    open_register(screen)
    holds(screen, "Фамилия", "")
    holds(screen, "Телефон", "")
    screen.shot("3-discarded")


def test_failed_profile_edit_names_the_field_and_keeps_save_on_screen(demo_hub, app_factory, screen, target):
    app = app_factory(demo_hub.url)
    logged_in(screen, app.url)
    search(screen, target["last_name"])
    screen.text(f"{target['last_name']} {target['first_name']}").click()
    screen.text("Баланс баллов")
    screen.click("Редактировать")
    inside_viewport(screen, "Сохранить")
    holds(screen, "Фамилия", target["last_name"])
    screen.shot("1-edit")
    screen.fill("Email", "no-at-sign", exact=True)  # not the list's search field beside the profile
    screen.click("Сохранить")
    screen.text("Проверьте поле: Email")
    expect(box(screen, "Email")).to_be_focused()
    inside_viewport(screen, "Сохранить")
    screen.shot("2-failed-save")
    screen.click("Отмена")
    screen.text("Баланс баллов")
    screen.click("Редактировать")
    holds(screen, "Email", target["email"])  # the abandoned edit is gone
    screen.shot("3-edit-again")
