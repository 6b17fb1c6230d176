"""Duplicates benchmark: the brand-wide lookup, the feed's third range (clients shared into a
store) and what the feed_client_seq index costs a write, on a seeded SQLite hub.

    python tests/bench/bench_duplicates.py [--clients 20000] [--lookups 300] [--shared 200]

1. Lookups: `duplicates.lookup` (as POST /v1/clients/lookup runs it, without HTTP and the
   rate-limit row) for random seeded clients by phone, by e-mail and by surname + name +
   birthday: p50 and p95 in ms.
2. A first sync of the second store (Невский) walked page by page (`feed.page`, 1,000
   rows), before and after `--shared` clients of Петровка are shared into it: seconds.
3. Feed writes: 2,000 transactions of two entities each (an update: history + client),
   with the feed_client_seq index and without it: ms per transaction.

Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sync.hub import demo, duplicates, feed, shares  # noqa: E402
from sync.hub.seed import seed  # noqa: E402
from sync.hub.storage import HubDB, sql  # noqa: E402
from sync.models import new_id  # noqa: E402
from sync.rules.matching import name_key  # noqa: E402


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def walk(db: HubDB, store: str) -> tuple[float, int]:
    t0, cursor, rows = time.perf_counter(), 0, 0
    with db.read() as conn:
        while True:
            page, cursor, more = feed.page(conn, store, cursor, 1000)
            rows += len(page)
            if not more:
                break
    return time.perf_counter() - t0, rows


def writes(db: HubDB, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        cid = new_id()
        with db.write() as conn:
            feed.publish(conn, "history", new_id(), "bench", {"client_id": cid, "field": "notes"})
            feed.publish(conn, "client", cid, "bench", {"id": cid})
    return (time.perf_counter() - t0) / n * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=20000)
    ap.add_argument("--lookups", type=int, default=300)
    ap.add_argument("--shared", type=int, default=200)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="vitrine-dup-bench-"))
    try:
        db = HubDB(str(folder / "hub.sqlite"))
        db.migrate()
        seed(db, n_clients=args.clients, log=None)
        own, other = demo.stores(1)[0]["id"], demo.stores(1)[1]["id"]
        brand = demo.brands(1)[0]["id"]
        with db.read() as conn:
            clients = [json.loads(r[0]) for r in sql(conn, "SELECT data FROM clients WHERE store_id = ?", (own,))]
        rnd = random.Random(1)
        out: dict = {"clients": args.clients}
        for kind in ("phone", "email", "name_birthday"):
            sample = [c for c in rnd.sample(clients, min(len(clients), args.lookups * 3)) if c.get("email")]
            times, found = [], 0
            for c in sample[: args.lookups]:
                crit = duplicates.Criteria(
                    phone=c.get("phone") if kind == "phone" else None,
                    email=c.get("email") if kind == "email" else None,
                    name_key=name_key(c) if kind == "name_birthday" else None,
                )
                t0 = time.perf_counter()
                with db.read() as conn:
                    got = duplicates.lookup(conn, brand, other, crit)
                times.append((time.perf_counter() - t0) * 1000)
                found += any(m["client_id"] == c["id"] for m in got)
            out[f"lookup_{kind}"] = {"p50_ms": round(pct(times, 0.5), 3), "p95_ms": round(pct(times, 0.95), 3)}
            out[f"lookup_{kind}"]["found"] = f"{found}/{len(times)}"
        before, rows_before = walk(db, other)
        with db.write() as conn:
            for c in clients[: args.shared]:
                shares.add(conn, c["id"], other, "bench")
        after, rows_after = walk(db, other)
        out["first_sync_other_store"] = {
            "rows_before": rows_before,
            "s_before": round(before, 3),
            "rows_after": rows_after,
            "s_after": round(after, 3),
            "shared": args.shared,
        }
        with_index = writes(db, 2000)
        with db.write() as conn:
            conn.exec_driver_sql("DROP INDEX feed_client_seq")
        without = writes(db, 2000)
        out["feed_write_ms"] = {"with_client_index": round(with_index, 3), "without": round(without, 3)}
        for k, v in out.items():
            print(f"{k}: {v}")
        print(json.dumps(out))
        db.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
