"""Accessible names: the navigation by its names alone, fields by their labels whether focused or not,
and every control a consultant can reach has a name."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import Screen

NAVIGATION = ["Клиенты", "Скан чека", "Регистрация", "Дневник", "Синхронизация"]


def log_in(screen: Screen) -> None:
    screen.log_in("demo", "vitrine-demo")
    screen.set_pin()
    screen.text("Синхронизировано:")


def unnamed_controls(screen: Screen) -> list[str]:
    """The buttons, text boxes, switches and checkboxes in the semantics tree that have no name."""
    snapshot = screen.page.locator("body").aria_snapshot()
    roles = ("button", "textbox", "switch", "checkbox", "link", "tab", "slider", "combobox")
    return [line.strip() for line in snapshot.splitlines() if line.strip().removeprefix("- ").rstrip(":") in roles]


def test_login_fields_keep_their_names_when_focused(demo_hub, app_factory, screen):
    app = app_factory(demo_hub.url)
    screen.open(app.url)
    for label in ["Логин", "Пароль"]:
        box = screen.page.get_by_role("textbox", name=label, exact=True)
        expect(box).to_have_count(1)
        box.click()
        expect(box).to_have_count(1)  # focused: still just its label
    assert unnamed_controls(screen) == []
    screen.shot("login")


def test_navigation_and_controls_are_named(demo_hub, app_factory, screen):
    app = app_factory(demo_hub.url)
    screen.open(app.url)
    log_in(screen)
    for name in [*NAVIGATION, "Выйти", "English", "Синхронизировать"]:
        expect(screen.page.get_by_role("button", name=name, exact=True)).to_have_count(1)
    assert unnamed_controls(screen) == [], "controls without an accessible name on the client list"
    screen.shot("1-clients")

    screen.page.get_by_role("button", name="Регистрация", exact=True).click()
    phone = screen.page.get_by_role("textbox", name="Телефон", exact=True)
    expect(phone).to_have_count(1)
    phone.click()
    expect(phone).to_have_count(1)  # the example number is not part of its name while focused
    phone.fill("+7 916 123-45-67")
    expect(phone).to_have_value("+7 916 123-45-67")
    assert unnamed_controls(screen) == [], "controls without an accessible name on the registration form"
    screen.shot("2-register-phone-focused")

    for name in NAVIGATION:
        screen.page.get_by_role("button", name=name, exact=True).click()
        screen.page.wait_for_timeout(300)
        assert unnamed_controls(screen) == [], f"controls without an accessible name under {name!r}"
