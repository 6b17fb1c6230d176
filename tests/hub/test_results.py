"""What the work brought (GET /v1/reports/results, SQLite and PostgreSQL), and the outreach
data behind it: the brand's templates in the feed and from the CLI, contact.log with its
template (old payloads still accepted), purchases attributed to a contact within the
brand's window, a consultant seeing her own figures only, a manager her store's, bad dates
as problem details."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sync.hub import demo, outreach
from sync.hub.seed import seed
from sync.hub.storage import HubDB, sql
from sync.models import new_id, utcnow
from tests.hub.conftest import headers, login
from tests.hub.test_admin_cli import cli, ok

OWN, OTHER = demo.stores(1)[0]["id"], demo.stores(1)[1]["id"]
DAY = (utcnow() - dt.timedelta(days=420)).date()  # before the seed's recent receipts
MSK = dt.timezone(dt.timedelta(hours=3))
FN = "9281000100299911"


def _at(days: int, hour: int) -> dt.datetime:
    return dt.datetime(DAY.year, DAY.month, DAY.day, hour, tzinfo=MSK) + dt.timedelta(days=days)


def _contact(client_id: str, at: dt.datetime, channel: str = "sms", **extra) -> dict:
    return {
        "id": new_id(),
        "kind": "contact.log",
        "entity_id": new_id(),
        "client_time": utcnow().isoformat(),
        "payload": {"client_id": client_id, "channel": channel, "text": "Здравствуйте!", "at": at.isoformat(), **extra},
    }


def _push(api, who: dict, *mutations: dict) -> list[dict]:
    body = {"device_id": who["_me"]["device_id"], "mutations": list(mutations)}
    r = api.post("/v1/mutations", json=body, headers=headers(who))
    assert r.status_code == 200, r.text
    return r.json()["results"]


def _sale(i: int, phone: str, at: dt.datetime, total: int = 2_000_000) -> dict:
    return {
        "store_id": OWN,
        "fn": FN,
        "i": str(i),
        "fp": str(800_000 + i),
        "at": at.isoformat(),
        "total": total,
        "type": 1,
        "client_phone": phone,
        "lines": [{"sku": "R-2", "name": "Пальто", "price": total}],
    }


def _results(api, who: dict, **params) -> dict:
    r = api.get("/v1/reports/results", params=params, headers=headers(who))
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def her(api, demo) -> dict:
    feed = api.get("/v1/changes?cursor=0&limit=5000", headers=headers(demo)).json()["changes"]
    return next(c["data"] for c in feed if c["entity"] == "client" and c["data"].get("phone"))


def test_the_brands_templates_and_window_reach_each_store_in_the_feed(api, demo):
    feed = api.get("/v1/changes?cursor=0&limit=5000", headers=headers(demo)).json()["changes"]
    (row,) = [c["data"] for c in feed if c["entity"] == "outreach_templates"]  # its own store's only
    assert row["id"] == OWN and row["attribution_days"] == 14
    ids = {t["id"] for t in row["templates"]}
    assert {"birthday.ru", "birthday.en", "points_expiring.ru", "private_sale.ru", "free.en"} <= ids


def test_contact_log_keeps_its_template_and_old_payloads_are_still_accepted(api, demo, her, hub_db):
    new = _contact(her["id"], _at(-30, 10), template="birthday.ru", via="whatsapp", channel="messengers")
    old = _contact(her["id"], _at(-30, 11), channel="calls")
    bad = _contact(her["id"], _at(-30, 12), template="Bad Template!")
    results = _push(api, demo, new, old, bad)
    assert [r["status"] for r in results] == ["applied", "applied", "rejected"]
    feed = api.get("/v1/changes?cursor=0&limit=5000", headers=headers(demo)).json()["changes"]
    contacts = {c["entity_id"]: c["data"] for c in feed if c["entity"] == "contact"}
    assert contacts[new["entity_id"]]["template"] == "birthday.ru"
    assert contacts[new["entity_id"]]["via"] == "whatsapp"
    assert "template" not in contacts[old["entity_id"]]
    with hub_db.read() as conn:
        got = outreach.utc_key(_at(-30, 10))
        rows = sql(conn, "SELECT at, channel, template FROM contact_log WHERE id = ?", (new["entity_id"],)).fetchall()
    assert [tuple(r) for r in rows] == [(got, "messengers", "birthday.ru")]


def test_purchases_within_the_window_are_attributed_to_her_contact_once(api, demo, her, hub_db):
    me = demo["_me"]["consultant_id"]
    period = {"from": DAY.isoformat(), "to": DAY.isoformat()}
    before = _results(api, demo, **period)
    assert [r["consultant_id"] for r in before["consultants"]] == [me]  # her own row only
    _push(api, demo, _contact(her["id"], _at(0, 10), template="private_sale.ru"), _contact(her["id"], _at(0, 11)))
    till = headers(login(api, "till1", "vitrine"))
    sales = [
        _sale(1, her["phone"], _at(0, 9)),  # before the contacts: not theirs
        _sale(2, her["phone"], _at(3, 12)),  # three days after: theirs (after the period, within the window)
        _sale(3, her["phone"], _at(14, 10)),  # 14 days less an hour after the later contact: theirs
        _sale(4, her["phone"], _at(20, 12)),  # past the window
    ]
    r = api.post("/v1/pos/receipts", json={"receipts": sales}, headers=till)
    assert r.status_code == 200, r.text
    after = _results(api, demo, **period)
    (b,), (a,) = before["consultants"], after["consultants"]
    assert a["contacts"] - b["contacts"] == 2
    assert a["contacts_by_channel"]["sms"] - b["contacts_by_channel"].get("sms", 0) == 2
    assert a["attributed_purchases"] - b["attributed_purchases"] == 2
    assert a["attributed_amount"] - b["attributed_amount"] == 4_000_000
    assert after["totals"]["attributed_purchases"] == a["attributed_purchases"]
    assert after["attribution_days"] == 14
    # a later period holds the purchases but not the contacts: nothing attributed there
    later = {"from": (DAY + dt.timedelta(days=3)).isoformat(), "to": (DAY + dt.timedelta(days=20)).isoformat()}
    assert _results(api, demo, **later)["consultants"][0]["attributed_purchases"] == 0

    # the manager sees the store per consultant, the same figures; one consultant on request
    mgr = login(api, "manager1", "vitrine")
    store = _results(api, mgr, **period)
    assert {r["store_id"] for r in store["consultants"]} == {OWN} and len(store["consultants"]) > 1
    (mine,) = [r for r in store["consultants"] if r["consultant_id"] == me]
    assert mine == a
    assert [r["consultant_id"] for r in _results(api, mgr, consultant=me, **period)["consultants"]] == [me]
    assert me not in {
        r["consultant_id"] for r in _results(api, login(api, "manager2", "vitrine"), **period)["consultants"]
    }
    assert {OWN, OTHER} <= {
        r["store_id"] for r in _results(api, login(api, "admin", "vitrine"), **period)["consultants"]
    }

    # a shorter window is the brand's setting: the sale three days and two hours later no longer counts
    with hub_db.write() as conn:
        outreach.set_attribution_days(conn, demo_brand(conn), 3)
    try:
        short = _results(api, demo, **period)
        assert short["attribution_days"] == 3
        assert short["consultants"][0]["attributed_purchases"] == b["attributed_purchases"]
    finally:
        with hub_db.write() as conn:
            outreach.set_attribution_days(conn, demo_brand(conn), 14)


def demo_brand(conn) -> str:
    return sql(conn, "SELECT brand_id FROM stores WHERE id = ?", (OWN,)).fetchone()[0]


def test_a_consultant_sees_only_her_own_and_bad_dates_are_problems(api, demo):
    other = login(api, "manager1", "vitrine")["_me"]["consultant_id"]
    r = api.get("/v1/reports/results", params={"consultant": other}, headers=headers(demo))
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    for params in (
        {"from": "2026-13-01"},
        {"to": "yesterday"},
        {"from": "2026-03-02", "to": "2026-03-01"},
        {"from": "2020-01-01", "to": "2026-01-01"},
    ):
        r = api.get("/v1/reports/results", params=params, headers=headers(demo))
        assert r.status_code == 422, (params, r.text)
        assert r.json()["type"] == "urn:vitrine:bad-period"
    till = login(api, "till1", "vitrine")
    assert api.get("/v1/reports/results", headers=headers(till)).status_code == 403
    assert api.get("/v1/reports/results").status_code == 401


def test_the_cli_changes_a_brands_templates_and_window(tmp_path):
    path = tmp_path / "hub.sqlite"
    db = HubDB(str(path))
    db.migrate()
    seed(db, n_clients=20, log=None)
    db.dispose()
    shown = json.loads(cli(path, "outreach", "show", "--brand", "Витрина").stdout)
    assert shown["attribution_days"] == 14 and len(shown["templates"]) == 12
    ok(
        cli(
            path,
            "outreach",
            "put",
            "--brand",
            "Витрина",
            "--id",
            "birthday.ru",
            "--occasion",
            "birthday",
            "--lang",
            "ru",
            "--title",
            "ДР",
            "--text",
            "С праздником[, {name}]!",
        )
    )
    refused = cli(
        path,
        "outreach",
        "put",
        "--brand",
        "Витрина",
        "--id",
        "x.ru",
        "--occasion",
        "birthday",
        "--lang",
        "ru",
        "--title",
        "x",
        "--text",
        "{pionts}",
    )
    assert refused.returncode == 1 and "pionts" in refused.stderr
    assert ok(cli(path, "outreach", "window", "--brand", "Витрина", "21")) == "attribution window: 21 day(s)"
    assert cli(path, "outreach", "window", "--brand", "Витрина", "0").returncode == 1
    shown = json.loads(cli(path, "outreach", "show", "--brand", "Витрина").stdout)
    assert shown["attribution_days"] == 21
    assert next(t for t in shown["templates"] if t["id"] == "birthday.ru")["text"] == "С праздником[, {name}]!"
    db = HubDB(str(path))
    with db.read() as conn:
        rows = conn.exec_driver_sql("SELECT store_id, data FROM feed WHERE entity = 'outreach_templates'").fetchall()
    db.dispose()
    own = [json.loads(d) for s, d in rows if s == OWN]
    assert own[0]["attribution_days"] == 21 and own[0]["templates"][0]["title"] == "ДР"
    (path.parent / "t.json").write_text(
        json.dumps([{"id": "x.ru", "occasion": "welcome", "lang": "ru", "title": "Х", "text": "Привет"}])
    )
    ok(cli(path, "outreach", "set", "--brand", "Витрина", str(path.parent / "t.json")))
    assert [t["id"] for t in json.loads(cli(path, "outreach", "show", "--brand", "Витрина").stdout)["templates"]] == [
        "x.ru"
    ]


def test_an_erased_client_leaves_no_contact_log_rows(api, demo, hub_db):
    """client.erase (152-FZ) takes her contacts away, the results' copy with them."""
    cid = new_id()
    register = {
        "id": new_id(),
        "kind": "client.register",
        "entity_id": cid,
        "client_time": utcnow().isoformat(),
        "payload": {"last_name": "Стёртая", "first_name": "Ольга", "store_id": OWN},
    }
    assert [r["status"] for r in _push(api, demo, register, _contact(cid, _at(-40, 10)))] == ["applied", "applied"]
    with hub_db.read() as conn:
        assert sql(conn, "SELECT count(*) FROM contact_log WHERE client_id = ?", (cid,)).fetchone()[0] == 1
    erase = {
        "id": new_id(),
        "kind": "client.erase",
        "entity_id": cid,
        "client_time": utcnow().isoformat(),
        "payload": {},
    }
    assert _push(api, login(api, "manager1", "vitrine"), erase)[0]["status"] == "applied"
    with hub_db.read() as conn:
        assert sql(conn, "SELECT count(*) FROM contact_log WHERE client_id = ?", (cid,)).fetchone()[0] == 0
