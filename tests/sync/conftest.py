"""A real hub subprocess on loopback for the sync tests, and devices that talk to it.

The hub database is seeded through the Python API in this process (small: 200 clients),
then served by `python -m sync.hub serve` on a free loopback port, so every request the
engine makes crosses a real socket into a real uvicorn.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import HubProcess, start_hub
from tests.sync.helpers import Device, HubView, login_token

SYNC_CLIENTS = int(os.environ.get("VITRINE_SYNC_CLIENTS", "200"))


class Hub:
    """The running hub, its database for inspection, and login tokens made once each."""

    def __init__(self, proc: HubProcess):
        self.proc = proc
        self.url = proc.url
        self.db_path = proc.db_path
        self.view = HubView(proc.db_path)
        self._tokens: dict[str, str] = {}

    def token(self, login: str) -> str:
        if login not in self._tokens:  # argon2 makes a login cost ~0.1 s: one per account
            self._tokens[login] = login_token(self.url, login)
        return self._tokens[login]

    def stop(self) -> None:
        self.view.close()
        self.proc.stop()


def _start(folder: Path) -> Hub:
    folder.mkdir(parents=True, exist_ok=True)
    return Hub(start_hub(folder, clients=SYNC_CLIENTS))


@pytest.fixture(scope="session")
def hub(tmp_path_factory) -> Iterator[Hub]:
    """One real hub for the sync tests (every test makes its own devices and ids)."""
    h = _start(tmp_path_factory.mktemp("sync-hub"))
    yield h
    h.stop()


@pytest.fixture
def fresh_hub(tmp_path) -> Iterator[Hub]:
    """A hub of its own, for a test that must see a database nobody else touched."""
    h = _start(tmp_path / "hub")
    yield h
    h.stop()


@pytest.fixture
async def devices(tmp_path) -> AsyncIterator[Callable[..., Device]]:
    """Factory of devices on `hub`; all are closed at the end of the test."""
    made: list[Device] = []
    folder = tmp_path / "devices"
    folder.mkdir()

    def make(hub: Hub, login: str = "demo", base_url: str | None = None, **kw) -> Device:
        d = Device(folder, login, hub.token(login), base_url or hub.url, **kw)
        made.append(d)
        return d

    yield make
    for d in made:
        await d.close()
