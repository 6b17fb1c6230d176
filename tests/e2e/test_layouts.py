"""The main screens at four sizes: phone, tablet upright, tablet on its side, desktop.

At each size: a screenshot of every main screen (tests/artifacts/screenshots/layout-*), and
a check that nothing overflows. The Flet web client is a release build of Flutter, which
neither paints overflow stripes nor logs "A RenderFlex overflowed" (neither text is in its
main.dart.js), so overflow is found where it shows in a release build: in the geometry of
the semantics tree. Every text and button must lie within the window's width (a Row too wide
for a phone pushes its last children past the right edge, where they are cut off), every
button must be at least 48 dp tall (a finger's target) and the document must not scroll
sideways. On wide screens the client list and the open profile sit side by side.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator

import pytest

from sync.hub import demo
from tests.e2e.conftest import PIN, Screen, start_app, stop_app

SIZES = {
    "phone": (390, 844),
    "tablet-portrait": (800, 1280),
    "tablet-landscape": (1280, 800),
    "desktop": (1440, 900),
}
WIDE = {"tablet-landscape", "desktop"}
SEARCH = "Поиск: телефон, фамилия, карта, email"
TOUCH = 48

# Every semantics node with a name: where it is, what it is. Flutter's semantics nodes are
# absolutely placed elements; their boxes are the controls' boxes on the canvas.
NODES_JS = """
() => {
  const scroller = (e) => {
    for (let p = e.parentElement; p; p = p.parentElement) {
      const st = getComputedStyle(p);
      if (['scroll', 'auto'].includes(st.overflowY) || ['scroll', 'auto'].includes(st.overflowX)) return p;
    }
    return null;
  };
  return [...document.querySelectorAll('flt-semantics')].map(e => {
    const r = e.getBoundingClientRect();
    const name = (e.getAttribute('aria-label') || e.innerText || '').trim();
    // A node at the edge of the list it scrolls in is cut by that edge, as it should be.
    const s = scroller(e), v = s && s.getBoundingClientRect();
    const edge = !!v && (r.top <= v.top + 1 || r.bottom >= v.bottom - 1);
    return {name: name.slice(0, 80), role: e.getAttribute('role') || '', x: r.x, y: r.y, w: r.width, h: r.height, edge};
  }).filter(n => n.name && n.w > 0 && n.h > 0);
}
"""


@pytest.fixture(scope="module")
def client(demo_hub) -> dict:
    """A client of the demo consultant's store with a unique surname (found by it)."""
    conn = sqlite3.connect(demo_hub.db_path)
    store = demo.stores(1)[0]["id"]
    rows = [json.loads(r[0]) for r in conn.execute("SELECT data FROM clients WHERE store_id = ?", [store])]
    conn.close()
    names = [r["last_name"] for r in rows]
    return next(r for r in rows if names.count(r["last_name"]) == 1 and len(r["last_name"]) >= 7)


@pytest.fixture(scope="module")
def shared_app(demo_hub, tmp_path_factory) -> Iterator:
    """One app for the four sizes (a browser of each size opens the same device, logged in
    once); the idle lock far away, so the sizes' screens are not interrupted."""
    app = start_app(tmp_path_factory.mktemp("layout") / "device", demo_hub.url, ["--lock-minutes", "60"])
    yield app
    stop_app(app)


@pytest.fixture
def sized(browser, request) -> Iterator:
    def make(size: str) -> Screen:
        width, height = SIZES[size]
        context = browser.new_context(viewport={"width": width, "height": height}, locale="ru-RU")
        made.append(context)
        return Screen(context.new_page(), f"layout-{size}")

    made: list = []
    yield make
    for context in made:
        if getattr(request.node, "failed_call", False):
            Screen(context.pages[0], request.node.name).shot("FAILED")
        context.close()


