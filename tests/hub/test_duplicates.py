"""Duplicates across a brand, on a real hub (TestClient; SQLite and PostgreSQL): the masked
brand-wide lookup, its rate limit and audit, sharing a client into another store of the
brand (feed, mutations, blobs), duplicate pairs flagged at registration, their merge and
dismissal.

Stores of the demo seed: Петровка (OWN, login demo / manager1), Невский (OTHER,
consultant04 / manager2), and a store of the second brand (nord.consultant1).
"""

from __future__ import annotations

import hashlib
import json
import time

import pytest
from fastapi.testclient import TestClient

from sync.hub import demo, throttle
from sync.hub.api import create_app
from sync.hub.storage import sql
from sync.models import new_id, utcnow
from tests.hub.conftest import headers, login

OWN, OTHER = demo.stores(1)[0]["id"], demo.stores(1)[1]["id"]
NORD = demo.OTHER_BRAND_PREFIX


@pytest.fixture(scope="module")
def who(api) -> dict[str, dict]:
    return {
        "own": login(api),
        "other": login(api, "consultant04", "vitrine"),
        "manager_own": login(api, "manager1", "vitrine"),
        "manager_other": login(api, "manager2", "vitrine"),
        "brand": login(api, f"{NORD}consultant1", "vitrine"),
        "brand_manager": login(api, f"{NORD}manager", "vitrine"),
    }


def _push(api, h: dict, *mutations: dict) -> list[dict]:
    r = api.post(
        "/v1/mutations", json={"device_id": h["_me"]["device_id"], "mutations": list(mutations)}, headers=headers(h)
    )
    assert r.status_code == 200, r.text
    return r.json()["results"]


def _m(kind: str, entity_id: str, payload: dict) -> dict:
    return {
        "id": new_id(),
        "kind": kind,
        "entity_id": entity_id,
        "payload": payload,
        "client_time": utcnow().isoformat(),
    }


def _phone() -> str:
    return "+7916" + str(int(hashlib.sha256(new_id().encode()).hexdigest(), 16) % 10**7).zfill(7)


def _register(api, h: dict, store: str, **fields) -> str:
    cid = new_id()
    payload = {"last_name": "Ковалёва", "first_name": "Анна", "store_id": store, **fields}
    (res,) = _push(api, h, _m("client.register", cid, payload))
    assert res["status"] == "applied", res
    return cid


def _pull(api, h: dict, cursor: int = 0) -> tuple[list[dict], int]:
    seen = []
    while True:
        r = api.get(f"/v1/changes?cursor={cursor}&limit=5000", headers=headers(h))
        assert r.status_code == 200
        seen += r.json()["changes"]
        cursor = r.json()["next_cursor"]
        if not r.json()["has_more"]:
            return seen, cursor


def _lookup(api, h: dict, **body) -> list[dict]:
    r = api.post("/v1/clients/lookup", json=body, headers=headers(h))
    assert r.status_code == 200, r.text
    return r.json()["matches"]


def test_a_client_of_another_store_of_the_brand_is_found_masked_by_phone_email_or_name_and_birthday(api, who):
    phone = _phone()
    cid = _register(api, who["own"], OWN, phone=phone, email="anna.k@example.ru", birthday="1990-04-12")
    typed = f"8 ({phone[2:5]}) {phone[5:8]}-{phone[8:10]}-{phone[10:]}"  # as a consultant types it
    (m,) = _lookup(api, who["other"], phone=typed)
    assert m == {
        "client_id": cid,
        "store_id": OWN,
        "store_name": demo.stores(1)[0]["name"],
        "name": "Анна К.",
        "phone": f"+7 *** ***-**-{phone[-2:]}",
        "email": "a***@example.ru",
        "matched_by": ["phone"],
        "in_my_store": False,
    }
    assert [x["client_id"] for x in _lookup(api, who["other"], email="Anna.K@Example.ru")] == [cid]
    by_name = _lookup(api, who["other"], last_name=" ковалева ", first_name="АННА", birthday="1990-04-12")
    assert cid in [x["client_id"] for x in by_name]
    assert _lookup(api, who["own"], phone=phone)[0]["in_my_store"] is True
    # another brand's consultant learns nothing, and no answer holds the full phone or surname
    assert _lookup(api, who["brand"], phone=phone) == []
    r = api.post("/v1/clients/lookup", json={"phone": phone}, headers=headers(who["other"]))
    assert phone not in r.text and "Ковалёва" not in r.text


