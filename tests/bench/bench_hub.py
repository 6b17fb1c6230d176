"""Hub load benchmark: simulated tablets pulling and pushing, tills posting receipts.

    python tests/bench/bench_hub.py [--tablets 200] [--seconds 30] [--receipts-per-s 300]

For each database (SQLite, and PostgreSQL where it can be started here) it starts a real
hub (`python -m sync.hub serve --workers W`) on loopback, seeds it, and runs the load from
this process with asyncio + httpx: every tablet makes one request a second (mostly a pull
of the change feed from its cursor, sometimes a push of one or two mutations), and the
tills post receipts in batches of ten at the target rate. Prints per-database figures and
one JSON line each: {"db", "tablets", "rps", "p50_ms", "p99_ms", "receipts_per_s"}.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sync.hub import demo  # noqa: E402
from sync.hub.seed import seed  # noqa: E402
from sync.hub.storage import HubDB  # noqa: E402
from sync.models import new_id, utcnow  # noqa: E402
from tests.bench.loadgen import Conn  # noqa: E402
from tests.conftest import free_port, wait_http  # noqa: E402

PROTO = {"X-Vitrine-Protocol": "1"}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def login(url: str, who: str, password: str) -> dict:
    async with httpx.AsyncClient(base_url=url) as http:
        r = await http.post("/v1/auth/login", json={"login": who, "password": password})
        r.raise_for_status()
        return r.json()


async def tablet(
    port: int, n: int, token: dict, cursor: int, client_ids: list[str], stop: float, lat: list[float], errors: list[str]
) -> None:
    rnd = random.Random(n)
    http = Conn("127.0.0.1", port)
    headers = {**PROTO, "Authorization": f"Bearer {token['access_token']}"}
    device = token["device_id"]  # the hub's, bound to the session (tablets sharing a login share it)
    await asyncio.sleep(rnd.random())  # spread the tablets over the second
    while time.monotonic() < stop:
        t0 = time.monotonic()
        try:
            if rnd.random() < 0.2:
                cid = rnd.choice(client_ids)
                muts = [
                    {
                        "id": new_id(),
                        "kind": "client.update",
                        "entity_id": cid,
                        "payload": {"fields": {"notes": f"заметка {rnd.randrange(10**6)}"}},
                        "client_time": utcnow().isoformat(),
                    }
                ]
                status, body = await http.request(
                    "POST", "/v1/mutations", {"device_id": device, "mutations": muts}, headers
                )
            else:
                status, body = await http.request(
                    "GET", "/v1/changes", headers=headers, params={"cursor": cursor, "limit": 500}
                )
                if status == 200:
                    cursor = json.loads(body)["next_cursor"]
            lat.append((time.monotonic() - t0) * 1000)
            if status >= 400:
                errors.append(f"{status} {body[:100]!r}")
        except OSError as e:
            errors.append(type(e).__name__)
        # Never past `stop`: the run's elapsed time is when the last task ends, and a
        # last sleep of up to a second made every rate read ~1/seconds too low.
        await asyncio.sleep(max(0.0, min(t0 + 1.0, stop) - time.monotonic()))
    await http.close()


async def till(
    port: int,
    n: int,
    token: dict,
    store_id: str,
    rate: float,
    stop: float,
    posted: list[int],
    lat: list[float],
    errors: list[str],
) -> None:
    """One till posting batches of ten at `rate` receipts/s (many tills run side by side)."""
    http = Conn("127.0.0.1", port)
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    batch, k = 10, 0
    interval = batch / rate
    # Each till at its own phase, as the tablets are spread over the second: tills are
    # independent, and starting all 30 at the same instant made them post in lockstep, a
    # burst of every till's batch in the same millisecond, every interval.
    await asyncio.sleep(random.Random(10_000 + n).random() * interval)
    next_at = time.monotonic()
    while time.monotonic() < stop:
        receipts = []
        for _ in range(batch):
            k += 1
            receipts.append(
                {
                    "store_id": store_id,
                    "fn": f"{9990000000000000 + n:016d}",
                    "i": str(k),
                    "fp": str(1_000_000 + k),
                    "at": utcnow().isoformat(),
                    "total": 1_500_000,
                    "type": 1,
                    "lines": [{"sku": "SKU-1", "name": "Платок", "price": 1_500_000}],
                }
            )
        t0 = time.monotonic()
        try:
            status, body = await http.request("POST", "/v1/pos/receipts", {"receipts": receipts}, headers)
            lat.append((time.monotonic() - t0) * 1000)
            if status == 200:
                posted.append(len(receipts))
            else:
                errors.append(f"{status} {body[:100]!r}")
        except OSError as e:
            errors.append(type(e).__name__)
        next_at += interval
        await asyncio.sleep(max(0.0, min(next_at, stop) - time.monotonic()))
    await http.close()


async def load(url: str, tablets: int, seconds: float, receipts_per_s: float, head: int, client_ids: list[str]) -> dict:
    port = int(url.rsplit(":", 1)[1])
    consultants = [c for c in demo.consultants(1)]
    tokens = [await login(url, c["login"], c["password"]) for c in consultants]
    tills = [await login(url, f"till{i + 1}", demo.CONSULTANT_PASSWORD) for i in range(3)]
    stores = [s["id"] for s in demo.stores(1)]
    lat: list[float] = []
    till_lat: list[float] = []
    errors: list[str] = []
    posted: list[int] = []
    # The load generator's own collector paused every in-flight request it was timing (a
    # full collection over the seeded, imported heap took ~90 ms, counted as hub latency).
    gc.collect()
    gc.freeze()
    t0 = time.monotonic()
    stop = t0 + seconds
    n_tills = 30
    tasks = [tablet(port, n, tokens[n % len(tokens)], head, client_ids, stop, lat, errors) for n in range(tablets)]
    tasks += [
        till(port, i, tills[i % 3], stores[i % 3], receipts_per_s / n_tills, stop, posted, till_lat, errors)
        for i in range(n_tills)
    ]
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - t0
    return {
        "requests": len(lat) + len(till_lat),
        "rps": round((len(lat) + len(till_lat)) / elapsed, 1),
        "tablet_rps": round(len(lat) / elapsed, 1),
        "p50_ms": round(pct(lat, 0.50), 2),
        "p99_ms": round(pct(lat, 0.99), 2),
        "till_p99_ms": round(pct(till_lat, 0.99), 2),
        "receipts_per_s": round(sum(posted) / elapsed, 1),
        "errors": len(errors),
        "error_sample": errors[:3],
    }


def run_db(kind: str, url: str, folder: Path, args) -> dict:
    db = HubDB(url)
    db.migrate()
    t = time.monotonic()
    counts = seed(db, n_clients=args.clients, log=None)
    print(f"[{kind}] seeded {counts} in {time.monotonic() - t:.1f}s", flush=True)
    with db.read() as conn:
        head = conn.exec_driver_sql("SELECT max(seq) FROM feed").scalar_one()
        store0 = demo.stores(1)[0]["id"]
        client_ids = [
            r[0]
            for r in conn.execute(
                text("SELECT id FROM clients WHERE store_id = :store LIMIT 500"), {"store": store0}
            ).fetchall()
        ]
    db.dispose()
    port = free_port()
    # SQLite: one process (writers queue on an in-process lock instead of SQLite's sleeping
    # busy handler); PostgreSQL: several stateless workers.
    workers = 1 if kind == "sqlite" else args.workers
    # The hub writes to its own copy of the log's descriptor; ours can close at once.
    with open(folder / f"hub-{kind}.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sync.hub", "serve", "--db", url, "--port", str(port), "--workers", str(workers)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/healthz")
        figures = asyncio.run(load(base, args.tablets, args.seconds, args.receipts_per_s, head, client_ids))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return {"db": kind, "tablets": args.tablets, **figures}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tablets", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--receipts-per-s", type=float, default=300)
    ap.add_argument("--clients", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument(
        "--pg-settings",
        help="PostgreSQL server options (default: tests.pg.CRASH_SAFE), "
        "e.g. '-c synchronous_commit=on' for commits that wait for their flush",
    )
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="vitrine-bench-hub-") as tmp:
        folder = Path(tmp)
        if args.db in ("sqlite", "both"):
            results.append(run_db("sqlite", str(folder / "hub.sqlite"), folder, args))
        if args.db in ("postgresql", "both"):
            try:
                from tests.pg import CRASH_SAFE, start_postgres

                pg_dir = Path(tempfile.mkdtemp(prefix="vitrine-pg-"))
                server = start_postgres(pg_dir, args.pg_settings or CRASH_SAFE)
            except Exception as e:  # noqa: BLE001
                print(f"PostgreSQL not available here ({e}); skipped", flush=True)
            else:
                try:
                    results.append(run_db("postgresql", server.url, folder, args))
                finally:
                    server.stop()
                    shutil.rmtree(pg_dir, ignore_errors=True)
    print()
    print(f"{'db':<11}{'tablets':>8}{'rps':>8}{'p50 ms':>9}{'p99 ms':>9}{'till p99':>10}{'rcpt/s':>8}{'errors':>8}")
    for r in results:
        print(
            f"{r['db']:<11}{r['tablets']:>8}{r['rps']:>8}{r['p50_ms']:>9}{r['p99_ms']:>9}{r['till_p99_ms']:>10}"
            f"{r['receipts_per_s']:>8}{r['errors']:>8}"
        )
    print("targets: 200 tablets at 1 req/s each with p99 < 100 ms; 300 receipts/s ingested")
    for r in results:
        print(json.dumps({k: r[k] for k in ("db", "tablets", "rps", "p50_ms", "p99_ms", "receipts_per_s")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
