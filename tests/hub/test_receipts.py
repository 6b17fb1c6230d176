"""Receipts from the tills (API and 1C CSV import), links from consultants, the identified share."""

from __future__ import annotations

import subprocess
import sys

from sync.hub import demo
from sync.models import new_id, utcnow
from tests.conftest import ROOT
from tests.hub.conftest import headers, login


def till(api):
    return headers(login(api, "till1", "vitrine"))


def _receipt(i: str, phone: str | None = None, total=2_500_000, sale=False):
    return {
        "store_id": demo.stores(1)[0]["id"],
        "fn": "9281000100200300",
        "i": i,
        "fp": "3522207165",
        "at": "2026-11-20T14:05:00+03:00",
        "total": total,
        "type": 1,
        "client_phone": phone,
        "lines": [{"sku": "MM-1", "name": "Пальто Max Mara", "price": total, "sale": sale}],
    }


def _link(client_id: str, i: str):
    return {
        "id": new_id(),
        "kind": "receipt.link",
        "entity_id": new_id(),
        "client_time": utcnow().isoformat(),
        "payload": {
            "client_id": client_id,
            "fn": "9281000100200300",
            "i": i,
            "fp": "3522207165",
            "s": 2_500_000,
            "n": 1,
        },
    }


def _some_clients(api, h, n=2):
    feed = api.get("/v1/changes?cursor=0&limit=5000", headers=h).json()["changes"]
    return [c["data"] for c in feed if c["entity"] == "client"][:n]


def test_till_receipt_with_phone_in_any_format_is_identified(api, demo):
    h = headers(demo)
    client = _some_clients(api, h)[0]
    pretty = f"8 ({client['phone'][2:5]}) {client['phone'][5:8]}-{client['phone'][8:10]}-{client['phone'][10:]}"
    res = api.post("/v1/pos/receipts", json={"receipts": [_receipt("501", pretty)]}, headers=till(api)).json()
    assert res["results"][0]["client_id"] == client["id"]
    again = api.post("/v1/pos/receipts", json={"receipts": [_receipt("501", pretty)]}, headers=till(api)).json()
    assert again["results"][0]["duplicate"] is True


def test_consultants_cannot_post_till_receipts(api, demo):
    r = api.post("/v1/pos/receipts", json={"receipts": [_receipt("502")]}, headers=headers(demo))
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")


def test_link_before_upload_waits_then_matches_and_second_link_is_rejected(api, demo):
    h = headers(demo)
    a, b = _some_clients(api, h, 2)
    first = api.post(
        "/v1/mutations", json={"device_id": demo["_me"]["device_id"], "mutations": [_link(a["id"], "777")]}, headers=h
    ).json()["results"][0]
    assert first["status"] == "applied" and first["result"]["state"] == "waiting"
    second = api.post(
        "/v1/mutations", json={"device_id": demo["_me"]["device_id"], "mutations": [_link(b["id"], "777")]}, headers=h
    ).json()["results"][0]
    assert second["status"] == "rejected" and second["code"] == "receipt_taken"
    res = api.post("/v1/pos/receipts", json={"receipts": [_receipt("777")]}, headers=till(api)).json()
    assert res["results"][0]["client_id"] == a["id"]
    feed = api.get("/v1/changes?cursor=0&limit=5000", headers=h).json()["changes"]
    receipt = next(c["data"] for c in feed if c["entity"] == "receipt" and c["data"]["i"] == "777")
    assert receipt["client_id"] == a["id"] and receipt["points_earned"] > 0
    link = next(c["data"] for c in feed if c["entity"] == "link" and c["data"]["i"] == "777")
    assert link["state"] == "matched"
    # Any device can name the receipt and when it was linked: the till's sum and time, the link's time.
    assert link["s"] == 2_500_000 and link["t"].startswith("2026-11-20T14:05") and link["at"]
    late = api.post(
        "/v1/mutations", json={"device_id": demo["_me"]["device_id"], "mutations": [_link(b["id"], "777")]}, headers=h
    ).json()["results"][0]
    assert late["status"] == "rejected" and late["code"] == "receipt_taken"


def test_identified_share_report(api, demo):
    # a manager's report: its own store only (tests/hub/test_authz.py covers the other roles)
    report = api.get("/v1/reports/identified", headers=headers(login(api, "manager1", "vitrine"))).json()
    stores = report["stores"]
    assert [r["store_id"] for r in stores] == [demo["_me"]["store_id"]]
    assert all(0 <= r["share"] <= 1 for r in stores)
    assert any(r["net_receipts"] > r["net_identified"] for r in stores)  # unidentified till receipts exist


def test_csv_import_of_a_1c_export(hub_db, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "\ufeffstore;fn;i;fp;date;sum;type;sku;name;price;qty;sale;phone;card\n"
        "Петровка;9281000100200301;1;111;20.11.2026 14:05;45 000,00;1;A-1;Платок;15000,00;1;0;;\n"
        "Петровка;9281000100200301;1;111;20.11.2026 14:05;45 000,00;1;A-2;Ремень;30000;1;да;;\n"
        "Невский;9281000100200301;2;222;2026-11-20T15:00:00;12000;1;B-1;Шарф;12000;1;0;;\n"
        "Луна;9281000100200301;3;333;2026-11-20T15:00:00;100;1;C-1;Носки;100;1;0;;\n",
        encoding="utf-8",
    )
    from sync.hub.csv_import import import_file

    rep = import_file(hub_db, path)
    assert (rep.receipts, rep.duplicates) == (2, 0)
    assert len(rep.errors) == 1 and "Луна" in rep.errors[0]
    assert import_file(hub_db, path).duplicates == 2  # re-import changes nothing


def test_import_csv_command_runs(tmp_path):
    db = tmp_path / "h.sqlite"
    subprocess.run(
        [sys.executable, "-m", "sync.hub", "seed", "--clients", "10", "--db", str(db)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    path = tmp_path / "x.csv"
    path.write_text("store,fn,i,fp,date,sum\nНевский,9281000100200301,9,9,2026-11-20T15:00,1000\n")
    out = subprocess.run(
        [sys.executable, "-m", "sync.hub", "import-csv", str(path), "--db", str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert "1 receipts" in out.stdout


def test_linked_receipt_counts_in_the_12_month_spend(api, demo):
    h = headers(demo)
    client = _some_clients(api, h, 3)[2]
    before = next(
        c["data"]
        for c in api.get("/v1/changes?cursor=0&limit=5000", headers=h).json()["changes"]
        if c["entity"] == "account" and c["entity_id"] == client["id"]
    )
    r = _receipt("9001", total=3_000_000)
    r["at"] = utcnow().isoformat()
    api.post("/v1/pos/receipts", json={"receipts": [r]}, headers=till(api))
    res = api.post(
        "/v1/mutations",
        json={"device_id": demo["_me"]["device_id"], "mutations": [_link(client["id"], "9001")]},
        headers=h,
    ).json()["results"][0]
    assert res["status"] == "applied", res
    after = next(
        c["data"]
        for c in api.get("/v1/changes?cursor=0&limit=5000", headers=h).json()["changes"]
        if c["entity"] == "account" and c["entity_id"] == client["id"]
    )
    assert after["spend_12m"] == before["spend_12m"] + 3_000_000