def test_what_is_no_complete_criterion_is_not_asked(api, who):
    for body in ({}, {"last_name": "Ковалёва", "first_name": "Анна"}, {"phone": "12"}, {"email": "   "}):
        assert _lookup(api, who["other"], **body) == [], body


def test_each_match_shown_is_audited_and_a_miss_names_nobody(api, who, hub_db):
    phone = _phone()
    cid = _register(api, who["own"], OWN, phone=phone)
    _lookup(api, who["other"], phone=phone)
    _lookup(api, who["other"], phone=_phone())  # no one: nothing to log
    with hub_db.read() as conn:
        rows = sql(
            conn,
            "SELECT account_id, store_id, action FROM audit_log WHERE client_id = ? AND kind = 'clients.lookup'",
            (cid,),
        ).fetchall()
    assert [tuple(r) for r in rows] == [(who["other"]["_me"]["consultant_id"], OTHER, "read")]


def test_lookups_are_rate_limited_per_account(hub_db):
    now = [time.time() + 3600]  # past the windows the module's other lookups opened
    app = create_app(hub_db, lookup_limit=throttle.Limit(failures=3, window=60, lock=60), clock=lambda: now[0])
    with TestClient(app, raise_server_exceptions=False) as c:
        mine, theirs = headers(login(c)), headers(login(c, "consultant04", "vitrine"))
        codes = [c.post("/v1/clients/lookup", json={"phone": _phone()}, headers=mine).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = c.post("/v1/clients/lookup", json={"phone": _phone()}, headers=mine)
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert c.post("/v1/clients/lookup", json={"phone": _phone()}, headers=theirs).status_code == 200
        now[0] += 61
        assert c.post("/v1/clients/lookup", json={"phone": _phone()}, headers=mine).status_code == 200


def test_a_shared_client_reaches_the_other_stores_feed_with_her_records_and_may_be_served_there(api, who, hub_db):
    phone = _phone()
    cid = _register(api, who["own"], OWN, phone=phone)
    entry = new_id()
    _push(api, who["own"], _m("diary.add", entry, {"client_id": cid, "text": "Любит кашемир"}))
    body = b"signature " + new_id().encode()
    sha = hashlib.sha256(body).hexdigest()
    assert api.put(f"/v1/blobs/{sha}", content=body, headers=headers(who["own"])).status_code == 200
    form = new_id()
    sign = {"client_id": cid, "form_type": "consent", "version": "1", "signature_sha256": sha}
    (res,) = _push(api, who["own"], _m("form.sign", form, sign | {"signed_at": utcnow().isoformat()}))
    assert res["status"] == "applied", res
    _, cursor = _pull(api, who["other"])
    # not shared yet: the other store can neither see nor serve her
    (res,) = _push(api, who["other"], _m("contact.log", new_id(), {"client_id": cid, "channel": "calls", "text": "x"}))
    assert res["code"] == "unknown_client"
    assert api.get(f"/v1/blobs/{sha}", headers=headers(who["other"])).status_code == 404

    r = api.post(f"/v1/clients/{cid}/share", headers=headers(who["other"]))
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["client"]["id"], out["home_store_id"], out["shared"]) == (cid, OWN, True)
    assert {"diary", "form", "ledger", "account"} <= {e["entity"] for e in out["entities"]}
    assert {e["client_id"] for e in out["entities"]} == {cid}

    changes, cursor = _pull(api, who["other"], cursor)  # a device past her old rows gets them all now
    assert {("client", cid), ("diary", entry), ("form", form)} <= {(c["entity"], c["entity_id"]) for c in changes}
    assert api.get(f"/v1/blobs/{sha}", headers=headers(who["other"])).content == body
    contact = new_id()
    (res,) = _push(api, who["other"], _m("contact.log", contact, {"client_id": cid, "channel": "calls", "text": "x"}))
    assert res["status"] == "applied", res
    for h in (who["own"], who["other"]):  # what one store does for her, both see
        assert ("contact", contact) in {(c["entity"], c["entity_id"]) for c in _pull(api, h, cursor - 50)[0]}
    # the page file carries her too
    r = api.get("/v1/changes.sqlite?cursor=0&limit=50000", headers=headers(who["other"]))
    assert r.status_code == 200 and cid.encode() in r.content
    # an erasure is her home store's to carry out, not a store she is served in
    (res,) = _push(api, who["manager_other"], _m("client.erase", cid, {"request_ref": "DSR-1"}))
    assert (res["status"], res["code"]) == ("rejected", "unknown_client"), res
    # sharing again changes nothing; another brand's consultant cannot
    assert api.post(f"/v1/clients/{cid}/share", headers=headers(who["other"])).json()["shared"] is False
    r = api.post(f"/v1/clients/{cid}/share", headers=headers(who["brand"]))
    unknown = api.post(f"/v1/clients/{new_id()}/share", headers=headers(who["brand"]))
    assert r.status_code == unknown.status_code == 404
    assert r.json()["detail"] == unknown.json()["detail"]
    with hub_db.read() as conn:
        kinds = [r[0] for r in sql(conn, "SELECT kind FROM audit_log WHERE client_id = ? ORDER BY id", (cid,))]
    assert "client.share" in kinds


