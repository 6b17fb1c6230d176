"""Entry point: `python -m app` opens the desktop window, `--web PORT` serves a browser.

One `App` (app.state.app) per process: the device has one cache file with one writer,
and every browser tab of a web-served app is the same device.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

import flet as ft

from app.state.app import App
from app.state.context import Config
from app.ui import theme
from app.ui.activity import observe_activity
from app.ui.root import Root

ASSETS = Path(__file__).resolve().parent.parent / "assets"
log = logging.getLogger("vitrine.app")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m app", description="Vitrine clienteling app")
    ap.add_argument(
        "--web",
        nargs="?",
        const=8550,
        type=int,
        metavar="PORT",
        help="serve the app for a browser at http://HOST:PORT (default 8550)",
    )
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument(
        "--hub", default=os.environ.get("VITRINE_HUB", "http://127.0.0.1:8700"), help="central loyalty API URL"
    )
    ap.add_argument(
        "--data",
        default=os.environ.get("VITRINE_DATA", str(Path.home() / ".vitrine")),
        help="folder for the device cache and secrets",
    )
    ap.add_argument("--login", default=os.environ.get("VITRINE_LOGIN"), help="log in at start (demo)")
    ap.add_argument("--password", default=os.environ.get("VITRINE_PASSWORD"))
    ap.add_argument(
        "--sync-interval",
        type=float,
        default=10.0,
        help="seconds between background syncs (a pull at the head of the feed is cheap)",
    )
    ap.add_argument(
        "--lock-minutes",
        type=float,
        default=float(os.environ.get("VITRINE_LOCK_MINUTES", "5")),
        help="minutes without a touch or a key before the PIN is asked (fractions allowed)",
    )
    return ap.parse_args(argv)


def make_main(args: argparse.Namespace, shared: dict[str, App] | None = None):
    """Flet's `main`: every page (window or browser tab) renders the one `App`, made on first use."""
    shared = {} if shared is None else shared
    lock = asyncio.Lock()

    async def the_app() -> App:
        async with lock:
            if "app" not in shared:
                app = App(Config(args.hub, Path(args.data), args.sync_interval, lock_after=args.lock_minutes * 60))
                await app.start()
                if app.ui.route == "/login" and args.login and args.password:
                    app.session.login, app.session.password = args.login, args.password
                    await app.session.log_in()
                shared["app"] = app
            return shared["app"]

    async def main(page: ft.Page) -> None:
        page.title = "Vitrine"
        if not page.web:  # the browser has the fonts from the font manifest before its first frame
            page.fonts = theme.FONTS
        page.theme = theme.theme()
        page.theme_mode = ft.ThemeMode.LIGHT
        page.padding = 0
        app = await the_app()
        lock = app.lock

        def lifecycle(e: ft.AppLifecycleStateChangeEvent) -> None:
            if e.state in (ft.AppLifecycleState.HIDE, ft.AppLifecycleState.PAUSE):
                lock.app_hidden()
            elif e.state in (ft.AppLifecycleState.SHOW, ft.AppLifecycleState.RESUME):
                lock.app_shown()

        page.on_keyboard_event = lambda _: None  # subscribed, so keys reach the session (and observe_activity)
        observe_activity(page, lock.touch)
        page.on_app_lifecycle_state_change = lifecycle
        page.render(Root, app, app.ui)

    return main


def cli(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    web = args.web is not None or (sys.platform.startswith("linux") and not os.environ.get("DISPLAY"))
    port = args.web or 8550
    if web:
        print(f"Vitrine is served at http://{args.host}:{port}/", flush=True)
    asyncio.run(serve(args, web, port))


async def serve(args: argparse.Namespace, web: bool, port: int) -> None:
    """Run Flet on this loop; when it ends (window closed, Ctrl-C) the app shuts down on it too:
    background work cancelled, the sync engine stopped, the cache closed."""
    shared: dict[str, App] = {}
    try:
        if web:
            await ft.run_async(
                make_main(args, shared),
                view=ft.AppView.WEB_BROWSER,
                host=args.host,
                port=port,
                no_cdn=True,
                assets_dir=str(ASSETS),
            )
        else:
            await ft.run_async(make_main(args, shared), assets_dir=str(ASSETS))
    finally:
        if "app" in shared:
            await shared["app"].close()


if __name__ == "__main__":
    cli()
