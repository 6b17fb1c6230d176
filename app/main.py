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

from app.services.secrets import NoSecretStore, SecretStore, open_store
from app.state.app import App
from app.state.context import Config
from app.ui import strings, theme
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
    ap.add_argument("--login", default=os.environ.get("VITRINE_LOGIN"), help="log in at start (demo)")
    ap.add_argument(
        "--sync-interval",
        type=float,
        default=10.0,
        help="seconds between background syncs (a pull at the head of the feed is cheap)",
    )
    return ap.parse_args(argv)


def make_main(args: argparse.Namespace, shared: dict[str, App] | None = None, secrets: SecretStore | None = None):
    """Flet's `main`: every page (window or browser tab) renders the one `App`, made on first use."""
    shared = {} if shared is None else shared
    lock = asyncio.Lock()
    password = os.environ.get("VITRINE_PASSWORD")

    async def the_app() -> App:
        async with lock:
            if "app" not in shared:
                # Off the loop: opening reads the key from the secret store and may encrypt an old cache.
                app = await asyncio.to_thread(App, config(args), secrets)
                await app.start()
                if app.ui.route == "/login" and args.login and password:
                    app.session.login, app.session.password = args.login, password
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
        page.render(Root, app, app.ui)

    return main


def config(args: argparse.Namespace) -> Config:
    return Config(args.hub, Path(args.data), args.sync_interval, hub_ca=args.hub_ca)


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
    shared: dict[str, App] = {}
    try:
        if web:
            await ft.run_async(
                make_main(args, shared, secrets),
                view=ft.AppView.WEB_BROWSER,
                host=args.host,
                port=port,
                no_cdn=True,
                assets_dir=str(ASSETS),
            )
        else:
            await ft.run_async(make_main(args, shared, secrets), assets_dir=str(ASSETS))
    finally:
        if "app" in shared:
            await shared["app"].close()


if __name__ == "__main__":
    cli()
