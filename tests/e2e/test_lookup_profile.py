"""Lookup and profile in a real browser: last four digits, a Latin-typed surname, a typo."""

from __future__ import annotations

import json
import sqlite3

import pytest

from sync.hub import demo
from tests.e2e.conftest import Screen

TRANSLIT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ы": "y",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    "ь": "",
    "ъ": "",
}


def latin(word: str) -> str:
    """How a consultant might type the surname on a Latin keyboard (a test oracle, not the app's)."""
    out = "".join(TRANSLIT.get(ch, ch) for ch in word.lower())
    return out[:1].upper() + out[1:]


@pytest.fixture(scope="module")
def target(demo_hub) -> dict:
    """A client of the demo consultant's store whose surname is unique there."""
    conn = sqlite3.connect(demo_hub.db_path)
    store = demo.stores(1)[0]["id"]
    rows = [json.loads(r[0]) for r in conn.execute("SELECT data FROM clients WHERE store_id = ?", [store])]
    accounts = {
        r[0]: json.loads(r[1])
        for r in conn.execute("SELECT entity_id, data FROM feed WHERE entity = 'account' AND store_id = ?", [store])
    }
    receipts = dict(conn.execute("SELECT client_id, count(*) FROM receipts GROUP BY client_id").fetchall())
    conn.close()
    for c in rows:
        c["_account"] = accounts[c["id"]]
        c["_receipts"] = receipts.get(c["id"], 0)
    counts: dict[str, int] = {}
    for c in rows:
        counts[c["last_name"]] = counts.get(c["last_name"], 0) + 1
    suffixes = [c["phone"][-4:] for c in rows]

    # Prefer a client whose profile shows it all: points expiring soon and a next tier.
    def rich(c: dict) -> tuple:
        return (
            bool(c["_account"]["expiring"]),
            bool(c["_account"]["next_tier"]),
            c["_receipts"] > 0,
            c["points_balance"],
        )

    for c in sorted(rows, key=rich, reverse=True):
        if (
            counts[c["last_name"]] == 1
            and len(c["last_name"]) >= 7
            and suffixes.count(c["phone"][-4:]) == 1
            and "ь" not in c["last_name"]
            and "ъ" not in c["last_name"]
        ):
            return c
    raise AssertionError("no suitable demo client")


def logged_in(screen: Screen, app_url: str) -> None:
    screen.open(app_url)
    screen.log_in("demo", "vitrine-demo")
    screen.set_pin()
    screen.text("Ожидают отправки: 0")
    screen.text("Синхронизировано:")


def search(screen: Screen, text: str) -> None:
    box = screen.page.get_by_role("textbox", name="Поиск: телефон, фамилия, карта, email")
    box.click()
    box.fill(text)


def test_find_by_phone_latin_and_typo_then_open_profile(demo_hub, app_factory, screen, target):
    app = app_factory(demo_hub.url)
    logged_in(screen, app.url)
    name = f"{target['last_name']} {target['first_name']}"

    search(screen, target["phone"][-4:])
    screen.text(name)
    screen.text(target["phone"][-2:] + " · Петровка")  # masked phone and store tell namesakes apart
    screen.shot("1-last-four-digits")

    search(screen, latin(target["last_name"]))
    screen.text(name)
    screen.shot("2-latin-surname")

    surname = target["last_name"]
    typo = surname[:3] + surname[4] + surname[3] + surname[5:]  # two letters swapped
    if typo == surname:
        typo = surname[:-1]
    search(screen, typo)
    screen.text(name)
    screen.shot("3-typo")

    screen.text(name).click()
    screen.text("Баланс баллов")
    screen.text(f"{target['points_balance']:,}".replace(",", " "))
    screen.text(target["tier"])
    screen.text("Покупки")
    account = target["_account"]
    if account["expiring"]:
        screen.text("Сгорают")
    if account["next_tier"]:
        screen.text(f"До уровня {account['next_tier']}:")
        screen.page.get_by_role("progressbar").first.wait_for(state="attached")
    # Her purchases and points history are filed under her: the cards are not empty.
    screen.text("История баллов")
    assert screen.page.get_by_text("Покупок пока нет").count() == 0
    screen.shot("4-profile")
    assert account["expiring"] and account["next_tier"], "the demo data should show expiring points and a next tier"
    assert target["_receipts"] > 0, "the demo client should have purchases"
