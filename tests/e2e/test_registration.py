"""Signed registration in a real browser, on a portrait tablet (800×1280): the consultant
starts a registration and hands the tablet over; the client completes the questionnaire,
ticks the consents, signs with the mouse on the pad and signs; the consultant takes the
tablet back with her PIN, finds the client by phone and opens the signed PDF. The same
with the hub stopped (then started: the form reaches a second device of the store), and a
quick card signed later. The figures (time from "Регистрация" to a saved signed form, the
clicks and typed fields) are printed and written to tests/artifacts/registration-timing.json.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from pypdf import PdfReader

from tests.conftest import ARTIFACTS, HubProcess, start_hub
from tests.e2e.conftest import PIN, Screen
from tests.e2e.test_lookup_profile import logged_in, search

PORTRAIT = {"width": 800, "height": 1280}


@pytest.fixture(scope="module")
def own_hub(tmp_path_factory) -> Iterator[HubProcess]:
    """A hub of this module's own: one test stops and starts it."""
    hub = start_hub(tmp_path_factory.mktemp("reg-hub"), clients=60)
    yield hub
    hub.stop()


@dataclass
class Effort:
    """What a person did: clicks (and taps), fields typed, signatures drawn, and the time."""

    clicks: int = 0
    typed: int = 0
    drawn: int = 0
    started: float = field(default_factory=time.monotonic)

    def seconds(self) -> float:
        return round(time.monotonic() - self.started, 1)


def _record(name: str, effort: Effort, seconds: float) -> None:
    path = ARTIFACTS / "registration-timing.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    found = json.loads(path.read_text()) if path.exists() else {}
    found[name] = {"seconds": seconds, "clicks": effort.clicks, "typed_fields": effort.typed, "drawn": effort.drawn}
    path.write_text(json.dumps(found, indent=2, ensure_ascii=False))
    print(name, found[name])


def portrait(screen: Screen) -> Screen:
    screen.resize(PORTRAIT["width"], PORTRAIT["height"])
    return screen


def click(screen: Screen, effort: Effort, name: str | re.Pattern, role: str = "button") -> None:
    screen.page.get_by_role(role, name=name).first.click()
    effort.clicks += 1


def fill(screen: Screen, effort: Effort, label: str, value: str, exact: bool = False) -> None:
    screen.fill(label, value, exact=exact)
    effort.clicks += 1
    effort.typed += 1


def tick(screen: Screen, effort: Effort, name: str) -> None:
    screen.page.get_by_role("checkbox", name=re.compile("^" + re.escape(name))).first.click()
    effort.clicks += 1


def draw_signature(screen: Screen, effort: Effort) -> None:
    """A cursive scrawl with the mouse over the pad, in two strokes. The pad is found between
    its hint above and its buttons below (a canvas has no text of its own to find it by)."""
    page = screen.page
    view = page.viewport_size
    assert view is not None
    page.mouse.move(400, 600)
    for _ in range(20):  # the pad is near the end of the questionnaire: scroll until it shows
        undo_button = page.get_by_role("button", name="Отменить штрих")
        undo = undo_button.first.bounding_box() if undo_button.count() else None
        if undo is not None and 400 < undo["y"] < view["height"] - 200:
            break
        page.mouse.wheel(0, 900)
        page.wait_for_timeout(300)
    hint = screen.text("Распишитесь пальцем или стилусом в рамке.").bounding_box()
    undo = page.get_by_role("button", name="Отменить штрих").first.bounding_box()
    assert hint is not None and undo is not None
    top, bottom = hint["y"] + hint["height"], undo["y"]
    box = {"x": 40.0, "y": top + 12, "width": 600.0, "height": bottom - top - 40}
    assert box["height"] > 100, (hint, undo)
    x0, y0, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x0 + w * 0.1, y0 + h * 0.6)
    page.mouse.down()
    for i in range(40):
        page.mouse.move(x0 + w * (0.1 + i * 0.018), y0 + h * (0.5 + 0.25 * (-1) ** i * (i % 5) / 5), steps=2)
    page.mouse.up()
    page.mouse.move(x0 + w * 0.15, y0 + h * 0.8)
    page.mouse.down()
    for i in range(20):
        page.mouse.move(x0 + w * (0.15 + i * 0.03), y0 + h * (0.8 - i * 0.005), steps=2)
    page.mouse.up()
    effort.drawn += 1


