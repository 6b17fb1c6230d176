"""Authorisation: every operation of the hub's OpenAPI document × every role × own store /
other store of the brand / a store of another brand, and every mutation kind against its
own store, another's and another brand's.

The operations come from the document itself (create_app(...).openapi()), so an endpoint
added without an entry in ALLOWED and CHECKS fails here. Stores of the demo seed (Петровка,
own; Невский, other; Кутузовский of the second brand, Maison Nord) on a real hub
(TestClient, SQLite and PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from sync.hub import auth, demo, mutations
from sync.hub.api import create_app
from sync.hub.storage import HubDB, sql
from sync.models import DEVICE_REVOKED, MAX_RECEIPT_TOTAL, MAX_REDEEM_POINTS, MUTATION_KINDS, Mutation, new_id, utcnow
from tests.hub.conftest import headers, login

PROBLEM = "application/problem+json"
OWN, OTHER = demo.stores(1)[0]["id"], demo.stores(1)[1]["id"]
BRAND = demo.other_brand_stores(1)[0]["id"]  # a store of another brand
ROLES = ("consultant", "manager", "till", "admin", "anonymous")
SCOPES = ("own", "other", "brand")
STORE = {"own": OWN, "other": OTHER, "brand": BRAND}
NORD = demo.OTHER_BRAND_PREFIX
# (login, password) of each role in the own store, in the other one and in the other brand's;
# the seed's admin is one account of its brand (its row names the brand's first store).
ACCOUNTS = {
    ("consultant", "own"): ("demo", demo.DEMO_PASSWORD),
    ("consultant", "other"): ("consultant04", "vitrine"),
    ("manager", "own"): ("manager1", "vitrine"),
    ("manager", "other"): ("manager2", "vitrine"),
    ("till", "own"): ("till1", "vitrine"),
    ("till", "other"): ("till2", "vitrine"),
    ("admin", "own"): ("admin", "vitrine"),
    ("admin", "other"): ("admin", "vitrine"),
    ("consultant", "brand"): (f"{NORD}consultant1", "vitrine"),
    ("manager", "brand"): (f"{NORD}manager", "vitrine"),
    ("till", "brand"): (f"{NORD}till", "vitrine"),
    ("admin", "brand"): (f"{NORD}admin", "vitrine"),
}
PUBLIC = frozenset(ROLES)
LOGGED_IN = frozenset(ROLES) - {"anonymous"}
STAFF = frozenset({"consultant", "manager"})

# Which roles each operation lets in (this test's own statement of the policy, not read
# from sync.hub.auth): the rest get 403, and anonymous 401 where a login is needed.
ALLOWED: dict[str, frozenset[str]] = {
    "GET /healthz": PUBLIC,
    "POST /v1/auth/login": PUBLIC,
    "POST /v1/auth/refresh": PUBLIC,
    "POST /v1/auth/logout": LOGGED_IN,
    "GET /v1/me": LOGGED_IN,
    "GET /v1/devices": frozenset({"manager", "admin"}),
    "POST /v1/devices/{device_id}/revoke": frozenset({"manager", "admin"}),
    "GET /v1/changes": STAFF,
    "GET /v1/changes.sqlite": STAFF,
    "POST /v1/mutations": STAFF,
    "PUT /v1/blobs/{sha256}": STAFF,
    "GET /v1/blobs/{sha256}": STAFF,
    "POST /v1/pos/receipts": frozenset({"till", "manager"}),
    "GET /v1/reports/identified": frozenset({"manager", "admin"}),
    "GET /v1/reports/results": frozenset({"consultant", "manager", "admin"}),
    "GET /v1/clients/{client_id}/audit": frozenset({"manager", "admin"}),
    "GET /v1/loyalty/referral-code": STAFF,
    "POST /v1/clients/lookup": STAFF,
    "POST /v1/clients/{client_id}/share": STAFF,
    "GET /v1/duplicates": frozenset({"manager"}),
    "POST /v1/duplicates/{pair_id}/merge": frozenset({"manager"}),
    "POST /v1/duplicates/{pair_id}/dismiss": frozenset({"manager"}),
    "POST /v1/clients/{client_id}/counter-quote": STAFF,
}


def _document_operations() -> list[str]:
    # The database is never opened: building the app and its document reads no table.
    db = HubDB(str(Path(os.devnull)))
    try:
        spec = create_app(db).openapi()
    finally:
        db.dispose()
    return sorted(
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "put", "post", "patch", "delete")
    )


OPERATIONS = _document_operations()


@dataclass
class Ctx:
    api: TestClient
    db: HubDB
    heads: dict[tuple[str, str], dict] = field(default_factory=dict)
    clients: dict[str, list[dict]] = field(default_factory=dict)  # by store

    def h(self, role: str, scope: str = "own") -> dict:
        if role == "anonymous":
            return {"X-Vitrine-Protocol": "1"}
        return headers(self.heads[(role, scope)])

    def device(self, h: dict) -> str:
        """The device id the hub issued to the session whose headers these are."""
        (me,) = [m["_me"] for m in self.heads.values() if m["Authorization"] == h["Authorization"]]
        return me["device_id"]

    def store_of(self, client_id: str) -> str | None:
        with self.db.read() as conn:
            row = sql(conn, "SELECT store_id FROM clients WHERE id = ?", (client_id,)).fetchone()
        return None if row is None else row[0]


@pytest.fixture(scope="module")
def ctx(api, hub_db) -> Ctx:
    c = Ctx(api, hub_db)
    for key, (who, password) in ACCOUNTS.items():
        c.heads[key] = login(api, who, password)
    with hub_db.read() as conn:
        for store in (OWN, OTHER, BRAND):
            rows = sql(
                conn,  # with a phone and a card, for the tills' tests
                "SELECT data FROM clients WHERE store_id = ? AND phone IS NOT NULL AND card_number IS NOT NULL "
                "ORDER BY id LIMIT 20",
                (store,),
            ).fetchall()
            c.clients[store] = [json.loads(r[0]) for r in rows]
    return c


def _home(role: str, scope: str) -> str:
    """The store of the account ACCOUNTS names for (role, scope)."""
    return OWN if scope == "own" or (role == "admin" and scope == "other") else STORE[scope]


def test_the_seed_gives_each_role_its_store(ctx):
    brands: dict[bool, set[str]] = {}  # other brand or not -> the brand ids seen
    for (role, scope), me in ctx.heads.items():
        got = ctx.api.get("/v1/me", headers=headers(me)).json()
        assert got["role"] == role
        assert got["store_id"] == _home(role, scope)
        brands[scope == "brand"] = {*brands.get(scope == "brand", set()), got["brand_id"]}
    assert len(brands[False]) == len(brands[True]) == 1 and brands[False] != brands[True]
    assert set(auth.ROLES) == set(ROLES) - {"anonymous"}


def test_every_operation_of_the_document_has_a_policy_and_a_check():
    assert OPERATIONS, "the OpenAPI document lists no operation"
    assert [op for op in OPERATIONS if op not in ALLOWED or op not in CHECKS] == []
    assert sorted(ALLOWED) == OPERATIONS  # and no entry for an operation that is gone


# --- what an allowed call does, per operation ----------------------------------------------


def _fiscal() -> dict:
    rnd = random.Random(new_id())
    return {
        "fn": f"{rnd.randrange(10**15, 10**16)}",
        "i": str(rnd.randrange(1, 10**9)),
        "fp": str(rnd.randrange(1, 10**9)),
    }


def _receipt(store: str, **over) -> dict:
    return {
        "store_id": store,
        **_fiscal(),
        "at": utcnow().isoformat(),
        "total": 1_500_000,
        "type": 1,
        "lines": [{"sku": "A-1", "name": "Платок", "price": 1_500_000}],
        **over,
    }


def _mutation(kind: str, entity_id: str, payload: dict) -> dict:
    return {
        "id": new_id(),
        "kind": kind,
        "entity_id": entity_id,
        "payload": payload,
        "client_time": utcnow().isoformat(),
    }


def _blob(ctx: Ctx, uploader: dict | None) -> tuple[str, bytes]:
    """A fresh blob, uploaded by `uploader` (headers) when given."""
    body = b"signature " + new_id().encode()
    sha = hashlib.sha256(body).hexdigest()
    if uploader is not None:
        r = ctx.api.put(f"/v1/blobs/{sha}", content=body, headers={**uploader, "Content-Type": "text/html"})
        assert r.status_code == 200 and r.json()["created"] is True, r.text
    return sha, body


def _feed_client_ids(changes: list[dict]) -> set[str]:
    return {c["client_id"] for c in changes if c["client_id"]}


def _only_own_store(ctx: Ctx, role: str, client_ids: set[str]) -> None:
    own = ctx.heads[(role, "own")]["_me"]["store_id"]
    with ctx.db.read() as conn:  # clients of other stores shared into this one (check_share) are served here
        lent = {r[0] for r in sql(conn, "SELECT client_id FROM client_shares WHERE store_id = ?", (own,))}
    stores = {ctx.store_of(cid) for cid in client_ids - lent}
    assert stores <= {ctx.heads[(role, "own")]["_me"]["store_id"], None}, stores


def check_healthz(ctx, role, scope, h):
    r = ctx.api.get("/healthz", headers=h)
    assert r.status_code == 200 and r.json()["ok"] is True


def check_login(ctx, role, scope, h):
    if role == "anonymous":
        r = ctx.api.post("/v1/auth/login", json={"login": "nobody", "password": "nope"})
        assert r.status_code == 401
        return
    who, password = ACCOUNTS[(role, scope)]
    r = ctx.api.post("/v1/auth/login", json={"login": who, "password": password})
    assert r.status_code == 200
    assert r.json()["store_id"] == _home(role, scope)


def check_refresh(ctx, role, scope, h):
    if role == "anonymous":
        r = ctx.api.post("/v1/auth/refresh", json={"refresh_token": "not-a-token"})
        assert r.status_code == 401 and r.headers["content-type"].startswith(PROBLEM)
        return
    fresh = login(ctx.api, *ACCOUNTS[(role, scope)])  # its own session: the shared ones stay as they are
    r = ctx.api.post("/v1/auth/refresh", json={"refresh_token": fresh["_me"]["refresh_token"]})
    assert r.status_code == 200
    me = ctx.api.get("/v1/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert me.status_code == 200 and me.json()["role"] == role


def check_logout(ctx, role, scope, h):
    fresh = headers(login(ctx.api, *ACCOUNTS[(role, scope)]))
    assert ctx.api.post("/v1/auth/logout", headers=fresh).status_code == 204
    assert ctx.api.get("/v1/me", headers=fresh).status_code == 401


def _consultant_device(ctx: Ctx, scope: str) -> dict:
    """A fresh session (and device) of `scope`'s consultant, its headers with `_me`."""
    return login(ctx.api, *ACCOUNTS[("consultant", scope)])