def _ledger_sum(hub_db, cid: str) -> int:
    with hub_db.read() as conn:
        return sum(json.loads(r[0])["points"] for r in sql(conn, "SELECT data FROM ledger WHERE client_id = ?", (cid,)))


def test_one_phone_registered_in_two_stores_is_a_pair_a_manager_merges_keeping_everything(api, who, hub_db):
    phone = _phone()
    a = _register(api, who["own"], OWN, phone=phone, email="vera@example.ru")
    b_id = new_id()
    (res,) = _push(
        api,
        who["other"],
        _m(
            "client.register",
            b_id,
            {"last_name": "Орлова", "first_name": "Вера", "store_id": OTHER, "phone": phone, "birthday": "1985-01-02"},
        ),
    )
    assert res["status"] == "applied" and res["result"]["duplicates"] == 1, res
    entry = new_id()
    contact = new_id()
    _push(
        api,
        who["other"],
        _m("diary.add", entry, {"client_id": b_id, "text": "Размер 38"}),
        _m("contact.log", contact, {"client_id": b_id, "channel": "sms", "text": "Напомнили"}),
    )
    till = headers(login(api, "till2", "vitrine"))
    receipt = {
        "store_id": OTHER, "fn": "9999000011112222", "i": str(abs(hash(b_id)) % 10**8), "fp": "77",
        "at": utcnow().isoformat(), "total": 5_000_000, "type": 1, "client_phone": phone,
        "lines": [{"sku": "A-1", "name": "Платок", "price": 5_000_000}],
    }  # fmt: skip
    r = api.post("/v1/pos/receipts", json={"receipts": [receipt]}, headers=till)
    assert r.status_code == 200 and r.json()["results"][0]["client_id"] == b_id, r.text
    before = _ledger_sum(hub_db, a) + _ledger_sum(hub_db, b_id)

    # both managers see the pair; another brand's does not; a consultant may not list it
    pairs = api.get("/v1/duplicates", headers=headers(who["manager_own"])).json()
    (pair,) = [p for p in pairs if {c["client_id"] for c in p["clients"]} == {a, b_id}]
    assert pair["reason"] == "phone" and pair["status"] == "open"
    assert {c["store_id"] for c in pair["clients"]} == {OWN, OTHER}
    assert phone not in json.dumps(pairs)
    assert pair["id"] in [p["id"] for p in api.get("/v1/duplicates", headers=headers(who["manager_other"])).json()]
    assert pair["id"] not in [p["id"] for p in api.get("/v1/duplicates", headers=headers(who["brand_manager"])).json()]
    assert api.get("/v1/duplicates", headers=headers(who["own"])).status_code == 403
    bad = api.post(
        f"/v1/duplicates/{pair['id']}/merge", json={"survivor_id": new_id()}, headers=headers(who["manager_own"])
    )
    assert bad.status_code == 422
    other_brand = api.post(
        f"/v1/duplicates/{pair['id']}/merge", json={"survivor_id": a}, headers=headers(who["brand_manager"])
    )
    assert other_brand.status_code == 404

    _, cursor_own = _pull(api, who["own"])
    _, cursor_other = _pull(api, who["other"])
    r = api.post(f"/v1/duplicates/{pair['id']}/merge", json={"survivor_id": a}, headers=headers(who["manager_own"]))
    assert r.status_code == 200, r.text
    assert r.json()["merged_id"] == b_id and r.json()["moved"]["receipt"] == 1 and r.json()["moved"]["diary"] == 1
    with hub_db.read() as conn:
        survivor = json.loads(sql(conn, "SELECT data FROM clients WHERE id = ?", (a,)).fetchone()[0])
        gone = json.loads(sql(conn, "SELECT data FROM clients WHERE id = ?", (b_id,)).fetchone()[0])
        left = {
            t: sql(conn, f"SELECT count(*) FROM {t} WHERE client_id = ?", (b_id,)).fetchone()[0]
            for t in ("receipts", "ledger", "consents")
        }
        records_left = sql(conn, "SELECT count(*) FROM records WHERE owner_id = ?", (b_id,)).fetchone()[0]
    assert gone["merged_into"] == a and "phone" not in gone
    assert left == {"receipts": 0, "ledger": 0, "consents": 0} and records_left == 0
    assert survivor["birthday"] == "1985-01-02"  # her empty field took the other's value
    # her figures come from her ledger, which now holds both: available + pending = its sum
    assert survivor["points_balance"] + survivor["pending_points"] == _ledger_sum(hub_db, a) == before

    # the store that served her (Невский) now serves the survivor; both feeds redirect
    for h, cursor in ((who["own"], cursor_own), (who["other"], cursor_other)):
        by = {(c["entity"], c["entity_id"]): c for c in _pull(api, h, cursor)[0]}
        assert by[("client", a)]["deleted"] is False
        account = by[("account", a)]["data"]  # her loyalty summary as the profile shows it: both ledgers
        assert (account["balance"], account["pending_total"]) == (
            survivor["points_balance"],
            survivor["pending_points"],
        )
        assert by[("diary", entry)]["client_id"] == a and by[("contact", contact)]["client_id"] == a
        assert ("client", b_id) not in by or by[("client", b_id)]["deleted"] is True
    other = {(c["entity"], c["entity_id"]): c for c in _pull(api, who["other"], cursor_other)[0]}
    assert other[("client", b_id)]["deleted"] is True  # the store that had her drops her
    # a tablet that wrote about the merged one offline: applied to the survivor, nothing lost
    late = new_id()
    (res,) = _push(api, who["other"], _m("contact.log", late, {"client_id": b_id, "channel": "sms", "text": "x"}))
    assert res["status"] == "applied", res
    (res,) = _push(api, who["other"], _m("client.update", b_id, {"fields": {"notes": "Пишет заранее"}}))
    assert res["status"] == "applied", res
    with hub_db.read() as conn:
        owner = sql(conn, "SELECT owner_id FROM records WHERE entity = 'contact' AND id = ?", (late,)).fetchone()[0]
        notes = json.loads(sql(conn, "SELECT data FROM clients WHERE id = ?", (a,)).fetchone()[0])["notes"]
    assert (owner, notes) == (a, "Пишет заранее")
    (res,) = _push(api, who["other"], _m("contact.log", new_id(), {"client_id": a, "channel": "sms", "text": "x"}))
    assert res["status"] == "applied"
    # the merged one is no longer found; the pair is closed
    assert [m["client_id"] for m in _lookup(api, who["other"], phone=phone)] == [a]
    again = api.post(f"/v1/duplicates/{pair['id']}/merge", json={"survivor_id": a}, headers=headers(who["manager_own"]))
    assert again.status_code == 409
    merged = api.get("/v1/duplicates?status=merged", headers=headers(who["manager_own"])).json()
    assert pair["id"] in [p["id"] for p in merged]


