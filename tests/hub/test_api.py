"""The hub's endpoints, in-process (FastAPI TestClient) on a real SQLite file."""

from __future__ import annotations

import hashlib

from sync.models import new_id, utcnow
from tests.hub.conftest import headers, login

PROBLEM = "application/problem+json"


def test_login_and_wrong_password(api):
    h = login(api)
    assert h["_me"]["store_name"] == "Петровка"
    r = api.post("/v1/auth/login", json={"login": "demo", "password": "nope"})
    assert r.status_code == 401 and r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["title"] == "Wrong login or password"
    r = api.post("/v1/auth/login", json={"login": "nobody", "password": "nope"})
    assert r.status_code == 401


def test_missing_or_bad_token_is_a_problem(api):
    r = api.get("/v1/changes", headers={"X-Vitrine-Protocol": "1"})
    assert r.status_code == 401 and r.headers["content-type"].startswith(PROBLEM)
    r = api.get("/v1/changes", headers={"X-Vitrine-Protocol": "1", "Authorization": "Bearer forged"})
    assert r.status_code == 401 and r.json()["title"] == "Session expired"


def test_unknown_protocol_version_is_refused(api, demo):
    r = api.get("/v1/changes", headers={**headers(demo), "X-Vitrine-Protocol": "99"})
    assert r.status_code == 400 and "protocol" in r.json()["detail"]


def test_validation_errors_are_problem_details(api, demo):
    r = api.get("/v1/changes?cursor=-5", headers=headers(demo))
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["errors"][0]["loc"] == ["query", "cursor"]


def test_change_feed_pages_are_ordered_resumable_and_store_scoped(api, demo):
    h = headers(demo)
    store = demo["_me"]["store_id"]
    seen, cursor, pages = [], 0, 0
    while True:
        body = api.get(f"/v1/changes?cursor={cursor}&limit=50", headers=h).json()
        seen += body["changes"]
        pages += 1
        assert body["next_cursor"] >= cursor
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    seqs = [c["seq"] for c in seen]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)) and pages > 2
    clients = [c["data"] for c in seen if c["entity"] == "client"]
    assert clients and all(c["store_id"] == store for c in clients)
    assert {c["entity"] for c in seen} >= {"store", "consultant", "client", "receipt", "ledger"}
    total = api.get("/v1/changes?cursor=0&limit=1&with_total=true", headers=h).json()["total_estimate"]
    assert total == len(seen)


def _mutation(kind, entity_id, payload):
    return {
        "id": new_id(),
        "kind": kind,
        "entity_id": entity_id,
        "payload": payload,
        "client_time": utcnow().isoformat(),
    }


def test_mutations_apply_once_and_replay_the_first_answer(api, demo):
    h = headers(demo)
    store = demo["_me"]["store_id"]
    cid = new_id()
    reg = _mutation(
        "client.register",
        cid,
        {"last_name": "Новикова", "first_name": "Дарья", "store_id": store, "phone": "+79990001122"},
    )
    r1 = api.post("/v1/mutations", json={"device_id": demo["_me"]["device_id"], "mutations": [reg]}, headers=h).json()
    assert r1["results"][0]["status"] == "applied"
    r2 = api.post("/v1/mutations", json={"device_id": demo["_me"]["device_id"], "mutations": [reg]}, headers=h).json()
    assert r2["results"][0]["status"] == "duplicate"
    assert r2["results"][0]["result"]["first"]["status"] == "applied"
    feed = api.get("/v1/changes?cursor=0&limit=5000", headers=h).json()["changes"]
    assert sum(1 for c in feed if c["entity"] == "client" and c["entity_id"] == cid) == 1


def test_a_history_entry_names_the_consultant_who_saved_the_change(api, demo):
    h = headers(demo)
    cid = new_id()
    reg = _mutation(
        "client.register",
        cid,
        {"last_name": "Зуева", "first_name": "Инна", "store_id": demo["_me"]["store_id"], "sizes": {"shoe": "40"}},
    )
    upd = _mutation("client.update", cid, {"fields": {"sizes": {"shoe": "38.5"}}})
    res = api.post(
        "/v1/mutations", json={"device_id": demo["_me"]["device_id"], "mutations": [reg, upd]}, headers=h
    ).json()["results"]
    assert [r["status"] for r in res] == ["applied", "applied"]
    feed = api.get("/v1/changes?cursor=0&limit=5000", headers=h).json()["changes"]
    (entry,) = [c["data"] for c in feed if c["entity"] == "history" and c["client_id"] == cid]
    assert (entry["old_value"], entry["new_value"]) == ({"shoe": "40"}, {"shoe": "38.5"})
    assert (entry["consultant_id"], entry["consultant_name"]) == (
        demo["_me"]["consultant_id"],
        demo["_me"]["consultant_name"],
    )
    assert entry["mutation_id"] == upd["id"]


