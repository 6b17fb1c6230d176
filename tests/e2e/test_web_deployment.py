"""The web deployment: the hub serves the app's web UI from its own port (`serve --web-app`).

A static site cannot run this app (README "Build for tablets": Pyodide has no SQLCipher,
keyring or libzbar), so the supported web deployment is the hub mounting the app's web mode
under /app. Here a real hub is started that way; Chromium loads the app from the hub's port,
a consultant logs in, sets her PIN and sees her store's book, and the API beside it still answers.
"""

from __future__ import annotations

import httpx

from sync.hub import demo
from tests.conftest import free_port, seeded_db, spawn_hub, stop_process, wait_http
from tests.e2e.conftest import PIN, Screen


def test_the_hub_serves_the_app_under_app_and_a_consultant_logs_in(tmp_path, screen: Screen):
    db = seeded_db(tmp_path, clients=120)
    port = free_port()
    hub = f"http://127.0.0.1:{port}"
    proc = spawn_hub(db, port, ("--web-app", "app.web:hub_mount", "--web-app-data", str(tmp_path / "web")))
    try:
        wait_http(hub + "/healthz")
        moved = httpx.get(hub + "/app", timeout=10)
        assert moved.status_code == 307 and moved.headers["location"].endswith("/app/")
        index = httpx.get(hub + "/app/", timeout=30)
        assert (
            index.status_code == 200 and '<base href="/app/">' in index.text and "<title>Vitrine</title>" in index.text
        )
        assert "/app/" not in httpx.get(hub + "/openapi.json", timeout=10).text, "the UI is no API endpoint"

        screen.open(hub + "/app/")
        screen.text("Войти", timeout=60_000)
        screen.shot("1-login-from-the-hub")
        screen.log_in("demo", demo.DEMO_PASSWORD)
        screen.set_pin(PIN)
        search = screen.page.get_by_role("textbox", name="Поиск: телефон, фамилия, карта, email")
        search.wait_for(state="attached", timeout=60_000)
        screen.page.get_by_role("button", name="Клиенты").first.wait_for(state="attached", timeout=60_000)
        screen.text("Клиентов в книге", timeout=60_000)  # her store's book, synced from the same port
        screen.shot("2-book-from-the-hub")

        # The browser's session is a device of its own, its cache under --web-app-data/web/.
        caches = list((tmp_path / "web" / "web").glob("web-*/cache.sqlite"))
        assert len(caches) == 1
        assert httpx.get(hub + "/healthz", timeout=10).status_code == 200
    finally:
        stop_process(proc)
