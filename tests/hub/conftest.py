from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sync.hub.api import create_app
from sync.hub.seed import seed
from sync.hub.storage import HubDB


@pytest.fixture(scope="module")
def hub_db(hub_url):
    """A seeded hub database, once on SQLite and once on PostgreSQL."""
    db = HubDB(hub_url)
    db.migrate()
    seed(db, n_clients=120, log=None)
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def api(hub_db):
    with TestClient(create_app(hub_db), raise_server_exceptions=False) as c:
        yield c


def login(api, who="demo", password="vitrine-demo") -> dict:
    r = api.post("/v1/auth/login", json={"login": who, "password": password})
    assert r.status_code == 200, r.text
    body = r.json()
    return {"Authorization": f"Bearer {body['access_token']}", "X-Vitrine-Protocol": "1", **{"_me": body}}


@pytest.fixture(scope="module")
def demo(api):
    return login(api)


def headers(h: dict) -> dict:
    return {k: v for k, v in h.items() if not k.startswith("_")}
