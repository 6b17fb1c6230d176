"""PostgreSQL under several hub processes: concurrent writers to one client lose nothing.

Three `python -m sync.hub serve` processes share one PostgreSQL database, and the
requests of each test are spread over them and released together (a barrier), so the
hub's transactions on one client really run side by side in different processes (one
process applies its requests one at a time: its handlers block its event loop).

* many client.update mutations, each changing a different field of one client: every
  field holds the value sent, with one history row each (a read-merge-write without the
  client's row lock loses fields);
* many receipts redeeming one client's points, posted by the store's till and its
  manager (identified by phone) and linked by consultants (receipt.link): no bucket of
  her ledger is overdrawn, what she has left is what she had minus what the receipts
  say they spent, and that is what the ledger's redemptions add up to (no double spend).

The tests assert what is stored, not how fast; a run without the row locks
(sync.hub.storage.locks) failed both.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
import pytest

from sync.hub import demo, loyalty_service
from sync.hub import loyalty as rules
from sync.hub.seed import seed
from sync.hub.storage import HubDB, sql
from sync.models import new_id, utcnow
from tests.conftest import ROOT, free_port, wait_http
from tests.sync.helpers import PASSWORDS, logins_of_store

HUBS = 3
HUB_CMD = [sys.executable, "-m", "sync.hub", "serve"]
STORE = demo.stores(1)[0]["id"]
PROTO = {"X-Vitrine-Protocol": "1"}


@dataclass
class Cluster:
    urls: list[str]
    db: HubDB
    sessions: dict[str, dict]
    logs: list[Path]

    def session(self, login: str) -> dict:
        """The login's session: its access token and the device the hub issued to it."""
        if login not in self.sessions:  # one login each: argon2 costs ~0.1 s
            r = httpx.post(
                self.urls[0] + "/v1/auth/login", json={"login": login, "password": PASSWORDS[login]}, timeout=30
            )
            r.raise_for_status()
            self.sessions[login] = r.json()
        return self.sessions[login]

    def post(self, k: int, path: str, login: str, body: dict) -> httpx.Response:
        """POST through hub process k % HUBS; a batch is sent as the login's device (the hub
        refuses one naming another), so `body`'s device_id is only a label."""
        me = self.session(login)
        if "device_id" in body:
            body = {**body, "device_id": me["device_id"]}
        headers = {**PROTO, "Authorization": f"Bearer {me['access_token']}"}
        return httpx.post(self.urls[k % HUBS] + path, json=body, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def cluster(postgres, tmp_path_factory) -> Iterator[Cluster]:
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = postgres.url.rsplit("/", 1)[0] + "/" + name
    db = HubDB(url)
    db.migrate()
    seed(db, n_clients=60, log=None)
    folder: Path = tmp_path_factory.mktemp("pg-hubs")
    procs: list[subprocess.Popen] = []
    urls = []
    try:
        for k in range(HUBS):
            port = free_port()
            with open(folder / f"hub{k}.log", "ab") as log:
                procs.append(
                    subprocess.Popen(
                        [*HUB_CMD, "--db", url, "--port", str(port), "--expiry-interval", "0"],
                        cwd=ROOT,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            urls.append(f"http://127.0.0.1:{port}")
        for u in urls:
            wait_http(u + "/healthz")
        cluster = Cluster(urls, db, {}, [folder / f"hub{k}.log" for k in range(HUBS)])
        for login in [*logins_of_store(0), "till1", "manager1"]:  # one by one: concurrent logins are throttled
            cluster.session(login)
        yield cluster
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        db.dispose()


def _together(calls: Sequence[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run the calls in threads released at the same moment."""
    gate = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        gate.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _clients(db: HubDB) -> list[dict]:
    with db.read() as conn:
        rows = sql(conn, "SELECT data FROM clients WHERE store_id = ? ORDER BY id", (STORE,)).fetchall()
    return [json.loads(r[0]) for r in rows]


def _client(db: HubDB, client_id: str) -> dict:
    with db.read() as conn:
        return json.loads(sql(conn, "SELECT data FROM clients WHERE id = ?", (client_id,)).fetchone()[0])


def _new_values(client: dict, n: int) -> dict:
    """One new value for each of many profile fields of `client` (each differs from hers)."""
    values = {
        "last_name": f"Параллельная-{n}",
        "first_name": f"Вера-{n}",
        "middle_name": f"Петровна-{n}",
        "email": f"vera.parallel{n}@example.com",
        "gender": "m" if client.get("gender") == "f" else "f",
        "birthday": f"198{n}-03-04",
        "sizes": {"clothing": str(60 + n)},
        "preferred_brands": [f"Loro Piana {n}"],
        "styles": [f"классика {n}"],
        "colours": [f"синий {n}"],
        "notes": f"записано в параллель {n}",
    }
    assert all(client.get(k) != v for k, v in values.items())
    return values


def _update(client_id: str, name: str, value) -> dict:
    return {
        "id": new_id(),
        "kind": "client.update",
        "entity_id": client_id,
        "payload": {"fields": {name: value}},
        "client_time": utcnow().isoformat(),
    }


def test_concurrent_updates_of_one_client_lose_no_field(cluster):
    consultants = logins_of_store(0)
    for n, client in enumerate(_clients(cluster.db)[:4]):  # four rounds, a client each
        values = _new_values(client, n)
        sent = [(name, _update(client["id"], name, value)) for name, value in values.items()]
        answers = _together(
            [
                partial(
                    cluster.post,
                    k,
                    "/v1/mutations",
                    consultants[k % len(consultants)],
                    {"device_id": f"pg-device-{k}", "mutations": [m]},
                )
                for k, (_name, m) in enumerate(sent)
            ]
        )
        for r in answers:
            assert r.status_code == 200, r.text
            assert [x["status"] for x in r.json()["results"]] == ["applied"], r.text
        after = _client(cluster.db, client["id"])
        lost = {name: after.get(name) for name, value in values.items() if after.get(name) != value}
        assert not lost, f"fields lost to a concurrent update: {sorted(lost)}"
        with cluster.db.read() as conn:
            history = sql(
                conn, "SELECT field, mutation_id FROM client_history WHERE client_id = ?", (client["id"],)
            ).fetchall()
        assert sorted(history) == sorted((name, m["id"]) for name, m in sent)


def _receipt(fn: str, i: int, phone: str | None, redeem: int) -> dict:
    total = 30_000_000  # 300,000 rub: its redemption cap is far above what is asked
    return {
        "store_id": STORE,
        "fn": fn,
        "i": str(i),
        "fp": str(7_000_000 + i),
        "at": utcnow().isoformat(),
        "total": total,
        "type": 1,
        "client_phone": phone,
        "redeem_points": redeem,
        "lines": [{"sku": "BC-1", "name": "Кашемировый джемпер", "price": total, "sale": False}],
    }


REDEEMING = "9287000000000042"  # the fiscal drive of the redemption test's receipts


def _link(client_id: str, rec: dict) -> dict:
    return {
        "id": new_id(),
        "kind": "receipt.link",
        "entity_id": new_id(),
        "client_time": utcnow().isoformat(),
        "payload": {"client_id": client_id, "fn": rec["fn"], "i": rec["i"], "fp": rec["fp"], "s": rec["total"]},
    }


def test_concurrent_redemptions_never_spend_a_point_twice(cluster):
    now = utcnow()
    with cluster.db.read() as conn:
        rich = max(
            (c for c in _clients(cluster.db) if c.get("phone")),
            key=lambda c: rules.available_points(loyalty_service.entries(conn, c["id"]), now),
        )
        before = rules.available_points(loyalty_service.entries(conn, rich["id"]), now)
    assert before >= 6, "the seed gave no client points to spend"
    ask = -(-before // 3)  # three receipts would spend all she has; twelve ask for four times that
    by_till = [_receipt(REDEEMING, k, rich["phone"], ask) for k in range(6)]
    to_link = [_receipt(REDEEMING, 100 + k, None, ask) for k in range(6)]
    # Unidentified first (no points move), then linked by consultants while the till and
    # the manager post receipts that name her by phone.
    r = cluster.post(0, "/v1/pos/receipts", "till1", {"receipts": to_link})
    assert r.status_code == 200 and all(x["client_id"] is None for x in r.json()["results"]), r.text
    consultants = logins_of_store(0)
    calls = [
        partial(cluster.post, k, "/v1/pos/receipts", ("till1", "manager1")[k % 2], {"receipts": [rec]})
        for k, rec in enumerate(by_till)
    ] + [
        partial(
            cluster.post,
            k,
            "/v1/mutations",
            consultants[k % len(consultants)],
            {"device_id": f"pg-linker-{k}", "mutations": [_link(rich["id"], rec)]},
        )
        for k, rec in enumerate(to_link)
    ]
    for answer in _together(calls):
        assert answer.status_code == 200, answer.text
        for x in answer.json()["results"]:
            assert x.get("client_id", rich["id"]) == rich["id"] and x.get("status", "applied") == "applied", x

    with cluster.db.read() as conn:
        ledger = loyalty_service.entries(conn, rich["id"])
        stored = [
            json.loads(row[0]) for row in sql(conn, "SELECT data FROM receipts WHERE fn = ?", (REDEEMING,)).fetchall()
        ]
    assert rules.check_ledger(ledger) == [], "a bucket was drawn below zero"
    spent = {d["id"]: d["points_spent"] for d in stored}
    assert all(d["client_id"] == rich["id"] for d in stored) and len(spent) == 12
    redeemed: dict[str, int] = {}
    for e in ledger:
        if e.kind == "redemption":
            rid = str(e.receipt_id)  # a redemption always names its receipt
            redeemed[rid] = redeemed.get(rid, 0) - e.points
    assert redeemed == {rid: k for rid, k in spent.items() if k}, "the ledger's redemptions differ from the receipts'"
    assert sum(spent.values()) == before, "she spent all she had (the receipts asked for four times as much)"
    left = rules.available_points(ledger, utcnow())
    assert left == 0 and _client(cluster.db, rich["id"])["points_balance"] >= 0


def test_concurrent_revisions_of_one_diary_entry_are_all_kept_in_one_order(cluster):
    client = _clients(cluster.db)[10]
    consultants = logins_of_store(0)
    entry = new_id()

    def diary(kind: str, payload: dict) -> dict:
        return {
            "id": new_id(),
            "kind": kind,
            "entity_id": entry,
            "payload": payload,
            "client_time": utcnow().isoformat(),
        }

    first = diary("diary.add", {"client_id": client["id"], "text": "первая запись"})
    r = cluster.post(0, "/v1/mutations", consultants[0], {"device_id": "pg-diary-0", "mutations": [first]})
    assert r.json()["results"][0]["status"] == "applied", r.text
    revisions = [diary("diary.revise", {"text": f"правка {k}"}) for k in range(9)]
    answers = _together(
        [
            partial(
                cluster.post,
                k,
                "/v1/mutations",
                (consultants[0], "manager1")[k % 2],  # its author or a manager (no one else may)
                {"device_id": f"pg-diary-{k}", "mutations": [m]},
            )
            for k, m in enumerate(revisions)
        ]
    )
    assert all(a.json()["results"][0]["status"] == "applied" for a in answers), [a.text for a in answers]
    with cluster.db.read() as conn:
        stored = [
            json.loads(row[0])
            for row in sql(
                conn, "SELECT data FROM records WHERE entity = 'diary_rev' AND owner_id = ?", (entry,)
            ).fetchall()
        ]
        published = json.loads(
            sql(
                conn,
                "SELECT data FROM feed WHERE entity = 'diary' AND entity_id = ? ORDER BY seq DESC LIMIT 1",
                (entry,),
            ).fetchone()[0]
        )
    assert sorted(rev["hub_order"] for rev in stored) == list(range(10)), "two revisions took the same place"
    assert sorted(rev["id"] for rev in published["revisions"]) == sorted([first["id"], *(m["id"] for m in revisions)])


def test_a_receipt_linked_while_the_till_uploads_it_finds_its_client(cluster):
    """The consultant scans the receipt the moment the till uploads it: whichever comes
    first, the receipt ends up hers (not a link that waits for a receipt stored without it)."""
    client = _clients(cluster.db)[12]
    consultants = logins_of_store(0)
    recs = [_receipt("9287000000000043", k, None, 0) for k in range(8)]
    calls = []
    for k, rec in enumerate(recs):
        calls.append(partial(cluster.post, k, "/v1/pos/receipts", "till1", {"receipts": [rec]}))
        calls.append(
            partial(
                cluster.post,
                k + 1,
                "/v1/mutations",
                consultants[k % len(consultants)],
                {"device_id": f"pg-scan-{k}", "mutations": [_link(client["id"], rec)]},
            )
        )
    for answer in _together(calls):
        assert answer.status_code == 200, answer.text
    with cluster.db.read() as conn:
        owners = [
            sql(conn, "SELECT client_id FROM receipts WHERE fn = ? AND i = ?", (r["fn"], r["i"])).fetchone()[0]
            for r in recs
        ]
    assert owners == [client["id"]] * len(recs), "a receipt was stored without the link made as it came"


def test_one_mutation_sent_to_every_worker_at_once_is_applied_once_and_logs_no_error(cluster):
    """A device's retry can reach another worker while the first try is still applying:
    one applies, the others answer with its answer as duplicates, and no worker logs the
    losers' failed insert of the answer as an internal error."""
    client = _clients(cluster.db)[14]
    for n in range(3):
        m = _update(client["id"], "notes", f"повтор {n}")
        body = {"device_id": "pg-retrying-device", "mutations": [m]}
        answers = _together([partial(cluster.post, k, "/v1/mutations", "demo", body) for k in range(HUBS)])
        statuses = sorted(a.json()["results"][0]["status"] for a in answers)
        assert statuses == ["applied"] + ["duplicate"] * (HUBS - 1), statuses
        assert _client(cluster.db, client["id"])["notes"] == f"повтор {n}"
    with cluster.db.read() as conn:
        rows = sql(conn, "SELECT count(*) FROM client_history WHERE client_id = ?", (client["id"],)).fetchone()
    assert rows[0] == 3
    for n in range(3):  # a diary entry: the loser's insert of the entry itself fails first
        m = {
            "id": new_id(),
            "kind": "diary.add",
            "entity_id": new_id(),
            "payload": {"client_id": client["id"], "text": f"запись {n}"},
            "client_time": utcnow().isoformat(),
        }
        body = {"device_id": "pg-retrying-device", "mutations": [m]}
        answers = _together([partial(cluster.post, k, "/v1/mutations", "demo", body) for k in range(HUBS)])
        assert [a.status_code for a in answers] == [200] * HUBS, [a.text for a in answers]
        statuses = sorted(a.json()["results"][0]["status"] for a in answers)
        assert statuses == ["applied"] + ["duplicate"] * (HUBS - 1), statuses
    logged = [line for log in cluster.logs for line in log.read_text(errors="replace").splitlines() if "failed" in line]
    assert not logged, logged


def test_one_phone_registered_by_several_tablets_at_once_is_flagged_as_pairs(cluster):
    """Each registration takes its phone's name first (sync.hub.duplicates.lock_contacts):
    without it, registrations side by side in different processes each missed the others'
    uncommitted client, and no pair was flagged."""
    consultants = logins_of_store(0)
    phone = f"+7925{uuid.uuid4().int % 10**7:07d}"
    ids = [new_id() for _ in range(4)]
    answers = _together(
        [
            partial(
                cluster.post,
                k,
                "/v1/mutations",
                consultants[k % len(consultants)],
                {
                    "device_id": f"pg-device-{k}",
                    "mutations": [
                        {
                            "id": new_id(),
                            "kind": "client.register",
                            "entity_id": cid,
                            "payload": {"store_id": STORE, "last_name": "Одна", "first_name": "Вера", "phone": phone},
                            "client_time": utcnow().isoformat(),
                        }
                    ],
                },
            )
            for k, cid in enumerate(ids)
        ]
    )
    for r in answers:
        assert r.status_code == 200 and r.json()["results"][0]["status"] == "applied", r.text
    with cluster.db.read() as conn:
        pairs = sql(
            conn,
            f"SELECT client_a, client_b FROM duplicate_pairs WHERE client_a IN ({', '.join('?' * 4)})",
            ids,
        ).fetchall()
    assert sorted(tuple(p) for p in pairs) == sorted(
        (a, b) for i, a in enumerate(sorted(ids)) for b in sorted(ids)[i + 1 :]
    )  # every two of the four, once