def open_register(screen: Screen, effort: Effort) -> None:
    click(screen, effort, re.compile(r"^Регистрация"))
    screen.text("Регистрация клиента")


def hand_over_and_sign(screen: Screen, effort: Effort, step: str, email: str | None = None) -> None:
    """The client's part, in hand-over mode: what she types, ticks and draws, then "Подписать"."""
    click(screen, effort, "Передать клиенту на подпись")
    screen.text("Заполните анкету, прочтите согласия и распишитесь внизу.")
    assert screen.page.get_by_role("button", name=re.compile(r"^Клиенты")).count() == 0  # no navigation
    screen.shot(f"{step}-handover")
    if email:
        fill(screen, effort, "Email", email)
        fill(screen, effort, "День рождения", "14.03.1988")
    tick(screen, effort, "Согласна(ен) на обработку персональных данных")
    tick(screen, effort, "Согласна(ен) получать SMS")
    click(screen, effort, "Подписать")  # no signature yet: refused with a message
    screen.text("Поставьте подпись в рамке")
    effort.clicks -= 1  # the test's own check, not a person's step
    draw_signature(screen, effort)
    # Drawing again takes the refusal's message away (the field's and the summary's).
    screen.page.get_by_text("Поставьте подпись в рамке").first.wait_for(state="detached", timeout=15_000)
    screen.page.get_by_text("Проверьте поля").first.wait_for(state="detached", timeout=15_000)
    screen.shot(f"{step}-signed-pad")
    click(screen, effort, "Подписать")
    screen.text("Спасибо! Анкета подписана.", timeout=60_000)
    screen.shot(f"{step}-thanks")


def take_back(screen: Screen, effort: Effort) -> None:
    for _ in range(3):  # typed again when the app got it empty (see Screen.set_pin)
        screen.fill("PIN консультанта", "1111")
        screen.page.get_by_role("textbox", name="PIN консультанта").press("Enter")
        wrong, empty = screen.page.get_by_text("Неверный PIN"), screen.page.get_by_text("Введите PIN-код.")
        wrong.or_(empty).first.wait_for(state="attached", timeout=30_000)
        if wrong.count():  # the client cannot leave the mode
            break
    screen.text("Неверный PIN")
    fill(screen, effort, "PIN консультанта", PIN)
    screen.page.get_by_role("textbox", name="PIN консультанта").press("Enter")
    effort.clicks += 1


def forms_card(screen: Screen) -> None:
    """Scroll the profile's left column down to her signed forms."""
    screen.page.mouse.move(270, 900)
    screen.page.mouse.wheel(0, 3000)
    screen.text("Подписанные анкеты")


def open_pdf(screen: Screen, step: str) -> str:
    """Open her signed PDF from the profile (a download in the browser); its text."""
    forms_card(screen)
    with screen.page.expect_download(timeout=60_000) as dl:
        screen.page.get_by_role("button", name="Открыть PDF").first.click()
    path = ARTIFACTS / f"{step}.pdf"
    dl.value.save_as(path)
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)


def find_by_phone(screen: Screen, phone_digits: str, name: str) -> None:
    screen.page.get_by_role("button", name=re.compile(r"^Клиенты")).first.click()
    search(screen, phone_digits[-4:])
    screen.text(name)
    screen.shot("found-by-phone")
    screen.text(name).click()
    forms_card(screen)


