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
import secrets
import shutil
import sys
from pathlib import Path

import flet as ft

from app.cache import outbox
from app.services import photos
from app.services.platform import DocumentSaver, Kind, PlatformServices, kind_of
from app.services.platform.documents import BrowserDownload, FolderSaver, ShareSaver
from app.services.platform.links import UrlLauncherOpener
from app.services.platform.secrets import secret_store_for
from app.services.secrets import MemoryStore, NoSecretStore, SecretStore, open_store
from app.state.app import App
from app.state.context import Config
from app.ui import responsive, shortcuts, strings, theme
from app.ui.activity import observe_activity
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
        "--hub",
        default=os.environ.get("VITRINE_HUB", "http://127.0.0.1:8700"),
        help="central loyalty API URL: https://, or http:// on loopback only",
    )
    ap.add_argument(
        "--hub-ca",
        default=os.environ.get("VITRINE_HUB_CA"),
        type=Path,
        help="PEM file of the CA that signed the hub's certificate (a brand's own CA; or VITRINE_HUB_CA)",
    )
    ap.add_argument(
        "--data",
        default=os.environ.get("VITRINE_DATA", str(Path.home() / ".vitrine")),
        help="folder for the device cache and secrets",
    )
    # The password of --login comes from VITRINE_PASSWORD only: a command line is readable
    # by every user of the machine (ps, /proc) and stays in shell histories.
    ap.add_argument(
        "--secrets-file",
        action="store_true",
        default=os.environ.get("VITRINE_SECRETS_FILE") == "1",
        help="where no OS keyring exists, keep the secrets (cache key, token) in a file in the data folder: "
        "for tests and demos only, a copied folder reveals the cache",
    )
    ap.add_argument(
        "--single-session",
        action="store_true",
        help="web mode: every browser shares one login and cache (a kiosk whose only browser is the "
        "tablet's own, on loopback); by default each browser session logs in for itself",
    )
    ap.add_argument("--login", default=os.environ.get("VITRINE_LOGIN"), help="log in at start (demo)")
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


class Apps:
    """The Apps this process serves: the desktop's one, or one per browser session."""

    def __init__(self, args: argparse.Namespace, secrets: SecretStore | None = None):
        self.args = args
        self.secrets = secrets
        self.live: dict[str, App] = {}
        self._lock = asyncio.Lock()

    async def _started(self, config: Config, secrets: SecretStore | None) -> App:
        # Off the loop: opening reads the key from the secret store and may encrypt an old cache.
        app = await asyncio.to_thread(App, config, secrets)
        await app.start()
        args, password = self.args, os.environ.get("VITRINE_PASSWORD")
        if app.ui.route == "/login" and args.login and password:
            app.session.login, app.session.password = args.login, password
            await app.session.log_in()
        return app

    async def desktop(self) -> App:
        """The window's App, made on first use (a window reopened renders the same one; with
        --single-session, every browser's)."""
        async with self._lock:
            if "desktop" not in self.live:
                self.live["desktop"] = await self._started(config(self.args), self.secrets)
            return self.live["desktop"]

    async def browser(self) -> tuple[str, App]:
        """A new browser session's App: a folder and a login of its own, its secrets (tokens,
        the cache key, the PIN's hash) in memory."""
        key = f"web-{new_id()}"
        app = await self._started(config(self.args, Path(self.args.data) / "web" / key), MemoryStore())
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
        kind = kind_of(page.platform, page.web)
        if apps.secrets is None and kind is not Kind.WEB:
            # The packaged app (`packaged`): its store is picked here, where the page (and with
            # it Flet's SecureStorage on a phone) exists; desktop: the keyring, as `cli` does.
            try:
                apps.secrets = secret_store_for(kind, Path(args.data) / "secrets", allow_file=args.secrets_file)
            except NoSecretStore as e:
                page.add(ft.Text(f"Vitrine cannot start: {e}", selectable=True))
                return
        if page.web and not args.single_session:
            key, app = await apps.browser()

            async def ended(_e) -> None:  # Flet's session expired (the tab closed long enough ago)
                await apps.end(key)

            page.on_close = ended
        else:
            app = await apps.desktop()
        app.ctx.platform = platform_services(kind, Path(args.data))
        lock = app.lock

        def lifecycle(e: ft.AppLifecycleStateChangeEvent) -> None:
            if e.state in (ft.AppLifecycleState.HIDE, ft.AppLifecycleState.PAUSE):
                lock.app_hidden()
            elif e.state in (ft.AppLifecycleState.SHOW, ft.AppLifecycleState.RESUME):
                lock.app_shown()

        viewport = responsive.watch(page)  # this page's size class: navigation and arrangement
        shortcuts.attach(page, app, viewport)  # also subscribes keys, so they reach observe_activity
        observe_activity(page, lock.touch)
        page.on_app_lifecycle_state_change = lifecycle
        page.render(Root, app, app.ui, viewport)

    return main


