"""Today in a real browser: the demo consultant's day shows a birthday and points about to
expire (the demo seeds both, sync.hub.seed), a task opens the client, done takes it off;
a manager's campaign list assigned to her appears in her Today."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest
from playwright.sync_api import expect

from sync.hub import demo
from sync.rules import today as rules
from tests.e2e.conftest import Screen
from tests.e2e.test_lookup_profile import logged_in, search

DEMO = next(c for c in demo.consultants(1) if c["login"] == demo.DEMO_LOGIN)


@pytest.fixture(scope="module")
def scene(demo_hub) -> dict:
    """The demo consultant's clients with a birthday in the next days and with points expiring
    soon, worked out from the hub's own records with the rules the app applies."""
    day = rules.local_today(dt.datetime.now(dt.UTC))
    s = rules.TaskSettings()
    conn = sqlite3.connect(demo_hub.db_path)
    mine = {}
    for (data,) in conn.execute("SELECT data FROM clients"):
        c = json.loads(data)
        if c.get("consultant_id") == DEMO["id"] and not c.get("merged_into") and not c.get("erased_at"):
            mine[c["id"]] = c
    birthdays = [
        c
        for c in mine.values()
        if c.get("birthday") and rules.next_birthday(dt.date.fromisoformat(c["birthday"]), day, s.days(rules.BIRTHDAY))
    ]
    expiring = []
    for cid, data in conn.execute("SELECT entity_id, data FROM feed WHERE entity = 'account'"):
        if cid in mine and data:
            items = [(x["points"], x["at"]) for x in json.loads(data).get("expiring") or ()]
            if rules.expiring_soon(items, day, s.days(rules.POINTS), s.tz):
                expiring.append(mine[cid])
    conn.close()
    assert birthdays and expiring, "the demo seeds a birthday and expiring points for the demo consultant"
    others = [c for c in expiring if c["id"] != birthdays[0]["id"]] or expiring  # two clients if there are
    return {"birthday": birthdays[0], "expiring": others[0], "birthdays": len(birthdays)}


def _name(c: dict) -> str:
    return f"{c['last_name']} {c['first_name']}"


def manager_logged_in(screen: Screen, app_url: str) -> None:
    screen.open(app_url)
    screen.log_in("manager1", "vitrine")
    screen.set_pin()
    screen.text("Ожидают отправки: 0")
    screen.text("Синхронизировано:")


def open_today(screen: Screen) -> None:
    screen.go("Сегодня")
    screen.text("Дополнить анкету", timeout=60_000)


def test_today_shows_a_birthday_and_expiring_points_opens_the_client_and_done_removes_it(
    demo_hub, app_factory, screen, scene
):
    app = app_factory(demo_hub.url)
    logged_in(screen, app.url)
    open_today(screen)
    birthday, expiring = _name(scene["birthday"]), _name(scene["expiring"])
    screen.text(f"Дни рождения · {scene['birthdays']}")
    screen.text("Сгорают баллы")
    screen.text("День рождения ", exact=False)
    screen.text(" сгорят ", exact=False)
    page = screen.page
    # each of them has her profile task too (the demo's clients have no signed consent), maybe more
    done_b = page.get_by_role("button", name=f"Готово: {birthday}", exact=True)
    done_e = page.get_by_role("button", name=f"Готово: {expiring}", exact=True)
    done_b.first.wait_for(state="attached", timeout=30_000)
    n_b, n_e = done_b.count(), done_e.count()
    assert n_b >= 2 and n_e >= 2
    screen.shot("1-today")

    # a task opens the client
    page.get_by_role("button", name=f"Открыть: {expiring}").first.click()
    screen.text("Баланс баллов")
    screen.text(expiring)
    screen.shot("2-client-opened")

    # done takes the birthday off her Today (her profile task stays)
    open_today(screen)
    done_b.first.click()  # the birthday group comes first: her birthday task
    expect(done_b).to_have_count(n_b - 1, timeout=30_000)
    if scene["birthdays"] == 1:
        page.get_by_text("Дни рождения · ", exact=False).first.wait_for(state="detached", timeout=30_000)
    screen.shot("3-birthday-done")

    # a snooze with a bad day is explained, the text kept; a good one hides the task
    page.get_by_role("button", name=f"Отложить: {expiring}").first.click()
    screen.fill("Отложить до (ГГГГ-ММ-ДД)", "2020-01-01")
    page.get_by_role("button", name="Отложить", exact=True).click()  # not a row's "Отложить: …"
    screen.text("Укажите дату после сегодняшней", exact=False)
    screen.shot("4-snooze-refused")
    later = (rules.local_today(dt.datetime.now(dt.UTC)) + dt.timedelta(days=3)).isoformat()
    screen.fill("Отложить до (ГГГГ-ММ-ДД)", later)
    page.get_by_role("button", name="Отложить", exact=True).click()
    expect(done_e).to_have_count(n_e - 1, timeout=30_000)
    screen.text("Ожидают отправки: 0", timeout=60_000)  # both outcomes reached the hub
    screen.shot("5-snoozed")
    page.set_viewport_size({"width": 800, "height": 1280})  # a tablet held upright
    screen.text("Сгорают баллы")
    screen.shot("6-portrait")


def test_a_managers_list_appears_in_the_consultants_today(demo_hub, app_factory, screen, browser, scene):
    boss_app = app_factory(demo_hub.url, "manager")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ru-RU")
    boss = Screen(context.new_page(), "test_today-manager")
    try:
        manager_logged_in(boss, boss_app.url)
        boss.go("Сегодня")
        boss.click("Списки")
        boss.text("Новый список")
        boss.page.get_by_role("checkbox", name="Platinum").click()
        boss.fill("Любимый бренд", "Brunello Cucinelli")
        boss.click("Подобрать клиентов")
        boss.text("Подходит клиентов:", exact=False)
        boss.fill("Название списка", "Platinum, Brunello — закрытая распродажа")
        boss.fill("Заметка", "Пригласить на 12-е")
        boss.click("Создать список")
        boss.text("Выберите хотя бы одного консультанта.")  # refused, nothing typed lost
        expect(boss.page.get_by_role("textbox", name="Название списка")).to_have_value(
            "Platinum, Brunello — закрытая распродажа"
        )
        boss.shot("1-list-refused")
        boss.page.get_by_role("checkbox", name=DEMO["name"]).click()
        boss.click("Создать список")
        boss.text("Список «Platinum, Brunello — закрытая распродажа» создан")
        boss.text("Ожидают отправки: 0", timeout=60_000)
        boss.shot("2-list-created")
        # a client's profile, where a manager gives the client to a consultant
        boss.click("Клиенты")
        search(boss, _name(scene["expiring"]))
        boss.text(_name(scene["expiring"])).click()
        boss.text("Баланс баллов")
        boss.page.mouse.move(370, 600)
        boss.page.mouse.wheel(0, 900)  # below her loyalty cards, under her contacts
        boss.text("Размеры")  # scrolled (a dropdown's label and value are no text nodes to wait for)
        boss.shot("2b-profile-assign")

        app = app_factory(demo_hub.url)
        logged_in(screen, app.url)
        open_today(screen)
        screen.text("Списки управляющего", timeout=60_000)
        screen.text("Platinum, Brunello — закрытая распродажа", exact=False)
        screen.shot("3-list-in-her-today")
    finally:
        context.close()