def test_register_in_hand_over_mode_sign_leave_with_pin_find_by_phone_open_pdf(own_hub, app_factory, screen):
    app = app_factory(own_hub.url)
    logged_in(screen, app.url)
    portrait(screen)
    effort = Effort()
    open_register(screen, effort)
    fill(screen, effort, "Фамилия", "Шереметьева")
    fill(screen, effort, "Имя", "Анастасия")
    fill(screen, effort, "Телефон", "+7 916 555-01-01")
    screen.shot("1-consultant-typed")
    hand_over_and_sign(screen, effort, "2", email="a.sher@example.ru")
    saved = effort.seconds()
    take_back(screen, effort)
    screen.text("Шереметьева Анастасия")
    forms_card(screen)
    screen.text("Анкета от")
    screen.shot("3-her-profile")
    _record("signed_registration", effort, saved)

    find_by_phone(screen, "79165550101", "Шереметьева Анастасия")
    text = open_pdf(screen, "signed-online")
    assert "Шереметьева" in text and "версия 1" in text
    screen.shot("4-pdf-opened")
    screen.page.get_by_role("button", name=re.compile(r"^Синхронизация")).first.click()
    screen.text("Ожидают отправки: 0", timeout=60_000)


def test_offline_registration_syncs_and_the_form_reaches_a_second_device(own_hub, app_factory, screen, browser):
    app = app_factory(own_hub.url, "tablet-1")
    logged_in(screen, app.url)
    portrait(screen)
    own_hub.stop()
    try:
        effort = Effort()
        open_register(screen, effort)
        fill(screen, effort, "Фамилия", "Офлайнова")
        fill(screen, effort, "Имя", "Вера")
        fill(screen, effort, "Телефон", "+7 916 555-02-02")
        hand_over_and_sign(screen, effort, "offline-1", email="vera@example.ru")
        take_back(screen, effort)
        screen.text("Офлайнова Вера")
        forms_card(screen)
        screen.text("ещё не на сервере")
        screen.shot("offline-2-pending")
        text = open_pdf(screen, "signed-offline")  # made on the device: opens without the hub
        assert "Офлайнова" in text
    finally:
        own_hub.start()
    screen.page.get_by_role("button", name=re.compile(r"^Синхронизация")).first.click()
    screen.text("Ожидают отправки: 0", timeout=90_000)
    screen.shot("offline-3-synced")

    second = app_factory(own_hub.url, "tablet-2")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ru-RU")
    try:
        other = Screen(context.new_page(), "second-device")
        logged_in(other, second.url)
        portrait(other)
        find_by_phone(other, "79165550202", "Офлайнова Вера")
        other.text("Анкета от")
        other.shot("1-form-on-second-device")
        text = open_pdf(other, "signed-offline-second-device")  # fetched from the hub
        assert "Офлайнова" in text
    finally:
        context.close()


def test_a_quick_card_completed_and_signed_later(own_hub, app_factory, screen):
    app = app_factory(own_hub.url)
    logged_in(screen, app.url)
    portrait(screen)
    effort = Effort()
    open_register(screen, effort)
    click(screen, effort, "Быстрая карточка")
    fill(screen, effort, "Фамилия", "Быстрова")
    fill(screen, effort, "Имя", "Нина")
    fill(screen, effort, "Телефон", "+7 916 555-03-03")
    click(screen, effort, "Зарегистрировать")
    screen.text("Быстрова Нина")
    quick = effort.seconds()
    _record("quick_card", effort, quick)
    forms_card(screen)
    screen.text("Анкета не подписана: нет согласия на обработку персональных данных")
    screen.text("Не заполнено:")
    screen.shot("1-quick-card-profile")
    screen.page.get_by_role("button", name=re.compile(r"^Клиенты")).first.click()
    search(screen, "0303")
    screen.text("анкета не подписана")  # the list says so too (activation)
    screen.shot("1-quick-card-in-list")
    screen.text("Быстрова Нина").click()
    forms_card(screen)

    later = Effort()
    click(screen, later, "Подписать анкету")
    screen.text("Анкета клиента: Быстрова Нина")
    hand_over_and_sign(screen, later, "2", email="nina@example.ru")
    take_back(screen, later)
    forms_card(screen)
    screen.text("Анкета от")
    screen.shot("3-signed-later")
    text = open_pdf(screen, "signed-later")
    assert "Быстрова" in text
