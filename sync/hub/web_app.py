"""Serving a web UI from the hub's own port: `serve --web-app MODULE:FACTORY` mounts it under `--web-path`.

The hub knows nothing of the app (the protocol never imports it): the factory is named on the
command line, as uvicorn names an app, and called with the hub's own URL and a data folder.
It returns an object with `asgi` (mounted under the path) and `lifespan()` (an async context
run inside the hub's own lifespan, since Starlette runs no lifespan of a mounted app). The
Vitrine app's is `app.web:hub_mount`.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse


class WebAppSpecError(ValueError):
    """The MODULE:FACTORY given does not name a callable."""


def load(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise WebAppSpecError(f"--web-app takes MODULE:FACTORY, not {spec!r}")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as e:
        raise WebAppSpecError(f"--web-app {spec}: {e}") from e
    if not callable(factory):
        raise WebAppSpecError(f"--web-app {spec} is not callable")
    return factory


def mount(api: FastAPI, spec: str, *, path: str, hub_url: str, data_dir: str) -> None:
    """Mount the web app `spec` names under `path` of `api`, its lifespan inside the hub's."""
    path = "/" + path.strip("/")
    web = load(spec)(hub_url=hub_url, data_dir=data_dir)

    async def to_folder() -> RedirectResponse:
        return RedirectResponse(path + "/")

    # "/app" itself: the mounted app answers "/app/…" only, and its pages resolve their
    # files against the folder.
    api.add_api_route(path, to_folder, methods=["GET"], include_in_schema=False)
    api.mount(path, web.asgi)
    hub_lifespan = api.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with hub_lifespan(app) as state, web.lifespan():
            yield state

    api.router.lifespan_context = lifespan