def check_devices(ctx, role, scope, h):
    theirs = _consultant_device(ctx, scope)
    r = ctx.api.get("/v1/devices", headers=h)
    assert r.status_code == 200
    stores = {d["store_id"] for d in r.json()}
    ids = {d["id"] for d in r.json()}
    if role == "admin":  # its brand's stores, never another brand's
        assert {OWN, OTHER} <= stores and BRAND not in stores
        assert (theirs["_me"]["device_id"] in ids) == (scope != "brand")
    else:
        assert stores == {OWN}
        assert (theirs["_me"]["device_id"] in ids) == (scope == "own")


def check_revoke(ctx, role, scope, h):
    theirs = _consultant_device(ctx, scope)
    device = theirs["_me"]["device_id"]
    r = ctx.api.post(f"/v1/devices/{device}/revoke", headers=h)
    after = ctx.api.get("/v1/me", headers=headers(theirs))
    if scope == "own" or (role == "admin" and scope == "other"):
        assert r.status_code == 204
        assert after.status_code == 401 and after.json()["type"] == DEVICE_REVOKED
        return
    unknown = ctx.api.post(f"/v1/devices/{new_id()}/revoke", headers=h)
    assert r.status_code == unknown.status_code == 404  # another store's (or brand's) device: as if unknown
    assert after.status_code == 200


