"""152-FZ on the hub: consent records per purpose, client.erase, the audit log and its export.

A real hub app (TestClient) over the seeded database, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json

import pytest

from sync.hub import demo
from sync.hub.storage import sql
from sync.models import new_id, utcnow
from tests.hub.conftest import headers, login

OWN = demo.stores(1)[0]["id"]
PHONE, EMAIL = "+79167770011", "anna.lebedeva@example.ru"
DIARY_TEXT = "Разводится, просила не звонить мужу"


DEVICE: dict[str, str] = {}
"""The device the hub issued to each session (by its Authorization header): a batch must name it."""


def _session(api, who: str, password: str) -> dict:
    me = login(api, who, password)
    h = headers(me)
    DEVICE[h["Authorization"]] = me["_me"]["device_id"]
    return h


@pytest.fixture(scope="module")
def staff(api):
    return _session(api, "demo", demo.DEMO_PASSWORD), _session(api, "manager1", "vitrine")


def _m(kind: str, entity_id: str, payload: dict, client_time: dt.datetime | None = None) -> dict:
    at = client_time or utcnow()
    return {"id": new_id(), "kind": kind, "entity_id": entity_id, "payload": payload, "client_time": at.isoformat()}


def _push(api, h: dict, *ms: dict) -> list[dict]:
    r = api.post("/v1/mutations", json={"device_id": DEVICE[h["Authorization"]], "mutations": list(ms)}, headers=h)
    assert r.status_code == 200, r.text
    return r.json()["results"]


def _applied(api, h: dict, *ms: dict) -> list[dict]:
    results = _push(api, h, *ms)
    assert [x["status"] for x in results] == ["applied"] * len(ms), results
    return results


def _client(hub_db, cid: str) -> dict:
    with hub_db.read() as conn:
        return json.loads(sql(conn, "SELECT data FROM clients WHERE id = ?", (cid,)).fetchone()[0])


def _consents(hub_db, cid: str) -> list[dict]:
    with hub_db.read() as conn:
        rows = sql(
            conn,
            "SELECT purpose, granted, text_version, source, form_id, account_id, device_id, received_at"
            " FROM consents WHERE client_id = ? ORDER BY received_at, purpose",
            (cid,),
        ).fetchall()
    keys = ("purpose", "granted", "text_version", "source", "form_id", "account_id", "device_id", "received_at")
    return [dict(zip(keys, r, strict=True)) | {"granted": bool(r[1])} for r in rows]


def _registered(api, h: dict, **fields) -> str:
    cid = new_id()
    payload = {"last_name": "Лебедева", "first_name": "Анна", "store_id": OWN, **fields}
    _applied(api, h, _m("client.register", cid, payload))
    return cid


def _signed(api, h: dict, cid: str, consents: dict, **extra) -> tuple[str, str]:
    body = b"\x89PNG signature " + new_id().encode()
    sha = hashlib.sha256(body).hexdigest()
    assert api.put(f"/v1/blobs/{sha}", content=body, headers=h).status_code == 200
    form_id = new_id()
    payload = {
        "client_id": cid,
        "form_type": "registration",
        "version": "form-2",
        "signature_sha256": sha,
        "signed_at": utcnow().isoformat(),
        "consents": consents,
        **extra,
    }
    _applied(api, h, _m("form.sign", form_id, payload))
    return form_id, sha


def _form(hub_db, form_id: str) -> dict:
    with hub_db.read() as conn:
        row = sql(conn, "SELECT data FROM records WHERE entity = 'form' AND id = ?", (form_id,)).fetchone()
    assert row is not None
    return json.loads(row[0])


def test_a_signed_form_keeps_its_canonical_hash_and_an_old_clients_form_has_none(api, hub_db, staff):
    h, _ = staff
    cid = _registered(api, h)
    form_sha = hashlib.sha256(b"canonical form").hexdigest()
    form_id, _ = _signed(api, h, cid, {"processing": True}, form_sha256=form_sha)
    assert _form(hub_db, form_id)["form_sha256"] == form_sha
    old_id, _ = _signed(api, h, cid, {"processing": True})  # a client from before the field
    assert _form(hub_db, old_id)["form_sha256"] is None


# --- consents -----------------------------------------------------------------------------


def test_a_signed_form_records_each_purpose_with_its_text_version_source_and_the_hubs_time(api, hub_db, staff):
    h, _ = staff
    cid = _registered(api, h)
    before = utcnow()
    form_id, _ = _signed(
        api, h, cid, {"processing": {"granted": True, "text_version": "pd-2026.1"}, "sms": True, "calls": False}
    )
    got = {c["purpose"]: c for c in _consents(hub_db, cid)}
    assert set(got) == {"processing", "sms", "calls"}
    assert (got["processing"]["granted"], got["processing"]["text_version"]) == (True, "pd-2026.1")
    assert (got["sms"]["granted"], got["sms"]["text_version"]) == (True, "form-2")  # a bare bool: the form's text
    assert got["calls"]["granted"] is False
    me = login(api, "demo", demo.DEMO_PASSWORD)["_me"]
    for c in got.values():
        assert (c["source"], c["form_id"], c["account_id"], c["device_id"]) == (
            "form",
            form_id,
            me["consultant_id"],
            DEVICE[h["Authorization"]],
        )
        assert dt.datetime.fromisoformat(c["received_at"]) >= before
    # the snapshot the profile shows is derived from them, dated by the hub
    snapshot = _client(hub_db, cid)["consents"]
    assert snapshot["processing"] == {"granted": True, "date": utcnow().date().isoformat(), "text_version": "pd-2026.1"}


def test_a_consent_is_dated_by_the_hub_not_by_the_devices_clock(api, hub_db, staff):
    h, _ = staff
    cid = _registered(api, h)
    long_ago = utcnow() - dt.timedelta(days=400)
    terms = {"email": {"granted": True, "text_version": "marketing-1"}}
    _applied(api, h, _m("consent.record", new_id(), {"client_id": cid, "consents": terms}, client_time=long_ago))
    # a profile toggle names its own date: ignored too
    toggle = {"fields": {"consents": {"sms": {"granted": True, "date": "2001-01-01"}}}}
    _applied(api, h, _m("client.update", cid, toggle, client_time=long_ago))
    got = {c["purpose"]: c for c in _consents(hub_db, cid)}
    today = utcnow().date().isoformat()
    assert {p: c["received_at"][:10] for p, c in got.items()} == {"email": today, "sms": today}
    assert (got["sms"]["source"], got["sms"]["text_version"]) == ("profile", None)
    assert _client(hub_db, cid)["consents"]["sms"]["date"] == today


def test_withdrawing_is_a_new_record_and_an_unchanged_toggle_is_none(api, hub_db, staff):
    h, _ = staff
    cid = _registered(api, h, consents={"sms": {"granted": True}})
    assert [(c["purpose"], c["granted"], c["source"]) for c in _consents(hub_db, cid)] == [("sms", True, "register")]
    same = {"fields": {"consents": {"sms": {"granted": True}}, "notes": "Утро"}}
    _applied(api, h, _m("client.update", cid, same))
    assert len(_consents(hub_db, cid)) == 1
    withdraw = {"client_id": cid, "consents": {"sms": {"granted": False, "text_version": "marketing-1"}}}
    _applied(api, h, _m("consent.record", new_id(), withdraw))
    assert [(c["purpose"], c["granted"]) for c in _consents(hub_db, cid)] == [("sms", True), ("sms", False)]
    assert _client(hub_db, cid)["consents"]["sms"]["granted"] is False


def test_a_bad_consent_is_refused_and_records_nothing(api, hub_db, staff):
    h, _ = staff
    cid = _registered(api, h)
    bad = [
        _m("consent.record", new_id(), {"client_id": cid, "consents": {"fax": {"granted": True, "text_version": "1"}}}),
        _m("consent.record", new_id(), {"client_id": cid, "consents": {"sms": {"granted": True}}}),  # no version
        _m("client.update", cid, {"fields": {"consents": {"sms": {"granted": True}}, "colour": "red"}}),
    ]
    results = _push(api, h, *bad)
    assert [(x["status"], x["code"]) for x in results] == [("rejected", "invalid_payload")] * 3
    assert _consents(hub_db, cid) == []


# --- erase --------------------------------------------------------------------------------


def _her_world(api, hub_db, h: dict) -> dict:
    """A client with everything a client can have: history, a revised diary entry, a contact,
    a signed form with its blob, consents, a receipt and points."""
    cid = _registered(api, h, phone=PHONE, email=EMAIL, notes="Любит кашемир")
    entry = new_id()
    _applied(
        api,
        h,
        _m("client.update", cid, {"fields": {"phone": "+79160000000", "email": "old@example.ru"}}),
        _m("diary.add", entry, {"client_id": cid, "text": DIARY_TEXT}),
        _m("diary.revise", entry, {"text": "Не звонить вечером"}),
        _m("contact.log", new_id(), {"client_id": cid, "channel": "calls", "text": "Звонила " + PHONE}),
    )
    form_id, sha = _signed(api, h, cid, {"processing": {"granted": True, "text_version": "pd-1"}, "email": True})
    till = headers(login(api, "till1", "vitrine"))
    receipt = {
        "store_id": OWN,
        "fn": "9999078900001234",
        "i": str(int(new_id()[-8:], 16)),
        "fp": "4242",
        "at": utcnow().isoformat(),
        "total": 2_500_000,
        "client_phone": "+79160000000",
    }
    r = api.post("/v1/pos/receipts", json={"receipts": [receipt]}, headers=till)
    assert r.status_code == 200 and r.json()["results"][0]["client_id"] == cid, r.text
    return {"client_id": cid, "entry": entry, "form": form_id, "sha": sha, "receipt": r.json()["results"][0]}


def test_erase_anonymises_purges_and_tombstones_her_and_keeps_the_consent_proof(api, hub_db, staff):
    h, manager = staff
    w = _her_world(api, hub_db, h)
    cid = w["client_id"]
    (res,) = _applied(api, manager, _m("client.erase", cid, {"request_ref": "DSR-2026-17"}))
    assert res["result"]["blobs_deleted"] == 1
    with hub_db.read() as conn:

        def count(q: str, *args) -> int:
            return sql(conn, q, args).fetchone()[0]

        stored = json.loads(sql(conn, "SELECT data FROM clients WHERE id = ?", (cid,)).fetchone()[0])
        row = sql(conn, "SELECT phone, card_number FROM clients WHERE id = ?", (cid,)).fetchone()
        assert tuple(row) == (None, None)
        assert count("SELECT count(*) FROM client_history WHERE client_id = ?", cid) == 0
        assert count("SELECT count(*) FROM records WHERE owner_id = ?", w["entry"]) == 0  # revisions
        assert count("SELECT count(*) FROM records WHERE entity = 'contact' AND owner_id = ?", cid) == 0
        assert count("SELECT count(*) FROM blobs WHERE sha256 = ?", w["sha"]) == 0
        assert count("SELECT count(*) FROM blob_stores WHERE sha256 = ?", w["sha"]) == 0
        # kept: the form's record (hashes, no image), the receipt and ledger, the consents
        form_row = sql(conn, "SELECT data FROM records WHERE entity = 'form' AND id = ?", (w["form"],)).fetchone()
        form = json.loads(form_row[0])
        assert form["signature_sha256"] == w["sha"]
        assert count("SELECT count(*) FROM receipts WHERE client_id = ?", cid) == 1
        assert count("SELECT count(*) FROM ledger WHERE client_id = ?", cid) >= 1
        live = sql(
            conn,
            "SELECT entity, entity_id FROM feed WHERE (client_id = ? OR entity_id = ?) AND NOT deleted",
            (cid, cid),
        ).fetchall()
        tombstones = {
            tuple(r)
            for r in sql(conn, "SELECT entity, entity_id FROM feed WHERE deleted AND data IS NULL", ()).fetchall()
        }
        everything = sql(conn, "SELECT data FROM feed WHERE data IS NOT NULL", ()).fetchall()
    assert live == []
    assert {("client", cid), ("diary", w["entry"]), ("form", w["form"]), ("receipt", w["receipt"]["receipt_id"])} <= (
        tombstones
    )
    assert set(stored) <= {"id", "store_id", "created_at", "last_visit", "tier", "points_balance", "pending_points"} | {
        "spend_12m",
        "last_name",
        "first_name",
        "erased_at",
    }
    assert (stored["last_name"], stored["first_name"]) == ("—", "—")
    text = "".join(r[0] for r in everything)
    for secret in (PHONE, EMAIL, "+79160000000", "old@example.ru", DIARY_TEXT, "Любит кашемир"):
        assert secret not in text
    consents = _consents(hub_db, cid)
    assert {c["purpose"] for c in consents if c["source"] == "erase" and not c["granted"]} == {
        "processing",
        "sms",
        "email",
        "messengers",
        "calls",
    }
    assert ("processing", True, "pd-1") in {(c["purpose"], c["granted"], c["text_version"]) for c in consents}


def test_after_an_erase_she_is_unknown_to_every_mutation_and_to_the_till(api, hub_db, staff):
    h, manager = staff
    cid = _registered(api, h, phone="+79167770022")
    _applied(api, manager, _m("client.erase", cid, {}))
    late = [
        _m("client.update", cid, {"fields": {"notes": "Вернулась?"}}),
        _m("diary.add", new_id(), {"client_id": cid, "text": "Новая заметка"}),
        _m("client.viewed", cid, {}),
    ]
    assert {(x["status"], x["code"]) for x in _push(api, h, *late)} == {("rejected", "unknown_client")}
    (again,) = _push(api, manager, _m("client.erase", cid, {}))
    assert (again["status"], again["code"]) == ("rejected", "unknown_client")
    till = headers(login(api, "till1", "vitrine"))
    receipt = {"store_id": OWN, "fn": "9999078900005678", "i": str(int(new_id()[-8:], 16)), "fp": "1"}
    receipt |= {"at": utcnow().isoformat(), "total": 100_000, "client_phone": "+79167770022"}
    r = api.post("/v1/pos/receipts", json={"receipts": [receipt]}, headers=till)
    assert r.json()["results"][0]["client_id"] is None


# --- audit --------------------------------------------------------------------------------


def test_the_audit_export_lists_who_changed_and_viewed_her_with_ids_only(api, hub_db, staff):
    h, manager = staff
    cid = _registered(api, h, phone=PHONE, email=EMAIL)
    entry = new_id()
    _applied(
        api,
        h,
        _m("diary.add", entry, {"client_id": cid, "text": DIARY_TEXT}),
        _m("diary.revise", entry, {"text": "Исправлено"}),
        _m("client.viewed", cid, {}),
    )
    r = api.get(f"/v1/clients/{cid}/audit", headers=manager)
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    rows = r.json()
    me = login(api, "demo", demo.DEMO_PASSWORD)["_me"]["consultant_id"]
    assert [(x["action"], x["kind"]) for x in rows] == [
        ("change", "client.register"),
        ("change", "diary.add"),
        ("change", "diary.revise"),  # found through its entry
        ("view", "client.viewed"),
        ("read", "audit.export"),
    ]
    assert {x["account_id"] for x in rows[:4]} == {me}
    assert {x["device_id"] for x in rows[:4]} == {DEVICE[h["Authorization"]]}
    assert all(x["at"] and x["client_id"] == cid for x in rows)
    dump = json.dumps(rows, ensure_ascii=False)
    for secret in (PHONE, EMAIL, DIARY_TEXT, "Лебедева"):
        assert secret not in dump
    r = api.get(f"/v1/clients/{cid}/audit?format=csv", headers=manager)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert [x["kind"] for x in table] == [x["kind"] for x in rows] + ["audit.export"]
    # an erased client's log stays: the erase is in it
    _applied(api, manager, _m("client.erase", cid, {}))
    after = api.get(f"/v1/clients/{cid}/audit", headers=manager).json()
    seen = {(x["action"], x["kind"], x["device_id"]) for x in after}
    assert ("change", "client.erase", DEVICE[manager["Authorization"]]) in seen


def test_a_refused_mutation_is_not_audited_as_a_change(api, hub_db, staff):
    h, manager = staff
    cid = _registered(api, h)
    (res,) = _push(api, h, _m("client.update", cid, {"fields": {"phone": "not a phone"}}))
    assert res["status"] == "rejected"
    kinds = [x["kind"] for x in api.get(f"/v1/clients/{cid}/audit", headers=manager).json()]
    assert kinds == ["client.register", "audit.export"]
