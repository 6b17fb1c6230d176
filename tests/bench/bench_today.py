"""Today benchmark: a consultant's task list computed from a real, encrypted 100,000-client cache.

    python tests/bench/bench_today.py [--clients 100000] [--consultants 20] [--runs 30] [--keep DIR]

1. Builds the cache as a first sync does (bulk load, pages through `pages.apply_page`, then
   `finish_bulk`): one store's clients drawn by sync.hub.demo (names, birthdays, consents,
   sizes, brands) with hub figures (tier, spend, last visit) spread over `--consultants`
   consultants (2% nobody's), each client's last purchase as a receipt, an account with
   expiring points for ~12% (the hub lists those of the next 30 days), diary follow-ups,
   earlier task outcomes, the brand's rules and a campaign list of 300 clients for her.
2. Opens it afresh and times `app.cache.today.compute` for one consultant (as the Today
   screen calls it, in a reader): once cold, then `--runs` times.

Ends with one JSON line: today_ms (median), today_p95_ms, today_cold_ms, clients, tasks
(her open tasks over all rules), with the per-rule counts beside them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_MS = 200.0
KEY = hashlib.sha256(b"vitrine-bench-today").digest()
BATCH = 5000


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * len(s) + 0.5) - 1))
    return s[k]


def build(path: str, n: int, n_cons: int, seed: int, now: dt.datetime) -> dict:
    import msgspec

    from app.cache import bulk_load, pages
    from app.cache.store import Cache
    from sync.hub import demo
    from sync.page import FeedRow
    from sync.rules import today as rules

    rnd = random.Random(seed)
    store = demo.stores(seed)[0]["id"]
    cons = [demo.stable_id("bench-consultant", k) for k in range(n_cons)]
    me = cons[0]
    day = rules.local_today(now)
    t0 = time.perf_counter()
    cache = Cache(path, KEY)
    cache.write_sync(bulk_load.begin_bulk)
    seq = 0
    rows: list[FeedRow] = []
    pending = None
    mine: list[str] = []

    def row(entity: str, eid: str, data: dict, client_id: str | None) -> None:
        nonlocal seq
        seq += 1
        raw = msgspec.Raw(json.dumps(data, ensure_ascii=False).encode())
        rows.append(FeedRow(seq, entity, eid, False, raw, client_id))

    def flush(force: bool = False) -> None:
        nonlocal rows, pending
        if rows and (force or len(rows) >= BATCH):
            if pending is not None:
                pending.result()
            pending = cache.submit(pages.apply_page, rows, seq)
            rows = []

    staff = [{"id": c, "name": f"Консультант {k}", "role": "consultant"} for k, c in enumerate(cons)]
    row("task_rules", store, {"id": store, **rules.TaskSettings().to_data(), "staff": staff}, None)
    for i, c in enumerate(demo.iter_clients(n, seed, now)):
        owner = None if rnd.random() < 0.02 else cons[i % n_cons]
        tier = rnd.choices(["Silver", "Gold", "Platinum"], [0.62, 0.28, 0.10])[0]
        visit = day - dt.timedelta(days=int(rnd.expovariate(1 / 120)))
        spend = rnd.randrange(0, 80_000_000) if tier == "Silver" else rnd.randrange(20_000_000, 400_000_000)
        consents = dict(c["consents"])
        if rnd.random() < 0.7:  # most signed the questionnaire; the rest are migrated or quick cards
            consents["processing"] = {"granted": True, "date": c["created_at"][:10]}
        client = {
            **c,
            "store_id": store,
            "consultant_id": owner,
            "consents": consents,
            "tier": tier,
            "points_balance": rnd.randrange(0, 50_000),
            "pending_points": 0,
            "spend_12m": spend,
            "last_visit": visit.isoformat(),
        }
        cid = c["id"]
        if owner == me:
            mine.append(cid)
        row("client", cid, client, None)
        at = dt.datetime.combine(visit, dt.time(12, rnd.randrange(60)), dt.UTC).isoformat()
        rid = demo.stable_id("bench-receipt", i)
        row("receipt", rid, {"id": rid, "client_id": cid, "store_id": store, "at": at, "total": 5_000_000}, cid)
        if rnd.random() < 0.12:
            first = now + dt.timedelta(days=rnd.randrange(0, 30), hours=rnd.randrange(24))
            expiring = [{"points": rnd.randrange(100, 9000), "at": first.isoformat()}]
            if rnd.random() < 0.3:
                expiring.append({"points": 500, "at": (first + dt.timedelta(days=9)).isoformat()})
            row("account", cid, {"tier": tier, "balance": client["points_balance"], "expiring": expiring}, cid)
        if owner == me and rnd.random() < 0.05:  # her diary follow-ups, some due
            eid = demo.stable_id("bench-diary", i)
            due = (day + dt.timedelta(days=rnd.randrange(-10, 30))).isoformat()
            entry = {"id": eid, "client_id": cid, "text": "Позвонить о новой коллекции", "follow_up": due}
            entry |= {"follow_up_done": False, "author_id": me, "author_name": "Консультант 0", "deleted": False}
            entry |= {"created_at": now.isoformat(), "updated_at": now.isoformat(), "tags": [], "revisions": []}
            row("diary", eid, entry, cid)
        flush()
    # earlier outcomes of hers (done profile tasks), and a manager's list for her
    for cid in mine[: len(mine) // 10]:
        key = rules.task_key(rules.PROFILE, cid, "profile")
        oid = rules.outcome_id(store, key)
        row("task_outcome", oid, {"id": oid, "task_key": key, "client_id": cid, "status": "done"}, cid)
    lid = demo.stable_id("bench-list", 1)
    chosen = mine[:300]
    row(
        "task_list",
        lid,
        {"id": lid, "name": "Gold и Platinum — закрытая распродажа", "client_ids": chosen, "assignees": [me]},
        None,
    )
    flush(force=True)
    if pending is not None:
        pending.result()
    t1 = time.perf_counter()
    cache.write_sync(bulk_load.finish_bulk)
    t2 = time.perf_counter()
    cache.close()
    print(f"  built {n:,} clients ({len(mine):,} hers) in {t1 - t0:.0f} s + indexes {t2 - t1:.0f} s", file=sys.stderr)
    return {"me": me, "mine": len(mine), "build_s": round(t2 - t0, 1)}


def measure(path: str, me: str, now: dt.datetime, runs: int) -> dict:
    from app.cache import today
    from app.cache.store import Cache

    cache = Cache(path, KEY)
    t = time.perf_counter()
    view = cache.read_sync(today.compute, me, now)
    cold = (time.perf_counter() - t) * 1000
    times, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.thread_time()
        view = cache.read_sync(today.compute, me, now)  # runs in this thread
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    cache.close()
    return {"view": view, "cold": cold, "times": times, "cpu": cpu}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=100_000)
    ap.add_argument("--consultants", type=int, default=20)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", help="build the cache in this folder and keep it")
    args = ap.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="vitrine-bench-today-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = str(folder / "cache.sqlite")
    now = dt.datetime.now(dt.UTC)
    try:
        built = build(path, args.clients, args.consultants, args.seed, now)
        m = measure(path, built["me"], now, args.runs)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    view = m["view"]
    med, p95 = statistics.median(m["times"]), pct(m["times"], 95)
    print(f"\nclients {args.clients:,}, hers {built['mine']:,}, consultants {args.consultants}")
    print(f"{'rule':22} {'tasks':>7}")
    for rule, count in view.counts.items():
        print(f"{rule:22} {count:7d}")
    ok = "ok" if med <= TARGET_MS else "MISSED"
    print(
        f"today: cold {m['cold']:.1f} ms; median {med:.1f} ms, p95 {p95:.1f} ms, cpu p95 {pct(m['cpu'], 95):.1f} ms"
        f" over {args.runs} runs  (target <= {TARGET_MS:g} ms: {ok})"
    )
    print(
        json.dumps(
            {
                "today_ms": round(med, 2),
                "today_p95_ms": round(p95, 2),
                "today_cold_ms": round(m["cold"], 2),
                "today_cpu_p95_ms": round(pct(m["cpu"], 95), 2),
                "clients": args.clients,
                "her_clients": built["mine"],
                "tasks": view.total,
                "by_rule": view.counts,
                "build_s": built["build_s"],
            }
        )
    )


if __name__ == "__main__":
    main()
