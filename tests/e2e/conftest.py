"""Browser tests: the real app served in web mode, driven in Debian's Chromium.

Follows shared/BROWSER-TESTS.md: local assets only (no CDN), every non-loopback request
aborted, Flutter's semantics tree switched on, text waited for as "attached", and a
field clicked before it is filled and then checked to hold the text.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, ROOT, free_port, stop_process, wait_http

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

E2E_DIR = Path(__file__).resolve().parent
PIN = "4817"  # what the tests' consultants choose at their first login on a device


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects, so that `-m "not e2e"` sees the marker
def pytest_collection_modifyitems(items):
    """Mark every test of this folder `e2e` (a `pytestmark` in a conftest does nothing), and
    skip them where Chromium is missing. The hook sees the whole session's items."""
    skip = None
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason="Chromium is not installed (Debian: apt-get install chromium)")
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)
            if skip is not None:
                item.add_marker(skip)


@dataclass
class AppProcess:
    url: str
    data: Path
    proc: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_app(data: Path, hub_url: str, extra: list[str] | None = None) -> AppProcess:
    port = free_port()
    data.mkdir(parents=True, exist_ok=True)
    log_path = data / "app.log"
    # The child gets its own copy of the descriptor: ours closes once it is started.
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app",
                "--web",
                str(port),
                "--hub",
                hub_url,
                "--data",
                str(data),
                "--sync-interval",
                "2",
                "--secrets-file",  # no keyring here: the cache key in a file (tests only)
                # The tablet's own browser is the device: one App, its cache in `data` (a
                # restart finds it). Per-browser sessions: tests/state/test_device_session.py.
                "--single-session",
                *(extra or []),
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "VITRINE_LOGIN": "", "VITRINE_PASSWORD": ""},
        )
    app = AppProcess(f"http://127.0.0.1:{port}", data, proc, log_path)
    wait_http(app.url + "/")
    return app


def stop_app(app: AppProcess) -> None:
    stop_process(app.proc)


@pytest.fixture
def app_factory(tmp_path) -> Iterator:
    started: list[AppProcess] = []

    def make(hub_url: str, name: str = "device", extra: list[str] | None = None) -> AppProcess:
        app = start_app(tmp_path / name, hub_url, extra)
        started.append(app)
        return app

    yield make
    for app in started:
        stop_app(app)


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the e2e package. Not session-wide: sync Playwright keeps an event
    loop running in this thread until it stops, which async tests after it cannot share."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


# The navigation's first destination is in the rail (top left) on a wide window, in the
# bottom bar on a narrow one.
SETTLED_JS = """
(wide) => {
  const b = [...document.querySelectorAll('flt-semantics[role="button"]')]
    .find(e => /^(Клиенты|Clients)/.test((e.getAttribute('aria-label') || e.innerText || '').trim()));
  if (!b) return false;
  const r = b.getBoundingClientRect();
  return wide ? r.left < 130 && r.bottom < innerHeight - 100 : r.top > innerHeight - 100;
}
"""


