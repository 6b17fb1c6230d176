"""What the canvas draws is what the page says: the app font is there before the first frame, and the
banner and the profile header read back by OCR letter for letter (docs/rendering.md).
"""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from PIL import Image, ImageDraw, ImageFont

from sync.hub import demo
from tests.conftest import ROOT
from tests.e2e import ocr
from tests.e2e.conftest import Screen

needs_tesseract = pytest.mark.skipif(
    not ocr.available(), reason="Tesseract is not installed (Debian: apt-get install tesseract-ocr tesseract-ocr-rus)"
)

# Records when Flutter drew its first frame, to set against the font's resource timing.
FIRST_FRAME = """
window.__firstFrame = null;
window.addEventListener('flutter-first-frame', () => { window.__firstFrame = performance.now(); }, {once: true});
"""


def open_app(screen: Screen, url: str) -> list[str]:
    """Open the app with the first-frame probe; returns the list the failed requests are collected in."""
    failed: list[str] = []
    screen.page.add_init_script(FIRST_FRAME)
    screen.page.on("requestfailed", lambda r: failed.append(r.url))
    screen.page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    screen.open(url)
    return failed


def log_in(screen: Screen) -> None:
    screen.log_in("demo", "vitrine-demo")
    screen.set_pin()
    screen.text("Синхронизировано:")


def assert_reads_back(screen: Screen, step: str, text: str) -> None:
    """The element whose semantics label is `text` reads back from the screenshot letter for letter."""
    node = screen.page.get_by_text(text, exact=True).first
    node.wait_for(state="attached")
    box = node.bounding_box()
    assert box is not None, f"no box for {text!r}"
    shot = screen.shot(step)
    seen = ocr.read(shot, box)
    missing = ocr.missing_words(text, seen)
    assert not missing, (
        f"{step}: the page says {text!r}, the screenshot reads {seen!r}; lost: "
        + ", ".join(map(str, missing))
        + f" (see {shot})"
    )


@pytest.fixture(scope="module")
def client_with_s(demo_hub) -> dict:
    """A client of the demo consultant's store with a capital "С" in the name, found by a unique surname."""
    conn = sqlite3.connect(demo_hub.db_path)
    store = demo.stores(1)[0]["id"]
    rows = [json.loads(r[0]) for r in conn.execute("SELECT data FROM clients WHERE store_id = ?", [store])]
    conn.close()
    surnames = [c["last_name"] for c in rows]
    for c in sorted(rows, key=lambda c: (not c["last_name"].startswith("С"), c["last_name"])):
        if "С" in c["last_name"] + c["first_name"] and surnames.count(c["last_name"]) == 1:
            return c
    raise AssertionError("no demo client with a capital С")


def test_app_font_is_loaded_before_the_first_frame(demo_hub, app_factory, screen):
    """The cause of the dropped letters: text drawn in the fallback font, then the app font swapped in."""
    app = app_factory(demo_hub.url)
    failed = open_app(screen, app.url)
    screen.page.get_by_role("textbox", name="Логин").wait_for(state="attached", timeout=30_000)
    timing = screen.page.evaluate("""() => ({
        firstFrame: window.__firstFrame,
        fonts: performance.getEntriesByType('resource').filter(e => /DejaVuSans(-Bold)?\\.ttf$/.test(e.name))
            .map(e => ({name: e.name, end: e.responseEnd})),
    })""")
    assert timing["firstFrame"] is not None, "Flutter reported no first frame"
    names = sorted(f["name"].rsplit("/", 1)[1] for f in timing["fonts"])
    assert names == ["DejaVuSans-Bold.ttf", "DejaVuSans.ttf"], f"the app font's faces were not both fetched: {names}"
    late = [f for f in timing["fonts"] if f["end"] > timing["firstFrame"]]
    assert not late, f"fonts arrived after the first frame ({timing['firstFrame']:.0f} ms): {late}"
    # Every glyph the app draws is in its own font: no fallback font (Noto, from a CDN or not) is asked for.
    fonts_failed = [u for u in failed if "font" in u.lower() or "noto" in u.lower()]
    assert not fonts_failed, f"font requests failed: {fonts_failed}"
    screen.shot("login-first-frame")


@needs_tesseract
def test_banner_and_profile_header_read_back_letter_for_letter(demo_hub, app_factory, screen, client_with_s):
    app = app_factory(demo_hub.url)
    open_app(screen, app.url)
    log_in(screen)
    banner = screen.page.get_by_text(re.compile(r"Синхронизировано: \d")).first.inner_text()
    assert_reads_back(screen, "1-banner", banner.strip())

    name = f"{client_with_s['last_name']} {client_with_s['first_name']}"
    box = screen.page.get_by_role("textbox", name="Поиск: телефон, фамилия, карта, email")
    box.click()
    box.fill(client_with_s["last_name"])
    screen.text(name).click()
    screen.text("Баланс баллов")
    full = " ".join(
        filter(None, [client_with_s["last_name"], client_with_s["first_name"], client_with_s.get("middle_name")])
    )
    assert_reads_back(screen, "2-profile-header", full)


@needs_tesseract
@pytest.mark.parametrize("drawn", ["инхронизировано: 01.12.2026", "Єргеева Светлана"])
def test_the_check_catches_a_dropped_or_overdrawn_capital(tmp_path, drawn):
    """The OCR comparison itself: text drawn with the damage seen in issue 12 is caught, the intact text passes."""
    font = ImageFont.truetype(str(ROOT / "assets" / "fonts" / "DejaVuSans.ttf"), 16)
    meant = {"инхронизировано: 01.12.2026": "Синхронизировано: 01.12.2026", "Єргеева Светлана": "Сергеева Светлана"}[
        drawn
    ]
    for text, ok in [(meant, True), (drawn, False)]:
        image = Image.new("RGB", (420, 40), "white")
        ImageDraw.Draw(image).text((10, 10), text, font=font, fill="#1F1B16")
        path = tmp_path / "drawn.png"
        image.save(path)
        seen = ocr.read(path, {"x": 0, "y": 0, "width": 420, "height": 40})
        missing = ocr.missing_words(meant, seen)
        assert (not missing) == ok, f"drew {text!r}, read {seen!r}, missing {missing}"