def platform_services(kind: Kind, data: Path) -> PlatformServices:
    """The page's platform services (app.services.platform), made while the page is being
    built: Flet registers each service with the page it is made in."""
    documents: DocumentSaver
    if kind is Kind.MOBILE:
        documents = ShareSaver()
    elif kind is Kind.WEB:
        documents = BrowserDownload()
    else:
        documents = FolderSaver(data / "exports")
    return PlatformServices(kind, documents, UrlLauncherOpener(web=kind is Kind.WEB))


def config(args: argparse.Namespace, data: Path | None = None) -> Config:
    return Config(
        args.hub,
        data or Path(args.data),
        args.sync_interval,
        hub_ca=args.hub_ca,
        lock_after=args.lock_minutes * 60,
        upload_dir=uploads_dir(args),
    )


def uploads_dir(args: argparse.Namespace) -> Path:
    """Web mode: a browser sends a picked photo here (Flet's signed upload URL), not through the
    page's websocket, which a large file would stall; the diary reads and deletes it at once."""
    return Path(args.data) / "uploads"


def enable_uploads(args: argparse.Namespace) -> None:
    # Flet signs upload URLs with this key: random per process (nothing to keep), and it
    # refuses an upload larger than the diary takes before it is written.
    os.environ.setdefault("FLET_SECRET_KEY", secrets.token_urlsafe(32))
    os.environ.setdefault("FLET_MAX_UPLOAD_SIZE", str(photos.MAX_FILE_BYTES))
    uploads_dir(args).mkdir(parents=True, exist_ok=True)


def cli(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    _, refused = config(args).hub_transport()
    if refused is not None:  # said before anything starts, in both languages
        sys.exit(f"{strings.t('ru', refused)}\n\n{strings.t('en', refused)}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        secrets = open_store(Path(args.data) / "secrets", allow_file=args.secrets_file)
    except NoSecretStore as e:
        sys.exit(f"Vitrine cannot start: {e}")
    web = args.web is not None or (sys.platform.startswith("linux") and not os.environ.get("DISPLAY"))
    port = args.web or 8550
    if web:
        print(f"Vitrine is served at http://{args.host}:{port}/", flush=True)
    asyncio.run(serve(args, web, port, secrets))


async def serve(args: argparse.Namespace, web: bool, port: int, secrets: SecretStore | None = None) -> None:
    """Run Flet on this loop; when it ends (window closed, Ctrl-C) the app shuts down on it too:
    background work cancelled, the sync engine stopped, the cache closed."""
    apps = Apps(args, secrets)
    try:
        if web:
            enable_uploads(args)
            await ft.run_async(
                make_main(args, apps),
                view=ft.AppView.WEB_BROWSER,
                host=args.host,
                port=port,
                no_cdn=True,
                assets_dir=str(ASSETS),
                upload_dir=str(uploads_dir(args)),
            )
        else:
            await ft.run_async(make_main(args, apps), assets_dir=str(ASSETS))
    finally:
        await apps.close_all()


def packaged() -> None:
    """The entry of a `flet build` package (./main.py): no command line. The data folder is
    the one the platform gives the app (FLET_APP_STORAGE_DATA), the hub from VITRINE_HUB;
    the secret store is picked per page (`make_main`): SecureStorage on a phone."""
    args = parse_args([])
    storage = os.environ.get("FLET_APP_STORAGE_DATA")
    if storage:
        args.data = storage
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    ft.run(make_main(args, Apps(args)), assets_dir=str(ASSETS))


if __name__ == "__main__":
    cli()