def check_me(ctx, role, scope, h):
    r = ctx.api.get("/v1/me", headers=h)
    assert r.status_code == 200 and (r.json()["role"], r.json()["store_id"]) == (role, OWN)


def _foreign(ctx) -> set[str]:
    """Client ids of the other store and of the other brand's."""
    return {c["id"] for c in ctx.clients[OTHER] + ctx.clients[BRAND]}


def check_changes(ctx, role, scope, h):
    # The feed names no store: every scope asks for it, and gets no other store's client,
    # nor another store's or brand's stores and staff names.
    cursor, seen = 0, []
    while True:
        r = ctx.api.get(f"/v1/changes?cursor={cursor}&limit=5000", headers=h)
        assert r.status_code == 200
        seen += r.json()["changes"]
        cursor = r.json()["next_cursor"]
        if not r.json()["has_more"]:
            break
    ids = _feed_client_ids(seen)
    assert ids and {c["id"] for c in ctx.clients[OWN]} <= ids
    assert not ids & _foreign(ctx)
    _only_own_store(ctx, role, ids)
    assert {c["entity_id"] for c in seen if c["entity"] == "store"} == {OWN}
    staff = {c["data"]["store_id"] for c in seen if c["entity"] == "consultant"}
    assert staff == {OWN}


def check_changes_file(ctx, role, scope, h):
    r = ctx.api.get("/v1/changes.sqlite?cursor=0&limit=50000", headers=h)
    assert r.status_code == 200
    path = Path(tempfile.gettempdir()) / f"authz-{new_id()}.sqlite"
    try:
        path.write_bytes(r.content)
        con = sqlite3.connect(path)
        ids = {row[0] for row in con.execute("SELECT client_id FROM changes WHERE client_id IS NOT NULL")}
        con.close()
    finally:
        path.unlink(missing_ok=True)
    assert ids and not ids & _foreign(ctx)
    _only_own_store(ctx, role, ids)


def check_mutations(ctx, role, scope, h):
    client = ctx.clients[STORE[scope]][0]
    m = _mutation("contact.log", new_id(), {"client_id": client["id"], "channel": "calls", "text": "Звонок"})
    r = ctx.api.post("/v1/mutations", json={"device_id": ctx.device(h), "mutations": [m]}, headers=h)
    assert r.status_code == 200
    (res,) = r.json()["results"]
    if scope == "own":
        assert res["status"] == "applied", res
    else:
        assert (res["status"], res["code"]) == ("rejected", "unknown_client")


def check_put_blob(ctx, role, scope, h):
    # other: the other store holds this content already; this store's upload is still new
    # to it (an answer "already there" would tell what another store holds)
    sha, body = _blob(ctx, ctx.h("consultant", scope) if scope != "own" else None)
    r = ctx.api.put(f"/v1/blobs/{sha}", content=body, headers=h)
    assert r.status_code == 200 and r.json()["created"] is True
    assert ctx.api.get(f"/v1/blobs/{sha}", headers=h).content == body


def check_get_blob(ctx, role, scope, h):
    sha, body = _blob(ctx, ctx.h("consultant", scope))
    r = ctx.api.get(f"/v1/blobs/{sha}", headers=h)
    if scope == "own":
        assert r.status_code == 200 and r.content == body
        assert r.headers["content-type"] == "application/octet-stream"  # not the uploader's text/html
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["content-disposition"] == f'attachment; filename="{sha}"'
        return
    unknown = ctx.api.get(f"/v1/blobs/{'0' * 64}", headers=h)
    assert r.status_code == unknown.status_code == 404
    assert r.json()["title"] == unknown.json()["title"]
    assert r.json()["detail"].replace(sha, "H") == unknown.json()["detail"].replace("0" * 64, "H")


def check_receipts(ctx, role, scope, h):
    r = ctx.api.post("/v1/pos/receipts", json={"receipts": [_receipt(STORE[scope])]}, headers=h)
    if scope == "own":
        assert r.status_code == 200 and r.json()["results"][0]["duplicate"] is False
    else:
        assert r.status_code == 403 and r.headers["content-type"].startswith(PROBLEM)


