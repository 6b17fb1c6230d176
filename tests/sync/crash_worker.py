"""The app's sync process, reduced to what a crash can hurt; tests/sync/test_crash.py SIGKILLs it.

    python tests/sync/crash_worker.py --cache C --log L --hub URL --token T --device-id D --store S

It opens the cache, then loops: a burst of local writes (profile updates, registrations,
diary entries, each one row + outbox mutation in one transaction), then one sync round
(push the outbox, pull the feed), for ever. After each local write commits it appends
"<mutation id> <kind> <entity id>" to the log file and fsyncs it, so the log lists only
mutations the cache had committed. It prints a phase marker line before each step it
can be killed in (opened, write, push, pushed, record_results, pull, pulled, apply_page,
synced), so the test can aim its kills.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.cache import clients, pages, records, replica, sync_state  # noqa: E402
from app.cache.replica import CacheReplica  # noqa: E402
from app.cache.store import Cache  # noqa: E402
from app.sync_engine import SyncEngine  # noqa: E402
from app.sync_engine import engine as engine_mod  # noqa: E402
from sync.client import HubClient, HubError  # noqa: E402
from sync.models import ClientProfile, new_id  # noqa: E402
from tests.sync.helpers import TEST_KEY  # noqa: E402


def mark(phase: str) -> None:
    sys.stdout.write(phase + "\n")
    sys.stdout.flush()


class CommitLog:
    def __init__(self, path: str):
        self.path = path

    def add(self, mid: str, kind: str, entity_id: str) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(f"{mid} {kind} {entity_id}\n")
            f.flush()
            os.fsync(f.fileno())


def _register(db, profile: ClientProfile, store_id: str) -> tuple[str, str]:
    cid = clients.register_client(db, profile, store_id)
    mid = db.execute("SELECT id FROM outbox WHERE entity_id = ? AND kind = 'client.register'", [cid]).fetchone()[0]
    return cid, mid


def _known_clients(db) -> list[str]:
    return [
        r[0]
        for r in db.execute(
            "SELECT id FROM clients WHERE store_id = ? ORDER BY random() LIMIT 50",
            [sync_state.get_state(db, "crash_store")],
        )
    ]


async def main() -> None:
    ap = argparse.ArgumentParser()
    for name in ("cache", "log", "hub", "token", "device-id", "store"):
        ap.add_argument(f"--{name}", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pull-limit", type=int, default=engine_mod.PULL_LIMIT)
    ap.add_argument("--push-batch", type=int, default=engine_mod.PUSH_BATCH)
    ap.add_argument("--bulk-min", type=int, default=engine_mod.BULK_MIN_ROWS)
    args = ap.parse_args()
    engine_mod.BULK_MIN_ROWS = args.bulk_min  # big pulls load in bulk: kills land in those too
    engine_mod.PULL_LIMIT = args.pull_limit  # several pages per pull: kills land between them
    engine_mod.FILE_LIMIT = args.pull_limit  # (a first sync's pages are SQLite files)
    engine_mod.PUSH_BATCH = args.push_batch

    cache = Cache(args.cache, TEST_KEY)
    await cache.write(sync_state.set_state, "crash_store", args.store)
    mark("opened")
    client = HubClient(args.hub, args.token, timeout=30)
    engine = SyncEngine(CacheReplica(cache), client, args.device_id)

    write = cache.write

    # Markers from inside the writer's transactions: the engine's CacheReplica calls these
    # through their modules, in the cache's writer thread, before the transaction commits.
    def marked(fn):
        def wrapper(db, *a):
            mark(fn.__name__)
            return fn(db, *a)

        return wrapper

    pages.apply_page = marked(pages.apply_page)
    pages.apply_page_file = marked(pages.apply_page_file)
    replica.record_results = marked(replica.record_results)
    push, changes = client.push, client.pull_page

    async def marked_push(*a, **kw):
        mark("push")
        out = await push(*a, **kw)
        mark("pushed")
        return out

    async def marked_changes(*a, **kw):
        mark("pull")
        out = await changes(*a, **kw)
        mark("pulled")
        return out

    client.push, client.pull_page = marked_push, marked_changes  # type: ignore[method-assign]
    log = CommitLog(args.log)
    rnd = random.Random(args.seed)
    n = 0
    while True:
        known = await cache.read(_known_clients)
        for _ in range(rnd.randint(1, 25)):
            mark("write")
            n += 1
            op = rnd.random()
            if not known or op < 0.15:
                cid, mid = await write(
                    _register, ClientProfile(last_name="Крашева", first_name=f"Ольга {n}"), args.store
                )
                log.add(mid, "client.register", cid)
                known.append(cid)
            elif op < 0.75:
                cid = rnd.choice(known)
                update = await write(clients.update_client, cid, {"notes": f"{args.seed}-{n}"})
                if update is not None:  # None: nothing changed, nothing queued
                    log.add(update, "client.update", cid)
            else:
                cid = rnd.choice(known)
                entry = new_id()
                mid = await write(
                    records.add_record,
                    "diary",
                    "diary.add",
                    entry,
                    cid,
                    {"id": entry, "client_id": cid, "text": f"запись {n}"},
                    {"client_id": cid, "text": f"запись {n}"},
                )
                log.add(mid, "diary.add", entry)
        try:
            await engine.sync_once()
            mark("synced")
        except HubError as e:
            mark(f"error {e}")
            await asyncio.sleep(0.05)


if __name__ == "__main__":
    asyncio.run(main())
