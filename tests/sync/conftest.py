"""A real hub subprocess on loopback for the sync tests, and devices that talk to it.

The hub database is seeded through the Python API in this process (small: 200 clients),
then served by `python -m sync.hub serve` on a free loopback port, so every request the
engine makes crosses a real socket into a real uvicorn.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, HubProcess, free_port, seeded_db, wait_http, watch_hub_log
from tests.sync.helpers import Device, HubView, login_session

SYNC_CLIENTS = int(os.environ.get("VITRINE_SYNC_CLIENTS", "200"))


class Hub:
    """The running hub, its database for inspection, and till tokens made once a while each."""

    def __init__(self, proc: HubProcess, db: str | None = None):
        self.proc = proc
        self.url = proc.url
        self.db_path = proc.db_path
        self.db = db or str(proc.db_path)  # what it serves: the SQLite file or a postgresql:// URL
        self.view = HubView(self.db)
        self._tokens: dict[str, tuple[float, str]] = {}

    def token(self, login: str) -> str:
        """An access token of `login` (for a till's receipts): argon2 makes a login cost ~0.1 s,
        so one per account, renewed well before the hub's 15 minutes are up."""
        made = self._tokens.get(login)
        if made is None or time.monotonic() - made[0] > 600:
            made = self._tokens[login] = (time.monotonic(), login_session(self.url, login)["access_token"])
        return made[1]

    def session(self, login: str) -> dict:
        """A new session, on a new device the hub issues (a device's mutations must name it)."""
        return login_session(self.url, login)

    def device_args(self, login: str) -> dict:
        """Device(...)'s session arguments for a new session of `login`."""
        s = self.session(login)
        return {"token": s["access_token"], "device_id": s["device_id"], "refresh_token": s["refresh_token"]}

    def stop(self) -> None:
        self.view.close()
        self.proc.stop()


def _start(folder: Path, pg_url: str | None = None, workers: int = 1) -> Hub:
    """Seed through the Python API here, serve from a subprocess. The points-expiry job is
    off (`--expiry-interval 0`): its catch-up run at start-up would republish entities
    behind the tests' backs, and nothing here is about expiry.

    On SQLite by default; on the empty PostgreSQL database `pg_url` when given."""
    folder.mkdir(parents=True, exist_ok=True)
    if pg_url is None:
        path = seeded_db(folder, SYNC_CLIENTS)
        db = str(path)
    else:
        seed_pg(pg_url, SYNC_CLIENTS)
        path, db = folder / "hub.pg", pg_url  # a restart (HubProcess.start) is for SQLite hubs only
    port = free_port()
    with open(watch_hub_log(folder / "hub.log"), "ab") as log:  # the hub writes to its own copy of the descriptor
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sync.hub",
                "serve",
                "--db",
                db,
                "--workers",
                str(workers),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--expiry-interval",
                "0",
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    hub = HubProcess(f"http://127.0.0.1:{port}", path, proc)
    try:
        wait_http(hub.url + "/healthz")
    except BaseException:
        hub.stop()
        raise
    return Hub(hub, db)


def seed_pg(url: str, clients: int) -> None:
    """Seed the empty PostgreSQL database `url`."""
    from sync.hub.seed import seed
    from sync.hub.storage import HubDB

    db = HubDB(url)
    db.migrate()
    seed(db, n_clients=clients, log=None)
    db.dispose()


@pytest.fixture(scope="session")
def hub(tmp_path_factory) -> Iterator[Hub]:
    """One real hub for the sync tests (every test makes its own devices and ids)."""
    h = _start(tmp_path_factory.mktemp("sync-hub"))
    yield h
    h.stop()


@pytest.fixture(scope="session")
def pg_hub(tmp_path_factory, postgres) -> Iterator[Hub]:
    """The same hub on PostgreSQL, two worker processes (for the chaos test: concurrent
    transactions in different processes, which SQLite's single writer never has)."""
    import uuid

    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    h = _start(tmp_path_factory.mktemp("sync-hub-pg"), postgres.url.rsplit("/", 1)[0] + "/" + name, workers=2)
    yield h
    h.stop()


@pytest.fixture
async def devices(tmp_path) -> AsyncIterator[Callable[..., Device]]:
    """Factory of devices on `hub`; all are closed at the end of the test."""
    made: list[Device] = []
    folder = tmp_path / "devices"
    folder.mkdir()

    def make(hub: Hub, login: str = "demo", base_url: str | None = None, **kw) -> Device:
        d = Device(folder, login, base_url=base_url or hub.url, **hub.device_args(login), **kw)
        made.append(d)
        return d

    yield make
    for d in made:
        await d.close()
