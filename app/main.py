"""Entry point: `python -m app` opens the desktop window, `--web PORT` serves a browser.

One `App` (app.state.app) per device. The desktop window is one device: one App, its cache
file and the platform's secret store. In web mode every browser session is a device of its
own (`Apps.browser`): its own login and hub session, its own cache folder under
DATA/web/, and its tokens held in memory only (app.services.secrets.MemoryStore), so no
browser rides on another's login and nothing of a session is left on disk when it ends
(its queue sent first; a queue that cannot be sent keeps its folder, see `Apps.end`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import sys
from pathlib import Path

import flet as ft

from app.cache import outbox
from app.services.secrets import MemoryStore
from app.state.app import App
from app.state.context import Config
from app.ui import theme
from app.ui.root import Root
from sync.models import new_id

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
    ap.add_argument(
        "--single-session",
        action="store_true",
        help="web mode: every browser shares one login and cache (a kiosk whose only browser is the "
        "tablet's own, on loopback); by default each browser session logs in for itself",
    )
    ap.add_argument("--login", default=os.environ.get("VITRINE_LOGIN"), help="log in at start (demo)")
    ap.add_argument("--password", default=os.environ.get("VITRINE_PASSWORD"))
    ap.add_argument(
        "--sync-interval",
        type=float,
        default=10.0,
        help="seconds between background syncs (a pull at the head of the feed is cheap)",
    )
    return ap.parse_args(argv)


class Apps:
    """The Apps this process serves: the desktop's one, or one per browser session."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.live: dict[str, App] = {}
        self._lock = asyncio.Lock()

    async def _started(self, app: App) -> App:
        await app.start()
        args = self.args
        if app.ui.route == "/login" and args.login and args.password:
            app.session.login, app.session.password = args.login, args.password
            await app.session.log_in()
        return app

    async def desktop(self) -> App:
        """The window's App, made on first use (a window reopened renders the same one; with
        --single-session, every browser's)."""
        async with self._lock:
            if "desktop" not in self.live:
                config = Config(self.args.hub, Path(self.args.data), self.args.sync_interval)
                self.live["desktop"] = await self._started(App(config))
            return self.live["desktop"]

    async def browser(self) -> tuple[str, App]:
        """A new browser session's App: a folder and a login of its own, secrets in memory."""
        key = f"web-{new_id()}"
        config = Config(self.args.hub, Path(self.args.data) / "web" / key, self.args.sync_interval)
        app = await self._started(App(config, secrets=MemoryStore()))
        self.live[key] = app
        return key, app

    async def end(self, key: str) -> bool:
        """A browser session is over: its queue sent and its hub session ended (best effort),
        then its folder deleted, unless changes are still queued (kept, never lost: the
        folder is named in the log). True when the folder went."""
        app = self.live.pop(key, None)
        if app is None:
            return False
        if app.session.current is not None:
            await app.session.log_out()
        counts = await app.cache.read(outbox.counts)
        await app.close()
        folder = app.ctx.config.data_dir
        if counts["pending"] or counts["waiting"]:
            log.warning("browser session ended with %d queued changes; kept in %s", counts["pending"], folder)
            return False
        await asyncio.to_thread(shutil.rmtree, folder, True)
        return True

    async def close_all(self) -> None:
        for key in list(self.live):
            if key == "desktop":
                await self.live.pop(key).close()
            else:
                await self.end(key)


def make_main(args: argparse.Namespace, apps: Apps | None = None):
    """Flet's `main`: a window renders the desktop's App; each browser session gets its own."""
    apps = apps or Apps(args)

    async def main(page: ft.Page) -> None:
        page.title = "Vitrine"
        if not page.web:  # the browser has the fonts from the font manifest before its first frame
            page.fonts = theme.FONTS
        page.theme = theme.theme()
        page.theme_mode = ft.ThemeMode.LIGHT
        page.padding = 0
        if page.web and not args.single_session:
            key, app = await apps.browser()

            async def ended(_e) -> None:  # Flet's session expired (the tab closed long enough ago)
                await apps.end(key)

            page.on_close = ended
        else:
            app = await apps.desktop()
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
    apps = Apps(args)
    try:
        if web:
            await ft.run_async(
                make_main(args, apps),
                view=ft.AppView.WEB_BROWSER,
                host=args.host,
                port=port,
                no_cdn=True,
                assets_dir=str(ASSETS),
            )
        else:
            await ft.run_async(make_main(args, apps), assets_dir=str(ASSETS))
    finally:
        await apps.close_all()


if __name__ == "__main__":
    cli()