def test_a_manager_dismisses_a_pair_of_two_people(api, who):
    email = f"{new_id()[:8]}@example.ru"
    a = _register(api, who["own"], OWN, email=email)
    b = _register(api, who["own"], OWN, email=email, first_name="Мария")
    (pair,) = [
        p
        for p in api.get("/v1/duplicates", headers=headers(who["manager_own"])).json()
        if {c["client_id"] for c in p["clients"]} == {a, b}
    ]
    assert pair["reason"] == "email"
    assert api.post(f"/v1/duplicates/{pair['id']}/dismiss", headers=headers(who["manager_other"])).status_code == 404
    assert api.post(f"/v1/duplicates/{pair['id']}/dismiss", headers=headers(who["manager_own"])).status_code == 204
    assert pair["id"] not in [p["id"] for p in api.get("/v1/duplicates", headers=headers(who["manager_own"])).json()]


def test_a_seeded_client_is_found_by_email_and_by_name_and_birthday(api, who, hub_db):
    with hub_db.read() as conn:
        rows = sql(conn, "SELECT data FROM clients WHERE store_id = ? ORDER BY id", (OWN,)).fetchall()
    c = next(d for d in map(lambda r: json.loads(r[0]), rows) if d.get("email") and d.get("birthday"))
    assert c["id"] in [m["client_id"] for m in _lookup(api, who["other"], email=c["email"])]
    by_name = _lookup(api, who["other"], last_name=c["last_name"], first_name=c["first_name"], birthday=c["birthday"])
    assert c["id"] in [m["client_id"] for m in by_name]