class Screen:
    """A page of the app, with the recipe's steadying steps built in."""

    def __init__(self, page, name: str):
        self.page = page
        self.name = name
        self.shots = ARTIFACTS / "screenshots"
        self.shots.mkdir(parents=True, exist_ok=True)

    def open(self, url: str) -> Screen:
        self.page.route("**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url else r.abort())
        self.page.goto(url)
        holder = self.page.locator("flt-semantics-placeholder")
        holder.wait_for(state="attached", timeout=60_000)
        holder.dispatch_event("click")
        return self

    def text(self, text: str, timeout: float = 30_000, exact: bool = False):
        loc = self.page.get_by_text(text, exact=exact).first
        loc.wait_for(state="attached", timeout=timeout)
        return loc

    def fill(self, label: str, value: str, exact: bool = False) -> None:
        from playwright.sync_api import expect

        box = self.page.get_by_role("textbox", name=label, exact=exact)
        for _ in range(2):  # a re-render from the previous field's change may clear text typed meanwhile
            box.click()
            box.fill(value)
            try:
                expect(box).to_have_value(value, timeout=2000)
                return
            except AssertionError:
                continue
        box.fill(value)
        expect(box).to_have_value(value)

    def click(self, name: str, role: str = "button") -> None:
        self.page.get_by_role(role, name=name).first.click()

    def go(self, label: str, on_more: Callable[[], None] | None = None) -> None:
        """A section by its navigation button; on a narrow screen maybe under "Ещё" (then
        `on_more` runs with the sheet open)."""
        button = self.page.get_by_role("button", name=re.compile(rf"^{re.escape(label)}(\s|$)"))
        if not button.count():
            self.page.get_by_role("button", name=re.compile(r"^Ещё(\s|$)")).first.click()
            button.first.wait_for(state="attached", timeout=30_000)
            if on_more is not None:
                on_more()
        button.first.click()

    def set_pin(self, pin: str = PIN) -> None:
        """The first login on a device asks for a PIN, typed twice, before the book shows.
        Sent with Enter in the last field. On a loaded machine the field's last change can
        still reach the app after its Enter (the app then says the PINs differ, as it would to
        a person): typed again, at most three times."""
        self.text("Задайте PIN-код", timeout=60_000)  # argon2 on the hub: slow when loaded
        for _ in range(3):
            self.fill("PIN-код", pin, exact=True)
            self.fill("PIN-код ещё раз", pin)
            self.page.get_by_role("textbox", name="PIN-код ещё раз").press("Enter")
            if self._settled(self.page.get_by_text("Задайте PIN-код"), "PIN-коды не совпадают|Введите PIN"):
                return
        raise AssertionError("the PIN was refused three times")

    def log_in(self, login: str, password: str) -> None:
        """The login form, sent with Enter in the password field; typed again if the app got
        an empty field (see set_pin), at most three times. Ends at the PIN prompt."""
        from playwright.sync_api import expect

        box = self.page.get_by_role("textbox", name="Пароль")
        for _ in range(3):
            expect(box).to_be_enabled(timeout=90_000)  # a previous try still with the hub (argon2)
            self.fill("Логин", login)
            self.fill("Пароль", password)
            box.press("Enter")
            pin = self.page.get_by_text("Задайте PIN-код")
            refused = self.page.get_by_text("Введите логин и пароль.")
            pin.or_(refused).first.wait_for(state="attached", timeout=60_000)
            if pin.count():
                return
        raise AssertionError("the login form was refused three times")

    def _settled(self, gone, refusal: str, timeout_ms: int = 60_000) -> bool:
        """True once `gone` has left the screen; False when a refusal matching `refusal` shows."""
        for _ in range(timeout_ms // 250):
            if not gone.count():
                return True
            if self.page.get_by_text(re.compile(refusal)).count():
                return False
            self.page.wait_for_timeout(250)
        raise AssertionError(f"neither done nor refused ({refusal})")

    def unlock(self, pin: str = PIN) -> None:
        """The lock screen (after idle time or a restart): the PIN, sent with Enter (see set_pin)."""
        self.text("Приложение заблокировано")
        self.fill("PIN-код", pin, exact=True)
        self.page.get_by_role("textbox", name="PIN-код", exact=True).press("Enter")

    def resize(self, width: int, height: int) -> None:
        """A new window size, then the app's layout for it: the shell swaps the rail and the
        bottom bar (app.ui.responsive) after the size has reached Python and come back, and
        a click on a destination in between is lost with the navigation it landed on."""
        from app.ui.responsive import WIDE_MIN

        self.page.set_viewport_size({"width": width, "height": height})
        self.page.wait_for_function(SETTLED_JS, arg=width >= WIDE_MIN, timeout=30_000)

    def shot(self, step: str) -> Path:
        # Semantics update before the canvas paints: give Flutter a few frames first.
        self.page.wait_for_timeout(700)
        path = self.shots / f"{self.name}-{step}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.failed_call = report.failed
    return report


@pytest.fixture
def screen(browser, request) -> Iterator:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ru-RU")
    page = context.new_page()
    s = Screen(page, request.node.name)
    yield s
    if getattr(request.node, "failed_call", False):
        s.shot("FAILED")  # what the page showed when the test gave up
    context.close()
