"""The app's web UI as an ASGI app another server mounts: the hub's `serve --web-app app.web:hub_mount`.

A static deployment of this app cannot work (README "Build for tablets"): `flet build web`
and `flet publish` run the Python app in the browser under Pyodide, where the cache's
SQLCipher, the keyring and libzbar do not exist. What a browser gets instead is the
same web mode as `python -m app --web` (every browser session a device of its own: its own
login, cache folder and in-memory secrets), served from the hub's own port under a path, so a
brand runs one server for its tablets' API and its browsers' app.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from app.main import ASSETS, Apps, enable_uploads, make_main, parse_args, uploads_dir
from app.services import photos

log = logging.getLogger("vitrine.app")


@dataclass
class MountedWebApp:
    """What `sync.hub.web_app.mount` expects: an ASGI app and a lifespan to run beside the server's."""

    asgi: Any
    apps: Apps

    @asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        from flet_web.fastapi import app_manager

        # A mounted app's own lifespan is not run by Starlette: Flet's session manager (which
        # ends the sessions of closed tabs) is started and stopped here instead.
        await app_manager.start()
        try:
            yield
        finally:
            try:
                await self.apps.close_all()  # each browser's queue sent, its hub session ended
            except RuntimeError as e:  # a model notifying a page already gone; the server stops anyway
                log.warning("web sessions not all closed at shutdown: %s", type(e).__name__)
            await app_manager.shutdown()


def hub_mount(hub_url: str, data_dir: str) -> MountedWebApp:
    """The web UI talking to the hub at `hub_url`; browsers' caches under `data_dir`/web/."""
    import flet_web.fastapi as flet_fastapi

    args = parse_args(["--hub", hub_url, "--data", data_dir])
    enable_uploads(args)
    apps = Apps(args)
    asgi = flet_fastapi.app(
        make_main(args, apps),
        assets_dir=str(ASSETS),
        app_name="Vitrine",
        app_short_name="Vitrine",
        app_description="Vitrine clienteling",
        no_cdn=True,  # the browser loads nothing from beyond the hub
        upload_dir=str(uploads_dir(args)),
        max_upload_size=photos.MAX_FILE_BYTES,
        secret_key=os.environ["FLET_SECRET_KEY"],
    )
    return MountedWebApp(asgi, apps)