def check_report(ctx, role, scope, h):
    r = ctx.api.get("/v1/reports/identified", headers=h)
    assert r.status_code == 200
    stores = {row["store_id"] for row in r.json()["stores"]}
    if role == "admin":  # its brand's stores, never another brand's
        assert {OWN, OTHER} <= stores and BRAND not in stores
    else:
        assert stores == {OWN}
    consultants = {row["consultant_id"] for row in r.json()["consultants"]}
    assert {row["store_id"] for row in r.json()["consultants"]} <= stores
    with ctx.db.read() as conn:
        brand = sql(conn, "SELECT brand_id FROM stores WHERE id = ?", (OWN,)).fetchone()[0]
        allowed = auth.brand_stores(conn, brand) if role == "admin" else [OWN]
        marks = ", ".join("?" * len(allowed))
        readable = {row[0] for row in sql(conn, f"SELECT id FROM accounts WHERE store_id IN ({marks})", allowed)}
    assert stores == set(allowed)  # every store in reach listed (a store without receipts with zeros), no other
    assert consultants and consultants <= readable


def check_results(ctx, role, scope, h):
    """A consultant her own row (another's: 403), a manager her store's, an admin her brand's;
    another scope's consultant asked for by name is never in the answer."""
    me = ctx.heads[(role, "own")]["_me"]["consultant_id"]
    theirs = ctx.heads[("consultant", scope)]["_me"]["consultant_id"]
    r = ctx.api.get("/v1/reports/results", headers=h)
    assert r.status_code == 200, r.text
    stores = {row["store_id"] for row in r.json()["consultants"]}
    ids = {row["consultant_id"] for row in r.json()["consultants"]}
    if role == "consultant":
        assert ids == {me}
        asked = ctx.api.get("/v1/reports/results", params={"consultant": theirs}, headers=h)
        assert asked.status_code == (200 if scope == "own" else 403)
        return
    if role == "admin":  # its brand's stores, never another brand's
        assert {OWN, OTHER} <= stores <= {s["id"] for s in demo.stores(1)}
    else:
        assert stores == {OWN}
    asked = ctx.api.get("/v1/reports/results", params={"consultant": theirs}, headers=h).json()["consultants"]
    reach = scope == "own" or (role == "admin" and scope == "other")
    assert [row["consultant_id"] for row in asked] == ([theirs] if reach else [])


def check_client_audit(ctx, role, scope, h):
    client = ctx.clients[STORE[scope]][6]
    r = ctx.api.get(f"/v1/clients/{client['id']}/audit", headers=h)
    if scope == "own" or (role == "admin" and scope == "other"):  # an admin reads its brand's stores
        assert r.status_code == 200, r.text
        rows = r.json()
        assert rows and {row["client_id"] for row in rows} == {client["id"]}
        me = ctx.heads[(role, "own")]["_me"]["consultant_id"]
        assert (rows[-1]["action"], rows[-1]["account_id"]) == ("read", me)
        return
    unknown = ctx.api.get(f"/v1/clients/{new_id()}/audit", headers=h)
    assert r.status_code == unknown.status_code == 404
    assert {**r.json(), "instance": ""} == {**unknown.json(), "instance": ""}  # the instance is each one's path