def test_unknown_kind_and_bad_payload_are_rejected_with_reasons(api, demo):
    h = headers(demo)
    batch = [
        _mutation("client.teleport", new_id(), {}),
        _mutation("client.register", new_id(), {"last_name": "", "first_name": "X", "store_id": "s"}),
        _mutation("client.update", new_id(), {"fields": {"tier": "Platinum"}}),
    ]
    res = api.post("/v1/mutations", json={"device_id": demo["_me"]["device_id"], "mutations": batch}, headers=h).json()[
        "results"
    ]
    assert [r["status"] for r in res] == ["rejected"] * 3
    assert [r["code"] for r in res] == ["unknown_kind", "invalid_payload", "invalid_payload"]
    assert "last_name" in res[1]["reason"] and "tier" in res[2]["reason"]


def test_blobs_are_content_addressed(api, demo):
    h = headers(demo)
    body = b"\x89PNG signature"
    sha = hashlib.sha256(body).hexdigest()
    assert api.put(f"/v1/blobs/{sha}", content=body, headers={**h, "Content-Type": "image/png"}).json()["created"]
    assert not api.put(f"/v1/blobs/{sha}", content=body, headers=h).json()["created"]
    assert api.get(f"/v1/blobs/{sha}", headers=h).content == body
    bad = api.put(f"/v1/blobs/{'0' * 64}", content=body, headers=h)
    assert bad.status_code == 400 and bad.headers["content-type"].startswith(PROBLEM)


def test_openapi_documents_the_sync_endpoints(api):
    spec = api.get("/openapi.json").json()
    assert {"/v1/changes", "/v1/mutations", "/v1/blobs/{sha256}", "/v1/auth/login"} <= set(spec["paths"])
    assert api.get("/docs").status_code == 200


def test_a_page_as_a_sqlite_file_holds_what_the_json_page_holds(api, demo, tmp_path):
    import glob
    import json
    import sqlite3
    import tempfile

    h = headers(demo)
    left_before = set(glob.glob(tempfile.gettempdir() + "/vitrine-page-*"))
    cursor, k, first = 0, 0, True
    while True:
        page = api.get(f"/v1/changes?cursor={cursor}&limit=70", headers=h).json()
        r = api.get(f"/v1/changes.sqlite?cursor={cursor}&limit=70" + ("&with_total=true" if first else ""), headers=h)
        assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.sqlite3"
        if first:
            assert (
                int(r.headers["X-Vitrine-Total"])
                == api.get("/v1/changes?cursor=0&limit=1&with_total=true", headers=h).json()["total_estimate"]
            )
        path = tmp_path / f"page{k}.sqlite"
        path.write_bytes(r.content)
        con = sqlite3.connect(path)
        rows = con.execute("SELECT seq, entity, entity_id, client_id, deleted, data FROM changes ORDER BY seq")
        got = [(s, e, i, c, bool(d), None if data is None else json.loads(data)) for s, e, i, c, d, data in rows]
        meta = dict(con.execute("SELECT key, value FROM meta"))
        con.close()
        assert got == [
            (c["seq"], c["entity"], c["entity_id"], c["client_id"], c["deleted"], c["data"]) for c in page["changes"]
        ]
        assert meta == {
            "format": "1",
            "next_cursor": str(page["next_cursor"]),
            "has_more": str(int(page["has_more"])),
            "rows": str(len(got)),
        }
        assert (r.headers["X-Vitrine-Next-Cursor"], r.headers["X-Vitrine-Has-More"]) == (
            str(page["next_cursor"]),
            "true" if page["has_more"] else "false",
        )
        cursor, k, first = page["next_cursor"], k + 1, False
        if not page["has_more"]:
            break
    assert k > 2
    assert set(glob.glob(tempfile.gettempdir() + "/vitrine-page-*")) <= left_before  # each file deleted once sent
    assert api.get("/v1/changes.sqlite?limit=50001", headers=h).status_code == 422
    assert api.get("/v1/changes.sqlite").status_code in (400, 401, 422)
