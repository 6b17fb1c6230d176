"""ASGI factory for multi-process serving: `uvicorn --factory sync.hub.asgi:app`.

Each worker process opens its own pool on the database named by VITRINE_HUB_DB; the API
keeps no state in memory, so workers (or hosts) behind a balancer are interchangeable.
"""

import os

from fastapi import FastAPI

from sync.hub import sessions
from sync.hub.api import create_app
from sync.hub.storage import HubDB


def app() -> FastAPI:
    interval = float(os.environ.get("VITRINE_EXPIRY_INTERVAL", "3600")) or None
    docs = os.environ.get("VITRINE_HUB_DOCS", "on").lower() not in ("off", "0", "false", "no")
    return create_app(
        HubDB(os.environ["VITRINE_HUB_DB"]),
        expiry_interval=interval,
        freeze_gc=True,
        docs=docs,
        lifetimes=sessions.Lifetimes.from_env(),
    )