def check_stylist_code(ctx, role, scope, h):
    """Her own code, always the same, filed as a stylist's under her own store."""
    r = ctx.api.get("/v1/loyalty/referral-code", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["owner_kind"] == "stylist"
    assert ctx.api.get("/v1/loyalty/referral-code", headers=h).json() == r.json()
    me = ctx.heads[(role, "own")]["_me"]
    with ctx.db.read() as conn:
        row = sql(conn, "SELECT owner_id, store_id FROM referral_codes WHERE code = ?", (r.json()["code"],)).fetchone()
    assert tuple(row) == (me["consultant_id"], me["store_id"])


def _fresh_client(ctx: Ctx, scope: str, **fields) -> str:
    """A client registered now in `scope`'s store by its consultant."""
    h = ctx.h("consultant", scope)
    cid = new_id()
    payload = {"last_name": "Дубль", "first_name": "Ольга", "store_id": STORE[scope], **fields}
    (res,) = _push(ctx, h, _mutation("client.register", cid, payload))
    assert res["status"] == "applied", res
    return cid


def _fresh_pair(ctx: Ctx, scope: str) -> tuple[str, str, str]:
    """Two clients of `scope`'s store with one e-mail: (pair id, one, the other)."""
    email = f"dup-{new_id()[-12:]}@example.ru"
    a, b = _fresh_client(ctx, scope, email=email), _fresh_client(ctx, scope, email=email)
    with ctx.db.read() as conn:
        (pid,) = sql(
            conn, "SELECT id FROM duplicate_pairs WHERE client_a = ? AND client_b = ?", sorted((a, b))
        ).fetchone()
    return pid, a, b


def check_lookup(ctx, role, scope, h):
    client = ctx.clients[STORE[scope]][1]
    r = ctx.api.post("/v1/clients/lookup", json={"phone": client["phone"]}, headers=h)
    assert r.status_code == 200, r.text
    found = {m["client_id"]: m for m in r.json()["matches"]}
    if scope == "brand":  # another brand's clients are never found
        assert found == {}
        return
    assert found[client["id"]]["in_my_store"] is (scope == "own")
    assert client["phone"] not in r.text and client["last_name"] not in r.text  # masked


def check_share(ctx, role, scope, h):
    cid = ctx.clients[OWN][2]["id"] if scope == "own" else _fresh_client(ctx, scope)
    r = ctx.api.post(f"/v1/clients/{cid}/share", headers=h)
    if scope == "brand":
        unknown = ctx.api.post(f"/v1/clients/{new_id()}/share", headers=h)
        assert r.status_code == unknown.status_code == 404 and r.json()["detail"] == unknown.json()["detail"]
        return
    assert r.status_code == 200, r.text
    assert (r.json()["client"]["id"], r.json()["shared"]) == (cid, scope == "other")


def check_duplicate_pairs(ctx, role, scope, h):
    pid, _, _ = _fresh_pair(ctx, scope)
    r = ctx.api.get("/v1/duplicates", headers=h)
    assert r.status_code == 200
    assert (pid in {p["id"] for p in r.json()}) is (scope == "own")  # another store's or brand's: not listed


def check_merge(ctx, role, scope, h):
    pid, a, b = _fresh_pair(ctx, scope)
    r = ctx.api.post(f"/v1/duplicates/{pid}/merge", json={"survivor_id": a}, headers=h)
    if scope == "own":
        assert r.status_code == 200 and r.json()["merged_id"] == b, r.text
        return
    unknown = ctx.api.post(f"/v1/duplicates/{new_id()}/merge", json={"survivor_id": a}, headers=h)
    assert r.status_code == unknown.status_code == 404
    assert ctx.store_of(b) == STORE[scope]


def check_dismiss(ctx, role, scope, h):
    pid, _, _ = _fresh_pair(ctx, scope)
    r = ctx.api.post(f"/v1/duplicates/{pid}/dismiss", headers=h)
    assert r.status_code == (204 if scope == "own" else 404)


QUOTE_BODY = {"lines": [{"price": 1_000_000}, {"price": 500_000, "sale": True}]}


def check_counter_quote(ctx, role, scope, h):
    """Her own store's client gets a quote; another store's (or brand's) is unknown."""
    client = ctx.clients[STORE[scope]][7]
    r = ctx.api.post(f"/v1/clients/{client['id']}/counter-quote", json=QUOTE_BODY, headers=h)
    if scope == "own":
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["client_id"] == client["id"] and body["total"] == 1_500_000 and not body["estimate"]
        return
    unknown = ctx.api.post(f"/v1/clients/{new_id()}/counter-quote", json=QUOTE_BODY, headers=h)
    assert r.status_code == unknown.status_code == 404
    assert {**r.json(), "instance": ""} == {**unknown.json(), "instance": ""}


CHECKS: dict[str, Callable] = {
    "GET /healthz": check_healthz,
    "POST /v1/auth/login": check_login,
    "POST /v1/auth/refresh": check_refresh,
    "POST /v1/auth/logout": check_logout,
    "GET /v1/me": check_me,
    "GET /v1/devices": check_devices,
    "POST /v1/devices/{device_id}/revoke": check_revoke,
    "GET /v1/changes": check_changes,
    "GET /v1/changes.sqlite": check_changes_file,
    "POST /v1/mutations": check_mutations,
    "PUT /v1/blobs/{sha256}": check_put_blob,
    "GET /v1/blobs/{sha256}": check_get_blob,
    "POST /v1/pos/receipts": check_receipts,
    "GET /v1/reports/identified": check_report,
    "GET /v1/reports/results": check_results,
    "GET /v1/clients/{client_id}/audit": check_client_audit,
    "GET /v1/loyalty/referral-code": check_stylist_code,
    "POST /v1/clients/lookup": check_lookup,
    "POST /v1/clients/{client_id}/share": check_share,
    "GET /v1/duplicates": check_duplicate_pairs,
    "POST /v1/duplicates/{pair_id}/merge": check_merge,
    "POST /v1/duplicates/{pair_id}/dismiss": check_dismiss,
    "POST /v1/clients/{client_id}/counter-quote": check_counter_quote,
}


def _refused_request(ctx: Ctx, op: str, scope: str, h: dict) -> httpx.Response:
    """The operation as a refused caller would send it (well-formed, so only the role decides)."""
    method, path = op.split(" ", 1)
    store = STORE[scope]
    sha, body = _blob(ctx, ctx.h("consultant", scope))
    client = ctx.clients[store][0]
    bodies: dict[str, dict[str, Any]] = {
        "POST /v1/mutations": {
            "json": {
                "device_id": "authz-refused",
                "mutations": [
                    _mutation("contact.log", new_id(), {"client_id": client["id"], "channel": "calls", "text": "x"})
                ],
            }
        },
        "PUT /v1/blobs/{sha256}": {"content": body},
        "POST /v1/pos/receipts": {"json": {"receipts": [_receipt(store)]}},
        "POST /v1/clients/lookup": {"json": {"phone": client["phone"]}},
        "POST /v1/duplicates/{pair_id}/merge": {"json": {"survivor_id": client["id"]}},
        "POST /v1/clients/{client_id}/counter-quote": {"json": QUOTE_BODY},
    }
    if "{device_id}" in path:  # a throwaway device: a wrongly allowed revoke must not end the shared sessions
        device = _consultant_device(ctx, scope)["_me"]["device_id"]
        path = path.replace("{device_id}", device)
    path = path.replace("{sha256}", sha).replace("{client_id}", client["id"]).replace("{pair_id}", new_id())
    return ctx.api.request(method, path, headers=h, **bodies.get(op, {}))


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", OPERATIONS)
def test_authorisation_matrix(ctx, op, role, scope):
    assert op in ALLOWED and op in CHECKS, f"{op} is in the OpenAPI document but has no authorisation entry"
    h = ctx.h(role, "own")
    if role in ALLOWED[op]:
        CHECKS[op](ctx, role, scope, h)
        return
    r = _refused_request(ctx, op, scope, h)
    assert r.status_code == (401 if role == "anonymous" else 403), r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    if op == "POST /v1/mutations":  # nothing of a refused batch was applied or recorded
        with ctx.db.read() as conn:
            assert sql(conn, "SELECT count(*) FROM mutations WHERE device_id = 'authz-refused'").fetchone()[0] == 0


# --- every mutation kind: own store applied, another store's client answered as unknown ---


def _push(ctx: Ctx, h: dict, *ms: dict) -> list[dict]:
    r = ctx.api.post("/v1/mutations", json={"device_id": ctx.device(h), "mutations": list(ms)}, headers=h)
    assert r.status_code == 200, r.text
    return r.json()["results"]


def _entry(ctx: Ctx, scope: str) -> str:
    """A diary entry of a client of `scope`'s store, added by that store's consultant."""
    h = ctx.h("consultant", scope)
    eid = new_id()
    client = ctx.clients[STORE[scope]][1]
    (res,) = _push(ctx, h, _mutation("diary.add", eid, {"client_id": client["id"], "text": "Любит кэмел"}))
    assert res["status"] == "applied", res
    return eid


def _registered(ctx: Ctx, scope: str) -> str:
    """A new client of `scope`'s store, registered by its consultant."""
    cid = new_id()
    store = STORE[scope]
    m = _mutation("client.register", cid, {"last_name": "Лебедева", "first_name": "Анна", "store_id": store})
    (res,) = _push(ctx, ctx.h("consultant", scope), m)
    assert res["status"] == "applied", res
    return cid


KIND_SENDER = {
    "client.erase": "manager",
    "points.grant": "manager",
    "points.deduct": "manager",
    "client.assign": "manager",
    "list.create": "manager",
}
"""Who sends a kind in the store tests (a consultant, unless only another role may)."""


def _kind_case(ctx: Ctx, kind: str, target: str) -> dict:
    """A `kind` mutation aimed at a client (or entry) of `target`: own, other, brand (another
    brand's store), or unknown."""
    store = STORE.get(target)
    cid = ctx.clients[store][2]["id"] if store else new_id()
    if kind == "client.register":
        return _mutation(kind, new_id(), {"last_name": "Орлова", "first_name": "Вера", "store_id": store or new_id()})
    if kind == "client.update":
        return _mutation(kind, cid, {"fields": {"notes": "Предпочитает утро"}})
    if kind == "diary.add":
        return _mutation(kind, new_id(), {"client_id": cid, "text": "Спросить про размер"})
    if kind in ("diary.revise", "diary.delete"):
        eid = _entry(ctx, target) if store else new_id()
        return _mutation(kind, eid, {"text": "Исправлено"} if kind == "diary.revise" else {})
    if kind == "receipt.link":
        return _mutation(kind, new_id(), {"client_id": cid, **_fiscal(), "s": 1_000_000, "n": 1})
    if kind == "form.sign":
        sha, _ = _blob(ctx, ctx.h("consultant", "own"))
        return _mutation(
            kind,
            new_id(),
            {
                "client_id": cid,
                "form_type": "consent",
                "version": "1",
                "signature_sha256": sha,
                "signed_at": utcnow().isoformat(),
            },
        )
    if kind == "contact.log":
        return _mutation(kind, new_id(), {"client_id": cid, "channel": "sms", "text": "Напомнила о примерке"})
    if kind == "consent.record":
        terms = {"granted": True, "text_version": "marketing-1.0"}
        return _mutation(kind, new_id(), {"client_id": cid, "consents": {"email": terms}})
    if kind == "client.viewed":
        return _mutation(kind, cid, {})
    if kind == "client.erase":  # a client registered for it: the others are every test's
        return _mutation(kind, _registered(ctx, target) if store else cid, {"request_ref": "DSR-1"})
    if kind == "points.grant":
        return _mutation(kind, new_id(), {"client_id": cid, "points": 300, "reason": "Извинение за ожидание"})
    if kind == "points.deduct":
        if store:  # points to take: granted by her own store's manager
            (res,) = _push(ctx, ctx.h("manager", target), _kind_case(ctx, "points.grant", target))
            assert res["status"] == "applied", res
        return _mutation(kind, new_id(), {"client_id": cid, "points": 100, "reason": "Ошибка начисления"})
    own_consultant = ctx.heads[("consultant", "own")]["_me"]["consultant_id"]
    if kind == "task.update":
        return _mutation(kind, cid, {"task_key": f"birthday:{cid}:2027", "client_id": cid, "status": "done"})
    if kind == "client.assign":
        return _mutation(kind, cid, {"client_id": cid, "consultant_id": own_consultant})
    if kind == "list.create":
        lid = new_id()
        payload = {"id": lid, "name": "Gold, Brunello", "client_ids": [cid], "assignees": [own_consultant]}
        return _mutation(kind, lid, payload)
    raise AssertionError(f"no test case for mutation kind {kind}")


@pytest.mark.parametrize("kind", MUTATION_KINDS)
def test_each_mutation_kind_writes_only_to_its_own_stores_clients(ctx, kind):
    """For the own store's consultant (a manager for the kinds only a manager sends); the other
    brand's consultant alike, below."""
    h = ctx.h(KIND_SENDER.get(kind, "consultant"), "own")
    own, other, brand, unknown = (
        _push(ctx, h, _kind_case(ctx, kind, t))[0] for t in ("own", "other", "brand", "unknown")
    )
    assert own["status"] == "applied", own
    expected = {"client.register": "wrong_store", "diary.revise": "unknown_entry", "diary.delete": "unknown_entry"}.get(
        kind, "unknown_client"
    )
    for foreign in (other, brand):
        assert (foreign["status"], foreign["code"]) == ("rejected", expected), foreign
        # another store's (or brand's) id gets word for word what an id that exists nowhere gets
        assert (foreign["code"], foreign["reason"]) == (unknown["code"], unknown["reason"])


@pytest.mark.parametrize("kind", MUTATION_KINDS)
def test_another_brands_consultant_reaches_no_client_of_this_brand(ctx, kind):
    """The boundary from the other side: the second brand's consultant aims at this brand's
    clients (and entries) and is answered as for ids that exist nowhere."""
    h = ctx.h(KIND_SENDER.get(kind, "consultant"), "brand")
    mine = _kind_case(ctx, kind, "own")
    if kind == "form.sign":  # a signature its own store uploaded, so only the client decides
        sha, _ = _blob(ctx, h)
        mine["payload"]["signature_sha256"] = sha
    (res,) = _push(ctx, h, mine)
    (unknown,) = _push(ctx, h, _kind_case(ctx, kind, "unknown"))
    assert res["status"] == "rejected" and (res["code"], res["reason"]) == (unknown["code"], unknown["reason"]), res


def test_another_brands_staff_see_their_brand_only(ctx):
    sha, _ = _blob(ctx, ctx.h("consultant", "own"))
    assert ctx.api.get(f"/v1/blobs/{sha}", headers=ctx.h("consultant", "brand")).status_code == 404
    for role in ("manager", "admin"):
        report = ctx.api.get("/v1/reports/identified", headers=ctx.h(role, "brand")).json()
        assert {row["store_id"] for row in report["stores"]} == {BRAND}
        with ctx.db.read() as conn:
            theirs = {row[0] for row in sql(conn, "SELECT id FROM accounts WHERE store_id = ?", (BRAND,))}
        assert {row["consultant_id"] for row in report["consultants"]} <= theirs
    r = ctx.api.post("/v1/pos/receipts", json={"receipts": [_receipt(OWN)]}, headers=ctx.h("till", "brand"))
    assert r.status_code == 403
    seen = ctx.api.get("/v1/changes?cursor=0&limit=5000", headers=ctx.h("consultant", "brand")).json()["changes"]
    assert {c["data"]["store_id"] for c in seen if c["entity"] == "client"} == {BRAND}


def test_a_registration_is_filed_in_the_accounts_store(ctx):
    cid = new_id()
    (res,) = _push(
        ctx,
        ctx.h("manager", "own"),
        _mutation("client.register", cid, {"last_name": "Белова", "first_name": "Ольга", "store_id": OWN}),
    )
    assert res["status"] == "applied" and ctx.store_of(cid) == OWN
    (res,) = _push(
        ctx,
        ctx.h("consultant", "own"),
        _mutation("client.register", new_id(), {"last_name": "Белова", "first_name": "Ольга", "store_id": OTHER}),
    )
    assert res["code"] == "wrong_store"


@pytest.mark.parametrize("kind", MUTATION_KINDS)
@pytest.mark.parametrize("role", ["till", "admin"])
def test_no_mutation_kind_applies_for_a_till_or_an_admin(ctx, kind, role):
    """The endpoint already refuses them (403); each kind refuses them too, on its own."""
    me = ctx.heads[(role, "own")]["_me"]
    account = auth.Account(me["consultant_id"], me["store_id"], "x", me["consultant_name"], role)
    m = Mutation.model_validate(_kind_case(ctx, kind, "own"))
    res = mutations.apply_one(ctx.db, account, f"authz-{role}", m)
    assert (res.status, res.code) == ("rejected", "forbidden")


def test_a_form_waits_for_a_signature_its_own_store_has_not_uploaded(ctx):
    sha, body = _blob(ctx, ctx.h("consultant", "other"))  # only the other store has this content
    client = ctx.clients[OWN][3]
    m = _mutation(
        "form.sign",
        new_id(),
        {
            "client_id": client["id"],
            "form_type": "consent",
            "version": "1",
            "signature_sha256": sha,
            "signed_at": utcnow().isoformat(),
        },
    )
    h = ctx.h("consultant", "own")
    assert _push(ctx, h, m)[0]["status"] == "waiting"
    assert ctx.api.put(f"/v1/blobs/{sha}", content=body, headers=h).json()["created"] is True
    assert _push(ctx, h, m)[0]["status"] == "applied"


# --- tills: own store, sane bounds, clients of their store only -----------------------------


@pytest.mark.parametrize(
    "over, why",
    [
        ({"total": MAX_RECEIPT_TOTAL + 1}, "total"),
        ({"redeem_points": MAX_REDEEM_POINTS + 1}, "redeem_points"),
        ({"at": (utcnow() + dt.timedelta(days=2)).isoformat()}, "ahead"),
        ({"at": (utcnow() - dt.timedelta(days=4 * 365)).isoformat()}, "older"),
    ],
)
def test_a_till_receipt_out_of_bounds_is_refused_and_nothing_of_its_batch_stored(ctx, over, why):
    good, bad = _receipt(OWN), _receipt(OWN, **over)
    r = ctx.api.post("/v1/pos/receipts", json={"receipts": [good, bad]}, headers=ctx.h("till"))
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
    assert why in json.dumps(r.json())
    with ctx.db.read() as conn:
        assert (
            sql(conn, "SELECT count(*) FROM receipts WHERE fn = ? AND i = ?", (good["fn"], good["i"])).fetchone()[0]
            == 0
        )


def test_a_till_clock_hours_off_still_posts(ctx):
    for hours in (20, -24 * 365 * 2):
        rec = _receipt(OWN, at=(utcnow() + dt.timedelta(hours=hours)).isoformat())
        r = ctx.api.post("/v1/pos/receipts", json={"receipts": [rec]}, headers=ctx.h("till"))
        assert r.status_code == 200, r.text


def test_a_till_names_clients_of_its_own_store_only(ctx):
    h = ctx.h("till")
    mine, theirs = ctx.clients[OWN][4], ctx.clients[OTHER][4]
    got = ctx.api.post(
        "/v1/pos/receipts",
        json={
            "receipts": [
                _receipt(OWN, client_phone=mine["phone"]),
                _receipt(OWN, client_phone=theirs["phone"]),
                _receipt(OWN, client_card=theirs["card_number"]),
            ]
        },
        headers=h,
    ).json()["results"]
    assert [x["client_id"] for x in got] == [mine["id"], None, None]


def test_a_till_redeems_no_more_than_the_clients_balance(ctx):
    client = ctx.clients[OWN][5]
    with ctx.db.read() as conn:
        before = json.loads(sql(conn, "SELECT data FROM clients WHERE id = ?", (client["id"],)).fetchone()[0])[
            "points_balance"
        ]
    rec = _receipt(
        OWN,
        client_phone=client["phone"],
        total=MAX_RECEIPT_TOTAL,
        redeem_points=before + 100_000,
        lines=[{"sku": "A-1", "name": "Пальто", "price": MAX_RECEIPT_TOTAL}],
    )
    res = ctx.api.post("/v1/pos/receipts", json={"receipts": [rec]}, headers=ctx.h("till")).json()["results"][0]
    assert res["client_id"] == client["id"]
    with ctx.db.read() as conn:
        stored = json.loads(sql(conn, "SELECT data FROM receipts WHERE id = ?", (res["receipt_id"],)).fetchone()[0])
        after = json.loads(sql(conn, "SELECT data FROM clients WHERE id = ?", (client["id"],)).fetchone()[0])[
            "points_balance"
        ]
    assert stored["points_spent"] <= before and after >= 0


def test_a_manager_posts_receipts_of_its_own_store_only(ctx):
    h = ctx.h("manager")
    assert ctx.api.post("/v1/pos/receipts", json={"receipts": [_receipt(OWN)]}, headers=h).status_code == 200
    r = ctx.api.post("/v1/pos/receipts", json={"receipts": [_receipt(OWN), _receipt(OTHER)]}, headers=h)
    assert r.status_code == 403 and r.json()["receipts"] == [1]


def test_only_a_manager_erases_a_client(ctx):
    m = _kind_case(ctx, "client.erase", "own")
    (res,) = _push(ctx, ctx.h("consultant", "own"), m)
    assert (res["status"], res["code"]) == ("rejected", "forbidden")
    (res,) = _push(ctx, ctx.h("manager", "own"), m | {"id": new_id()})
    assert res["status"] == "applied", res


@pytest.mark.parametrize("kind", ["client.assign", "list.create"])
def test_clients_and_lists_are_assigned_by_a_manager_only(ctx, kind):
    """Who works with whom is the manager's call: a consultant can neither reassign nor make a list."""
    m = _kind_case(ctx, kind, "own")
    (res,) = _push(ctx, ctx.h("consultant", "own"), m)
    assert (res["status"], res["code"]) == ("rejected", "forbidden")
    (res,) = _push(ctx, ctx.h("manager", "own"), m | {"id": new_id()})
    assert res["status"] == "applied", res


def test_a_manager_assigns_only_to_her_own_stores_staff(ctx):
    m = _kind_case(ctx, "client.assign", "own")
    m["payload"]["consultant_id"] = ctx.heads[("consultant", "other")]["_me"]["consultant_id"]
    (res,) = _push(ctx, ctx.h("manager", "own"), m)
    assert (res["status"], res["code"]) == ("rejected", "unknown_consultant")


@pytest.mark.parametrize("kind", ["points.grant", "points.deduct"])
def test_points_are_granted_and_deducted_by_a_manager_only(ctx, kind):
    """Points are money: a consultant at the counter can neither give nor take them."""
    m = _kind_case(ctx, kind, "own")
    (res,) = _push(ctx, ctx.h("consultant", "own"), m)
    assert (res["status"], res["code"]) == ("rejected", "forbidden")
    (res,) = _push(ctx, ctx.h("manager", "own"), m | {"id": new_id()})
    assert res["status"] == "applied", res


def test_a_consultant_cannot_reassign_a_client_through_a_profile_edit(ctx):
    """client.update cannot do what client.assign leaves to a manager."""
    client = ctx.clients[OWN][3]
    other = ctx.heads[("manager", "own")]["_me"]["consultant_id"]
    m = _mutation("client.update", client["id"], {"fields": {"consultant_id": other}})
    (res,) = _push(ctx, ctx.h("consultant", "own"), m)
    assert (res["status"], res["code"]) == ("rejected", "forbidden")
    same = _mutation("client.update", client["id"], {"fields": {"consultant_id": client.get("consultant_id")}})
    (res,) = _push(ctx, ctx.h("consultant", "own"), same)
    assert res["status"] == "applied", res  # her current consultant, unchanged: no reassignment
    (res,) = _push(ctx, ctx.h("manager", "own"), m | {"id": new_id()})
    assert res["status"] == "applied", res
