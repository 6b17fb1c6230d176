"""A small hub and a device cache side by side, for the device/hub parity tests.

SQLite only: the rules are dialect-free, and the hub's tests run both databases.
"""

from __future__ import annotations

import pytest

from app.cache.store import Cache
from sync.hub.auth import Account
from sync.hub.seed import seed
from sync.hub.storage import HubDB
from sync.models import Mutation, new_id, utcnow
from tests.sync.helpers import TEST_KEY as KEY  # encrypted, as the app's cache


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    db = HubDB("sqlite:///" + str(tmp_path_factory.mktemp("hub") / "hub.sqlite"))
    db.migrate()
    seed(db, n_clients=12, log=None)
    yield db
    db.dispose()


@pytest.fixture
def cache(tmp_path):
    c = Cache(tmp_path / "cache.sqlite", KEY)
    yield c
    c.close()


def mutation(kind: str, payload: dict, entity_id: str | None = None) -> Mutation:
    return Mutation(id=new_id(), kind=kind, entity_id=entity_id or new_id(), payload=payload, client_time=utcnow())


def consultant(hub: HubDB, client: dict) -> Account:
    return Account(id="rules-test", store_id=client["store_id"], login="rules", name="Rules", role="consultant")