def enter(screen: Screen, url: str) -> None:
    """Open the app: the first browser logs the device in; later ones find it logged in, or
    locked (the last browser closed: the app was hidden)."""
    screen.open(url)
    page = screen.page
    login = page.get_by_role("textbox", name="Логин")
    locked = page.get_by_text("Приложение заблокировано")
    shell = page.get_by_text("Синхронизировано:")
    for _ in range(120):  # whichever comes first
        if login.count() or locked.count() or shell.count():
            break
        page.wait_for_timeout(500)
    if login.count():
        screen.log_in("demo", "vitrine-demo")
        screen.set_pin(PIN)
    elif locked.count():
        screen.unlock(PIN)
    screen.text("Синхронизировано:", timeout=60_000)


def go(screen: Screen, label: str) -> None:
    """A section by its navigation button; under "Ещё" the open sheet must fit too."""
    screen.go(label, on_more=lambda: check_fits(screen, f"more-{label}"))


def nodes(screen: Screen) -> list[dict]:
    return screen.page.evaluate(NODES_JS)


# A button's label, or a one-line text, measured in the smallest face the app uses (12 px): a
# node narrower than that is cut off (Flutter clips a node's box where its content is clipped).
CUT_JS = """
(nodes) => {
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = "12px 'DejaVu Sans', sans-serif";
  const button = n => n.role === 'button' && n.h >= 47.5 && n.h <= 64;
  const line = n => n.role === '' && n.h <= 24 && !n.edge;  // a text of one line, wholly in view
  return nodes.filter(n => !n.name.includes('\\n') && (button(n) || line(n)))
    .map(n => ({...n, needs: ctx.measureText(n.name).width}))
    .filter(n => n.needs > n.w + 1);
}
"""


def error_boxes(path) -> int:
    """Rows crossed by a run of 40+ pixels of the grey a release build of Flutter paints where a
    widget failed to lay out (RenderErrorBox: 0xF0C0C0C0 over the page), or of the yellow of a
    debug build's overflow stripes. Text's anti-aliased edges never make such runs."""
    from PIL import Image

    img = Image.open(path).convert("RGB")
    width, height = img.size
    data = img.tobytes()
    rows = 0
    for y in range(0, height, 2):
        run = 0
        for i in range(3 * y * width, 3 * (y + 1) * width, 3):
            r, g, b = data[i], data[i + 1], data[i + 2]
            grey = 186 <= r <= 206 and abs(r - g) <= 4 and abs(g - b) <= 4
            stripe = r > 200 and g > 200 and b < 60
            run = run + 1 if grey or stripe else 0
            if run >= 40:
                rows += 1
                break
    return rows


def check_fits(screen: Screen, step: str) -> None:
    """Nothing past the window's sides or cut off, no sideways scroll, no failed layout,
    buttons big enough for a finger."""
    page = screen.page
    shot = screen.shot(step)
    width = page.evaluate("window.innerWidth")
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll_width <= width, f"{step}: the page scrolls sideways ({scroll_width} > {width})"
    found = nodes(screen)
    assert found, f"{step}: no semantics nodes (the semantics tree is off?)"
    outside = [n for n in found if n["x"] < -1 or n["x"] + n["w"] > width + 1]
    assert not outside, f"{step}: past the window's sides (width {width}): {outside[:5]}"
    cut = page.evaluate(CUT_JS, found)
    assert not cut, f"{step}: cut off (narrower than their text): {cut[:5]}"
    small = [n for n in found if n["role"] == "button" and n["h"] < TOUCH - 0.5 and not n["edge"]]
    assert not small, f"{step}: buttons under {TOUCH} dp tall: {small[:5]}"
    assert error_boxes(shot) < 10, f"{step}: a failed layout's grey box or overflow stripes in {shot.name}"


