"""The diary in a real browser: an entry with a tag, a follow-up day and a photo, edited;
seen on a second device; the client found by a word of it; a call logged and shown in the
communications card; an entry written with the hub stopped, synced when it is back."""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3

import pytest
from PIL import Image
from playwright.sync_api import expect

from sync.hub import demo
from tests.e2e.conftest import Screen
from tests.e2e.test_lookup_profile import logged_in, search


@pytest.fixture(scope="module")
def scene(demo_hub, tmp_path_factory) -> dict:
    """A client of the demo store with a surname of her own, a camera photo (with a location
    in its EXIF) and a file that is not an image."""
    conn = sqlite3.connect(demo_hub.db_path)
    store = demo.stores(1)[0]["id"]
    names: dict[str, list[dict]] = {}
    for (data,) in conn.execute("SELECT data FROM clients WHERE store_id = ?", [store]):
        c = json.loads(data)
        names.setdefault(c["last_name"], []).append(c)
    conn.close()
    unique = [v[0] for k, v in sorted(names.items()) if len(v) == 1 and len(k) >= 6]
    folder = tmp_path_factory.mktemp("diary")
    img = Image.new("RGB", (2400, 1600), (190, 160, 120))
    img.paste((60, 40, 30), (0, 0, 1200, 1600))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (55.0, 45.0, 30.0), 3: "E", 4: (37.0, 37.0, 0.0)}
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    photo = folder / "look.jpg"
    photo.write_bytes(out.getvalue())
    not_image = folder / "notes.pdf"
    not_image.write_bytes(b"%PDF-1.7 this is a document, not a photo")
    return {"client": unique[-3], "photo": photo, "not_image": not_image}


def open_client(screen: Screen, client: dict) -> None:
    search(screen, client["last_name"])
    screen.text(f"{client['last_name']} {client['first_name']}").click()
    screen.text("Баланс баллов")


def pick(screen: Screen, path) -> None:
    with screen.page.expect_file_chooser() as chooser:
        screen.click("Фото")
    chooser.value.set_files(str(path))


def test_diary_entry_edit_second_device_search_contact_and_offline(demo_hub, app_factory, screen, browser, scene):
    app = app_factory(demo_hub.url)
    logged_in(screen, app.url)
    client = scene["client"]
    due = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    open_client(screen, client)

    # a quick entry from a template: two taps, then the words
    screen.click("Хотела бы…")
    screen.fill("Запись", "Хотела бы монограмму на портфеле Brunello")
    screen.click("монограмма", role="checkbox")
    screen.fill("Вернуться к ней (ГГГГ-ММ-ДД)", due)
    pick(screen, scene["not_image"])  # refused with a message, nothing typed lost
    screen.text("Это не фотография")
    pick(screen, scene["photo"])
    screen.page.get_by_role("button", name="Открыть фото").first.wait_for(state="attached")
    screen.shot("1-composing-with-photo")
    screen.click("Сохранить запись")
    screen.text("Хотела бы монограмму на портфеле Brunello")
    screen.text("#монограмма")
    screen.text("Вернуться ", exact=False)
    screen.page.get_by_text("ждёт отправки").first.wait_for(state="detached", timeout=60_000)  # synced
    screen.shot("2-entry-synced")

    # edit it: a revision, with its history
    screen.click("Изменить")
    screen.fill("Запись", "Хотела бы монограмму на портфеле Brunello, инициалы А. В.")
    screen.click("Сохранить запись")
    screen.text("инициалы А. В.")
    screen.click("История")
    screen.text("История записи")
    screen.text("изменена")
    screen.text("создана")
    screen.shot("3-edited-with-history")

    # a call, logged from the profile, in the communications card
    screen.click("Звонок")
    screen.fill("О чём говорили", "Предложила примерку в субботу")
    # the form's button is below the fold on 1280×800: scroll the column (a click Playwright
    # scrolls to itself lands where the canvas has not scrolled)
    screen.page.mouse.move(940, 500)
    screen.page.mouse.wheel(0, 600)
    screen.click("Записать контакт")
    screen.text("Предложила примерку в субботу")
    screen.text("звонок ·", exact=False)
    screen.shot("4-call-in-communications")

    # a second device: another app with its own cache, in another browser
    second = app_factory(demo_hub.url, name="second")
    other_context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ru-RU")
    other = Screen(other_context.new_page(), screen.name + "-second")
    try:
        logged_in(other, second.url)
        open_client(other, client)
        other.text("инициалы А. В.", timeout=60_000)
        other.text("#монограмма")
        other.page.get_by_role("button", name="Открыть фото").first.wait_for(state="attached", timeout=60_000)
        other.text("Предложила примерку в субботу")
        other.shot("5-second-device")
        other.page.get_by_role("button", name="Открыть фото").first.click()
        other.page.get_by_role("button", name="Закрыть").first.wait_for(state="attached")
        other.shot("5b-photo-full-size")
        other.click("Закрыть")
        # the diary screen: find her by a word of the entry (a prefix, any case)
        other.click("Дневник")
        other.fill("Слово из дневника: монограмма, Brunello, свадьба", "МОНОГРАМ")
        other.text(f"{client['last_name']} {client['first_name']}")
        other.shot("6-found-by-a-word")
        other.fill("Слово из дневника: монограмма, Brunello, свадьба", "brunello")
        other.text(f"{client['last_name']} {client['first_name']}")
        other.text("Мои ближайшие дела")

        # with the hub stopped, the first device writes; it is sent when the hub is back
        demo_hub.stop()
        try:
            # back to the top of her diary: Flutter's web semantics expose only what is on screen
            screen.page.mouse.move(940, 400)
            screen.page.mouse.wheel(0, -3000)
            screen.page.get_by_text("Дневник").first.wait_for(state="attached")
            if screen.page.get_by_role("button", name="Новая запись").count():  # else the composer is open
                screen.click("Новая запись")
            screen.fill("Запись", "Свадьба дочери четырнадцатого июня")
            screen.click("семейные даты", role="checkbox")
            screen.click("Сохранить запись")
            screen.text("Свадьба дочери четырнадцатого июня")
            screen.text("ждёт отправки")
            screen.shot("7-written-offline")
        finally:
            demo_hub.start()
        screen.page.get_by_text("ждёт отправки").first.wait_for(state="detached", timeout=90_000)
        other.fill("Слово из дневника: монограмма, Brunello, свадьба", "свадьба")
        other.text(f"{client['last_name']} {client['first_name']}", timeout=90_000)
        other.shot("8-offline-entry-found-on-second-device")
    except Exception:
        other.shot("FAILED")
        raise
    finally:
        other_context.close()


def test_a_30_mb_photo_is_refused_with_a_message_and_the_text_kept(demo_hub, app_factory, screen, scene, tmp_path):
    big = tmp_path / "huge.jpg"
    with big.open("wb") as f:  # a JPEG's start, then 30 MB: a camera's RAW-sized export
        f.write(scene["photo"].read_bytes()[:2048])
        f.write(bytes(30 << 20))
    app = app_factory(demo_hub.url)
    logged_in(screen, app.url)
    open_client(screen, scene["client"])
    screen.click("Новая запись")
    screen.fill("Запись", "Примерка пиджака, рукав короче на 1 см")
    pick(screen, big)
    screen.text("Файл слишком большой", timeout=90_000)
    expect(screen.page.get_by_role("textbox", name="Запись")).to_have_value("Примерка пиджака, рукав короче на 1 см")
    screen.shot("1-too-large-refused-text-kept")
