"""Outreach and results in a real browser: a demo client's profile, a template that fills her
name and the day her points expire, a channel she did not consent to refused with its
reason, a send over a consented one (WhatsApp) that opens wa.me with the text and logs the
contact in her history, and the results screen counting it (landscape and portrait)."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from sync.hub import demo
from sync.rules.outreach import day_text
from tests.conftest import personal_data
from tests.e2e.conftest import Screen
from tests.e2e.test_lookup_profile import search

REFUSAL = {
    "sms": ("SMS", "Нет согласия на SMS-рассылку"),
    "email": ("E-mail", "Нет согласия на рассылку по e-mail"),
    "calls": ("Позвонить", "Нет согласия на звонки"),
}


@pytest.fixture(scope="module")
def her(demo_hub) -> dict:
    """A client of the demo store with points expiring, a consent to messengers and none to
    one other channel, a surname of her own (a patronymic when one such has it)."""
    conn = sqlite3.connect(demo_hub.db_path)
    store = demo.stores(1)[0]["id"]
    clients = [json.loads(d) for (d,) in conn.execute("SELECT data FROM clients WHERE store_id = ?", [store])]
    accounts = {i: json.loads(d) for i, d in conn.execute("SELECT entity_id, data FROM feed WHERE entity = 'account'")}
    conn.close()
    surnames: dict[str, int] = {}
    for c in clients:
        surnames[c["last_name"]] = surnames.get(c["last_name"], 0) + 1
    now = dt.datetime.now(dt.UTC)
    found = []
    for c in clients:
        granted = {k: bool(v.get("granted")) for k, v in (c.get("consents") or {}).items()}
        expiring = [x for x in (accounts.get(c["id"]) or {}).get("expiring") or [] if x["at"] > now.isoformat()]
        refused = [p for p in REFUSAL if not granted.get(p)]
        if expiring and granted.get("messengers") and refused and surnames[c["last_name"]] == 1 and c.get("phone"):
            found.append({**c, "soonest": min(expiring, key=lambda x: x["at"]), "refused": refused[0]})
    assert found, "the demo store has a client with expiring points, messengers and one channel refused"
    found.sort(key=lambda c: (c.get("middle_name") is None, c["last_name"]))
    return found[0]


def log_in(screen: Screen, url: str, login: str, password: str) -> None:
    screen.open(url)
    screen.log_in(login, password)
    screen.set_pin()
    screen.text("Синхронизировано:", timeout=60_000)


def test_template_consent_refusal_send_history_and_results(demo_hub, app_factory, screen, browser, her):
    app = app_factory(demo_hub.url)
    opened: list[str] = []

    def capture(route):  # the link the app opened, caught before it leaves the machine
        opened.append(route.request.url)
        route.abort()

    screen.page.context.route(re.compile(r"^https://wa\.me/.*"), capture)
    log_in(screen, app.url, "demo", "vitrine-demo")
    search(screen, her["last_name"])
    screen.text(f"{her['last_name']} {her['first_name']}").click()
    screen.text("Баланс баллов")

    # a template fills her name (with the patronymic, in Russian) and the day her points expire
    screen.click("Написать")
    screen.text("Написать клиентке")
    screen.click("Сгорают баллы", role="checkbox")
    name = f"{her['first_name']} {her['middle_name']}" if her.get("middle_name") else her["first_name"]
    day = day_text(dt.date.fromisoformat(her["soonest"]["at"][:10]), "ru")
    box = screen.page.get_by_role("textbox", name="Текст сообщения")
    box.click()  # Flutter's web build gives the field's text to its DOM node once it is focused
    expect(box).to_have_value(re.compile(rf"^Здравствуйте, {re.escape(name)}! {day} сгорят "), timeout=30_000)
    screen.shot("1-template-filled")

    # a channel she did not consent to: refused with its reason, nothing opened or logged
    label, reason = REFUSAL[her["refused"]]
    screen.click(label, role="checkbox")
    screen.text(reason)
    screen.click("Отправить")
    screen.text(reason)
    screen.shot("2-refused-without-consent")
    assert opened == []

    # WhatsApp, which she agreed to: the link opens with the text, the contact is logged
    screen.click("WhatsApp", role="checkbox")
    screen.page.get_by_text(reason).wait_for(state="detached", timeout=30_000)
    screen.fill("Текст сообщения", f"Здравствуйте, {name}! {day} сгорят баллы. Жду вас в субботу.")
    screen.click("Отправить")
    screen.text("Открыт WhatsApp, контакт записан в историю")
    screen.page.wait_for_function("() => true")  # let the popup's request reach the route
    for _ in range(60):
        if opened:
            break
        screen.page.wait_for_timeout(500)
    assert len(opened) == 1, opened
    parts = urlsplit(opened[0])
    assert parts.path == "/" + her["phone"].lstrip("+")
    assert parse_qs(parts.query)["text"] == [f"Здравствуйте, {name}! {day} сгорят баллы. Жду вас в субботу."]
    screen.text("Жду вас в субботу.")  # in her communications
    screen.text("сообщение ·", exact=False)
    screen.page.get_by_text("ждёт отправки").first.wait_for(state="detached", timeout=60_000)  # synced
    screen.shot("3-sent-and-in-history")
    assert personal_data(app.log()) == []  # the link (her phone) never reaches the app's log

    # the results screen counts it: the hub's figure for her week, shown beside the chart
    screen.go("Результаты")
    screen.text("Что принесла работа")
    screen.text("Контакты по каналам", timeout=60_000)
    token = httpx.post(demo_hub.url + "/v1/auth/login", json={"login": "demo", "password": "vitrine-demo"}).json()
    today = dt.date.today()
    week = {"from": (today - dt.timedelta(days=today.weekday())).isoformat(), "to": today.isoformat()}
    figures = httpx.get(
        demo_hub.url + "/v1/reports/results",
        params=week,
        headers={"Authorization": f"Bearer {token['access_token']}"},
    ).json()["consultants"][0]
    assert figures["contacts_by_channel"]["messengers"] >= 1
    screen.text("Мессенджеры")
    screen.text(str(figures["contacts"]), exact=True)
    screen.shot("4-results-landscape")

    # the store's manager on a tablet in portrait (its own device: Flutter reads the window's
    # size at start): her store per consultant, the demo consultant's contacts among them
    tablet = app_factory(demo_hub.url, name="portrait")
    context = browser.new_context(viewport={"width": 800, "height": 1280}, locale="ru-RU")
    portrait = Screen(context.new_page(), screen.name + "-manager-portrait")
    try:
        log_in(portrait, tablet.url, "manager1", "vitrine")
        portrait.go("Результаты")
        portrait.text("По консультантам", timeout=60_000)
        portrait.text("Магазин")
        portrait.text(token["consultant_name"])  # her row in the table beside the bars
        portrait.text("Мессенджеры")
        portrait.shot("5-results-manager-portrait")
    except Exception:
        portrait.shot("FAILED")  # what the second device showed when the test gave up
        raise
    finally:
        context.close()