def box_of(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None
    return box


@pytest.mark.parametrize("size", list(SIZES))
def test_main_screens_fit(size, shared_app, sized, client):
    width, height = SIZES[size]
    screen = sized(size)
    page = screen.page
    enter(screen, shared_app.url)

    go(screen, "Клиенты")
    search = page.get_by_role("textbox", name=SEARCH)
    search.wait_for(state="attached", timeout=30_000)
    check_fits(screen, "1-clients")

    name = f"{client['last_name']} {client['first_name']}"
    screen.fill(SEARCH, client["last_name"])
    screen.text(name).click()
    screen.text("Баланс баллов")
    check_fits(screen, "2-profile")
    header = page.get_by_role("button", name="К списку")
    if size in WIDE:
        # Side by side: the list's search field on the left, the profile's header on the right,
        # both within the window at once.
        s, h = box_of(search), box_of(header)
        assert s["x"] + s["width"] <= h["x"], f"list {s} not left of profile {h}"
        for b in (s, h):
            assert b["x"] >= 0 and b["x"] + b["width"] <= width and 0 <= b["y"] < height
    else:
        assert search.count() == 0, "a narrow screen shows the profile alone"
        header.click()
        search.wait_for(state="attached", timeout=30_000)

    go(screen, "Скан чека")
    screen.text("Фото чека")
    check_fits(screen, "3-scan")

    go(screen, "Регистрация")
    screen.text("Регистрация клиента")
    check_fits(screen, "4-register")

    go(screen, "Дневник")
    screen.text("Поиск по дневникам")
    check_fits(screen, "5-diary")

    go(screen, "Синхронизация")
    screen.text("Подробнее")
    check_fits(screen, "6-sync")


def test_desktop_shortcuts_and_scanner_field(shared_app, sized, client):
    """Ctrl+F finds, Ctrl+N registers, F2 scans; the scanner field takes a handheld scanner's
    next code at once, also after a code has been entered."""
    from playwright.sync_api import expect

    screen = sized("desktop")
    page = screen.page
    enter(screen, shared_app.url)
    go(screen, "Дневник")
    screen.text("Поиск по дневникам")

    page.keyboard.press("Control+f")  # from another section: the list, its search field focused
    search = page.get_by_role("textbox", name=SEARCH)
    search.wait_for(state="attached", timeout=30_000)
    page.wait_for_timeout(500)
    page.keyboard.press("Control+a")  # the device's last search may still be there
    page.keyboard.type(client["last_name"])
    expect(search).to_have_value(client["last_name"], timeout=10_000)
    screen.text(f"{client['last_name']} {client['first_name']}")
    screen.shot("7-ctrl-f")

    # Beside an open profile, with the focus in one of its fields: Ctrl+F takes it back to the list.
    screen.text(f"{client['last_name']} {client['first_name']}").click()
    screen.text("Баланс баллов")
    basket = page.get_by_role("textbox", name="Сумма корзины")
    basket.click()
    page.keyboard.type("5")
    expect(basket).to_have_value("5", timeout=10_000)
    page.keyboard.press("Control+f")
    page.wait_for_timeout(500)
    page.keyboard.press("Control+a")
    page.keyboard.type(client["first_name"])
    expect(search).to_have_value(client["first_name"], timeout=10_000)
    expect(basket).to_have_value("5")

    page.keyboard.press("Control+n")
    screen.text("Регистрация клиента")
    screen.shot("8-ctrl-n")

    page.keyboard.press("F2")
    screen.text("Фото чека")
    field = page.get_by_role("textbox", name=re.compile(r"^Код чека или карты"))
    page.wait_for_timeout(500)
    page.keyboard.type("0000")  # a handheld scanner types into whatever has the focus
    expect(field).to_have_value("0000", timeout=10_000)
    expect(field).to_be_focused()
    page.keyboard.press("Enter")  # Flutter takes the focus from a field on Enter; the app gives it back
    page.wait_for_timeout(500)
    expect(field).to_be_focused(timeout=30_000)
    page.keyboard.press("Control+a")  # the field has the focus again: the next code replaces this one
    page.keyboard.type("1111")
    expect(field).to_have_value("1111", timeout=10_000)
    screen.shot("9-f2-scanner")

    page.keyboard.press("F3")  # a function key does the same as Ctrl+F
    search.wait_for(state="attached", timeout=30_000)
