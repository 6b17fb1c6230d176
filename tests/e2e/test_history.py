"""A readable change history and the list's match count, in a real browser.

The consultant searches (the list says how many match), opens a client, changes her shoe
size 40 → 38.5 in the editor and saves: the history reads "Обувь: 40 → 38,5", first as
waiting to send, then as the hub recorded it, with the consultant's name.
"""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from playwright.sync_api import expect

from sync.hub import demo
from tests.e2e.conftest import Screen
from tests.e2e.test_lookup_profile import logged_in, search


@pytest.fixture(scope="module")
def shoe_40(demo_hub) -> dict:
    """A client of the demo consultant's store with shoe size 40 and a surname no one else there has."""
    conn = sqlite3.connect(demo_hub.db_path)
    store = demo.stores(1)[0]["id"]
    rows = [json.loads(r[0]) for r in conn.execute("SELECT data FROM clients WHERE store_id = ?", [store])]
    me = conn.execute("SELECT name FROM accounts WHERE login = ?", [demo.DEMO_LOGIN]).fetchone()[0]
    conn.close()
    surnames = [c["last_name"] for c in rows]
    for c in sorted(rows, key=lambda c: c["id"]):
        if (
            (c.get("sizes") or {}).get("shoe") == "40"
            and surnames.count(c["last_name"]) == 1
            and len(c["last_name"]) >= 7
        ):
            return {**c, "_consultant": me, "_store_size": len(rows)}
    raise AssertionError("no demo client with shoe size 40 and a unique surname")


def test_shoe_size_edit_reads_as_one_line_in_the_history(demo_hub, app_factory, screen: Screen, shoe_40):
    app = app_factory(demo_hub.url)
    logged_in(screen, app.url)
    page = screen.page

    # Not searching: the size of the book. Searching: how many of it match.
    book = screen.text("Клиентов в книге:").text_content() or ""
    total = re.sub(r"\D", "", book)
    assert int(total) >= shoe_40["_store_size"]
    search(screen, shoe_40["last_name"])
    name = f"{shoe_40['last_name']} {shoe_40['first_name']}"
    screen.text(name)
    found = page.get_by_text(re.compile(r"^Найдено: \d+ из "))
    expect(found).to_have_count(1)
    shown = found.text_content() or ""
    assert re.sub(r"\D", "", shown.split("из")[1]) == total, shown
    assert int(re.sub(r"\D", "", shown.split("из")[0])) >= 1
    screen.shot("1-match-count")

    screen.text(name).click()
    screen.text("Баланс баллов")
    screen.click("Редактировать")
    box = page.get_by_role("textbox", name="Обувь")
    box.click()  # Flutter fills the field's DOM input once it has focus
    expect(box).to_have_value("40")
    screen.fill("Обувь", "38.5")
    screen.shot("2-editor")
    screen.click("Сохранить")

    # The change shows at once, and stays once the hub has it, now signed by the consultant.
    screen.text("История изменений")
    screen.text("Обувь: 40 → 38,5")
    screen.text("Ожидают отправки: 0")
    signed = page.get_by_text(re.compile(r"^\d\d\.\d\d\.\d{4}.* · " + re.escape(shoe_40["_consultant"]) + "$"))
    signed.first.wait_for(state="attached", timeout=30_000)
    expect(page.get_by_text(re.compile("· ожидает отправки$"))).to_have_count(0)
    # The profile's own sizes card writes the size as the history does.
    screen.text("38,5", exact=True)
    history = page.get_by_text("Обувь: 40 → 38,5", exact=True)
    expect(history).to_have_count(1)
    assert page.get_by_text(re.compile(r"sizes|\{'|shoe")).count() == 0  # no field names, no Python reprs
    # Scroll the left column to the history card for the screenshot.
    page.mouse.move(300, 500)
    page.mouse.wheel(0, 4000)
    screen.shot("3-history")
