"""Chaos: several devices sync through a fault-injecting proxy; nothing is lost or doubled.

One *round* is one seed's scenario. Two to four devices (each its own cache file,
HubClient, SyncEngine, device id and login; some carried over from the previous round,
some fresh with an empty cache) pull their store through the proxy, make random
offline edits -- profile updates, registrations, diary entries and revisions, receipt
links, signed forms, now and then a mutation the hub must refuse -- and try to sync
whenever the dice say so, while a till uploads receipts straight to the hub. The proxy
drops connections mid-request and mid-response, answers 500 before and after the hub
did the work, delays, stalls past the device's timeout and delivers late, and sends
requests to the hub twice. Then the run settles (late deliveries land, every device
syncs through a clean connection until its outbox holds nothing but rejections) and the
invariants are checked against the hub's own tables:

* every mutation a device queued is on the hub exactly once, applied or rejected with a
  reason the device also holds; nothing else from those devices is there;
* effects happened once: diary revisions equal the diary mutations made, each update's
  history rows are one per changed field and chain old -> new in hub order, the final
  value of every edited field is the last write in hub order, registered clients exist
  once with what was typed, a receipt's first link wins and no ledger entry is doubled;
* every device's cache equals the hub's view of its store.

Rounds share one hub (it grows as they go) and run in chunks of ROUNDS_PER_CHUNK, on a
SQLite hub (one process) and on a PostgreSQL hub with two worker processes, where two
devices' mutations on one client really run at once (there "hub order" is the order of
the client's row lock: see HubView.mutations). VITRINE_CHAOS_ROUNDS (default 200),
VITRINE_CHAOS_PG_ROUNDS (default 100) and VITRINE_CHAOS_SEED (default 1000) change the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import os
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sync.client import HubError
from sync.models import new_id
from tests.sync.faulty_proxy import FAULTS, FaultyProxy
from tests.sync.helpers import (
    CONSULTANTS,
    STORES,
    Device,
    compare_cache_with_hub,
    logins_of_store,
    post_receipts,
    till_of,
    till_receipt,
)

ROUNDS = int(os.environ.get("VITRINE_CHAOS_ROUNDS", "200"))
PG_ROUNDS = int(os.environ.get("VITRINE_CHAOS_PG_ROUNDS", "100"))
BASE_SEED = int(os.environ.get("VITRINE_CHAOS_SEED", "1000"))
ROUNDS_PER_CHUNK = 10
CHUNKS = {"sqlite": max(1, -(-ROUNDS // ROUNDS_PER_CHUNK)), "postgresql": max(1, -(-PG_ROUNDS // ROUNDS_PER_CHUNK))}

RATES = {
    "drop_request": 0.05,
    "drop_response": 0.06,
    "error_500": 0.04,
    "error_500_after": 0.04,
    "delay": 0.06,
    "duplicate": 0.08,
    "stall": 0.005,
}
DEVICE_TIMEOUT = 0.8  # a stalled request is given up after this...
STALL_S = 0.9  # ...and delivered to the hub 0.45-1.35 s later anyway
MAX_DELAY_S = 0.1

TOTALS: Counter[str] = Counter()  # over the whole session, for the summary line


@dataclass
class Made:
    device: Device
    id: str
    kind: str
    entity_id: str
    payload: dict
    expect: str = "applied"  # applied | rejected:<code> | link


@dataclass
class Round:
    seed: int
    rnd: random.Random
    pools: dict[str, list[str]]
    made: list[Made] = field(default_factory=list)
    registered: dict[str, dict] = field(default_factory=dict)
    receipts: list[dict] = field(default_factory=list)  # the till's receipts of this round
    lost_blobs: list[tuple[Device, str, bytes]] = field(default_factory=list)


NOTES = [
    "любит синий",
    "размер 44",
    "звонить после 18:00",
    "ждёт коллекцию весна",
    "предпочитает Loro Piana",
    "подарок мужу",
    "аллергия на шерсть",
    "VIP-приглашение на показ",
]
NAMES = [
    ("Смирнова", "Анна"),
    ("Кузнецова", "Мария"),
    ("Попова", "Елена"),
    ("Волкова", "Ольга"),
    ("Соколова", "Дарья"),
    ("Лебедева", "Ирина"),
    ("Морозова", "Виктория"),
]


def _random_fields(rnd: random.Random) -> dict:
    choice = rnd.randrange(7)
    if choice == 0:
        return {"notes": f"{rnd.choice(NOTES)} #{rnd.randrange(1000)}"}
    if choice == 1:
        return {"email": f"c{rnd.randrange(10**6)}@example.ru"}
    if choice == 2:
        return {"styles": rnd.sample(["классика", "кэжуал", "вечерний", "минимализм"], rnd.randint(1, 2))}
    if choice == 3:
        return {"colours": rnd.sample(["чёрный", "бежевый", "синий", "бордо"], rnd.randint(1, 3))}
    if choice == 4:
        return {"sizes": {"clothing": rnd.choice(["42", "44", "46"]), "shoe": rnd.choice(["37", "38", "39"])}}
    if choice == 5:
        return {"middle_name": rnd.choice(["Сергеевна", "Андреевна", None])}
    return {"notes": f"{rnd.choice(NOTES)} #{rnd.randrange(1000)}", "email": f"n{rnd.randrange(10**6)}@example.ru"}


def _queued_payload(db, mid: str) -> str:
    return db.execute("SELECT payload FROM outbox WHERE id = ?", [mid]).fetchone()[0]


def _registration(db, cid: str) -> str:
    """The id of the mutation that registers the client."""
    return db.execute("SELECT id FROM outbox WHERE entity_id = ? AND kind = 'client.register'", [cid]).fetchone()[0]


async def _device_ops(r: Round, d: Device, n_ops: int, sync_p: float) -> None:
    """One device's offline edits, with sync attempts through the proxy in between."""
    rnd = random.Random(r.rnd.random())
    own_clients = list(r.pools[d.store_id])
    my_entries: list[tuple[str, str]] = []
    for _ in range(n_ops):
        await asyncio.sleep(rnd.uniform(0, 0.01))
        op = rnd.choices(
            ["update", "register", "diary", "revise", "link", "form", "bad", "contact"], [30, 8, 12, 12, 14, 5, 4, 4]
        )[0]
        cid = rnd.choice(own_clients + [c for c, v in r.registered.items() if v["device"] is d])
        if op == "update":
            fields = _random_fields(rnd)
            mid = await d.update(cid, **fields)
            if mid is not None:
                payload = json.loads(d.cache.read_sync(_queued_payload, mid))
                r.made.append(Made(d, mid, "client.update", cid, payload))
        elif op == "register":
            last, first = rnd.choice(NAMES)
            email = f"r{rnd.randrange(10**6)}@example.ru"
            new = await d.register(last, first, email=email)
            mid = d.cache.read_sync(_registration, new)
            r.registered[new] = {"device": d, "last_name": last, "first_name": first, "email": email}
            r.made.append(Made(d, mid, "client.register", new, {"last_name": last}))
        elif op == "diary":
            entry, mid = await d.diary_add(cid, f"{rnd.choice(NOTES)} ({d.device_id[-4:]})")
            my_entries.append((entry, cid))
            r.made.append(Made(d, mid, "diary.add", entry, {}))
        elif op == "revise":
            me = CONSULTANTS.get(d.login, {}).get("id")  # only its author (or a manager) revises an entry
            known = my_entries + [
                (e["id"], e["client_id"])
                for e in d.entities("diary")
                if e.get("client_id") in r.pools[d.store_id] and not e.get("pending") and e.get("author_id") == me
            ]
            if not known:
                continue
            entry, owner = rnd.choice(known)
            if rnd.random() < 0.1:
                mid = await d.raw("diary.delete", entry, {})
                r.made.append(Made(d, mid, "diary.delete", entry, {}))
            else:
                mid = await d.diary_revise(entry, owner, f"правка {rnd.randrange(10**5)} ({d.device_id[-4:]})")
                r.made.append(Made(d, mid, "diary.revise", entry, {}))
        elif op == "link":
            # A consultant scans her own boutique's receipts. (Cross-store links whose receipt
            # a till then names for another store's client hit a known hub bug: see
            # test_engine.test_a_link_overruled_by_another_stores_till_reaches_the_linking_device.)
            mine = [x for x in r.receipts if x["store_id"] == d.store_id]
            if not mine:
                continue
            rec = rnd.choice(mine)
            mid = await d.link_receipt(cid, rec["fn"], rec["i"], rec["fp"])
            r.made.append(Made(d, mid, "receipt.link", rec["fn"] + "/" + rec["i"], {"client_id": cid}, "link"))
        elif op == "form":
            signature = f"подпись {new_id()}".encode()
            form_id, mid = await d.sign_form(cid, signature)
            if rnd.random() < 0.4:  # the signature file shows up only later: the hub makes it wait
                sha = hashlib.sha256(signature).hexdigest()
                r.lost_blobs.append((d, sha, d.blobs.pop(sha)))
            r.made.append(Made(d, mid, "form.sign", form_id, {}))
        elif op == "contact":
            mid = await d.raw(
                "contact.log", new_id(), {"client_id": cid, "channel": "calls", "text": f"звонок {rnd.randrange(1000)}"}
            )
            r.made.append(Made(d, mid, "contact.log", "", {}))
        else:
            if rnd.random() < 0.5:
                mid = await d.raw("client.update", cid, {"fields": {"email": "это не почта"}})
                r.made.append(Made(d, mid, "client.update", cid, {}, "rejected:invalid_payload"))
            else:
                mid = await d.raw("client.merge", cid, {"into": new_id()})
                r.made.append(Made(d, mid, "client.merge", cid, {}, "rejected:unknown_kind"))
        if rnd.random() < sync_p:
            await _try_sync(d)
    await _try_sync(d)


async def _try_sync(d: Device) -> None:
    with contextlib.suppress(HubError):  # offline, a 500, a timeout: the outbox keeps everything for the next try
        await d.engine.sync_once()


async def _initial_pull(d: Device) -> None:
    for _ in range(40):
        try:
            await d.engine.sync_once()
            return
        except HubError:
            await asyncio.sleep(0.01)
    raise AssertionError(f"{d.device_id} could not make its first pull through the proxy")


async def _till(r: Round, hub, plan: list[tuple[dict, float]]) -> None:
    for receipt, at in sorted(plan, key=lambda x: x[1]):
        await asyncio.sleep(at)
        await asyncio.to_thread(post_receipts, hub.url, hub.token(till_of(receipt["store_id"])), [receipt])


class Fleet:
    """The devices of one chunk of rounds. A round uses two to four of them; each is either
    carried over from an earlier round (it syncs incrementally from its cursor) or, by
    chance or when first needed, a fresh one (new device id, empty cache, pull from 0)."""

    def __init__(self, hub, folder: Path):
        self.hub, self.folder = hub, folder
        self.slots: dict[int, Device] = {}
        self.made: set[tuple[str, str]] = set()  # every (device id, mutation id) made so far
        self.statuses: Counter[str] = Counter()  # answers the devices got
        self.fresh = 0

    def device(self, slot: int, rnd: random.Random, proxy_url: str) -> tuple[Device, Device | None]:
        """The device for a slot this round, and the one it replaced (to close), if any."""
        old = self.slots.get(slot)
        if old is not None and rnd.random() >= 0.3:
            old.connect(proxy_url, timeout=DEVICE_TIMEOUT)
            return old, None
        logins = logins_of_store(0) if slot < 2 else logins_of_store(0) + logins_of_store(1)
        login = rnd.choice(logins)
        d = Device(self.folder, login, base_url=proxy_url, timeout=DEVICE_TIMEOUT, **self.hub.device_args(login))
        push = d.client.push

        async def counted(device_id, mutations, _push=push):
            resp = await _push(device_id, mutations)
            self.statuses.update(x.status for x in resp.results)
            return resp

        d.client.push = counted  # type: ignore[method-assign]
        self.slots[slot] = d
        self.fresh += 1
        return d, old

    async def close(self) -> None:
        for d in self.slots.values():
            await d.close()
        self.slots.clear()


async def run_round(seed: int, hub, proxy: FaultyProxy, fleet: Fleet, store_clients: dict[str, list[str]]) -> dict:
    rnd = random.Random(seed)
    pools = {s: rnd.sample(store_clients[s], 3) for s in STORES[:2]}
    r = Round(seed, rnd, pools)
    # the receipts of this round: some at the till already, some come during the round,
    # some never; a few name their client by phone (the till links them itself)
    plan: list[tuple[dict, float]] = []
    for k in range(rnd.randint(2, 5)):
        store = rnd.choice(STORES[:2])
        phone = None
        if rnd.random() < 0.2:
            phone = hub.view.client(rnd.choice(pools[store]))["phone"]
        rec = till_receipt(
            store,
            f"93{seed:08d}{k:06d}",
            str(k + 1),
            str(seed * 100 + k + 1),
            total=rnd.randrange(1_000_000, 30_000_000, 10_000),
            phone=phone,
        )
        r.receipts.append(rec)
        when = rnd.choice(["before", "during", "during", "never"])
        if when == "before":
            post_receipts(hub.url, hub.token(till_of(store)), [rec])
        elif when == "during":
            plan.append((rec, rnd.uniform(0, 0.15)))

    slots = [0, 1, *rnd.sample([2, 3], rnd.randint(0, 2))]
    devices = []
    for slot in slots:
        d, replaced = fleet.device(slot, rnd, proxy.url)
        if replaced is not None:
            await replaced.close()
        devices.append(d)
    t = [time.monotonic()]
    await asyncio.gather(*(_initial_pull(d) for d in devices))
    t.append(time.monotonic())
    await asyncio.gather(
        _till(r, hub, plan), *(_device_ops(r, d, rnd.randint(2, 7), rnd.choice([0.2, 0.4, 0.6])) for d in devices)
    )
    t.append(time.monotonic())
    await proxy.drain()  # stalled and duplicated requests land before we settle
    t.append(time.monotonic())
    for d, sha, blob in r.lost_blobs:
        d.blobs[sha] = blob
    for d in devices:
        d.connect(hub.url, timeout=30)
    await asyncio.gather(*(d.settle() for d in devices))
    # everyone pulls what the others pushed while settling
    await asyncio.gather(*(d.engine.sync_once() for d in devices))
    t.append(time.monotonic())
    fleet.made.update((m.device.device_id, m.id) for m in r.made)
    problems = check_round(r, hub, devices, fleet.made)
    t.append(time.monotonic())
    if os.environ.get("CHAOS_TIMING"):
        print("phases", [round(b - a, 3) for a, b in itertools.pairwise(t)])
    assert not problems, f"seed {seed}: " + "\n".join(problems[:20])
    return {"mutations": len(r.made), "devices": len(devices)}


def check_round(r: Round, hub, devices: list[Device], made_ever: set[tuple[str, str]]) -> list[str]:
    problems: list[str] = []
    view = hub.view
    visible = {s: view.visible(s) for s in {d.store_id for d in devices}}
    stored = view.mutations([d.device_id for d in devices])
    outboxes = {d.device_id: {row["id"]: row for row in d.outbox()} for d in devices}

    # 1. every queued mutation is on the hub exactly once, and nothing else is
    for extra in set(stored) - made_ever:
        problems.append(f"hub holds a mutation nobody made: {extra}")
    for m in r.made:
        key = (m.device.device_id, m.id)
        row = outboxes[m.device.device_id].get(m.id)
        if key not in stored:
            problems.append(f"lost: {m.kind} {m.id} never reached the hub (outbox: {row})")
            continue
        hub_status = stored[key]["status"]
        answer = stored[key]["response"]
        if hub_status == "applied":
            if row is not None:
                problems.append(f"{m.kind} {m.id} applied but still in the outbox: {row}")
        elif hub_status == "rejected":
            if row is None or row["status"] != "rejected":
                problems.append(f"{m.kind} {m.id} rejected on the hub but not shown as rejected: {row}")
            elif not row["reason"] or row["reason"] != answer.get("reason"):
                problems.append(f"{m.kind} {m.id}: device reason {row['reason']!r} != hub {answer.get('reason')!r}")
        else:
            problems.append(f"{m.kind} {m.id}: hub status {hub_status}")
        if m.expect == "applied" and hub_status != "applied":
            problems.append(
                f"{m.kind} {m.id} should apply, got {hub_status} {answer.get('code')}: {answer.get('reason')}"
            )
        elif m.expect.startswith("rejected:") and (hub_status, answer.get("code")) != ("rejected", m.expect[9:]):
            problems.append(f"{m.kind} {m.id} should be {m.expect}, got {hub_status} {answer.get('code')}")
        elif m.expect == "link" and hub_status == "rejected" and answer.get("code") != "receipt_taken":
            problems.append(f"link {m.id} rejected with {answer.get('code')}: {answer.get('reason')}")
    for d in devices:
        left = [row for row in outboxes[d.device_id].values() if row["status"] != "rejected"]
        if left:
            problems.append(f"{d.device_id} outbox not empty after settling: {left}")
    applied = {m.id for m in r.made if stored.get((m.device.device_id, m.id), {}).get("status") == "applied"}
    order = {m.id: stored[(m.device.device_id, m.id)]["rowid"] for m in r.made if m.id in applied}

    # 2. diary: one revision per diary mutation, in hub order
    by_entry: dict[str, list[Made]] = defaultdict(list)
    for m in r.made:
        if m.kind.startswith("diary.") and m.id in applied:
            by_entry[m.entity_id].append(m)
    for entry, ms in by_entry.items():
        revs = view.diary_revisions(entry)
        mine = [rev["id"] for rev in revs if rev["id"] in {m.id for m in ms}]
        if sorted(mine) != sorted(m.id for m in ms) or len(mine) != len(set(mine)):
            problems.append(f"diary {entry}: revisions {mine} != mutations {[m.id for m in ms]}")
        if [rev["id"] for rev in revs if rev["id"] in order] != sorted(mine, key=order.__getitem__):
            problems.append(f"diary {entry}: revisions not in hub order")

    # 3. profile fields: last write in hub order wins, history chains old -> new once each
    touched: dict[tuple[str, str], list[Made]] = defaultdict(list)
    for m in r.made:
        if m.kind == "client.update" and m.id in applied:
            for f in m.payload["fields"]:
                touched[(m.entity_id, f)].append(m)
    for (cid, f), ms in touched.items():
        last = max(ms, key=lambda m: order[m.id])
        current = view.client(cid)
        if current.get(f) != last.payload["fields"][f]:
            problems.append(
                f"client {cid}.{f} = {current.get(f)!r}, last write in hub order was {last.payload['fields'][f]!r}"
            )
        rows = [h for h in view.history(cid) if h[0] == f]
        per_mutation = Counter(h[3] for h in rows)
        if any(n > 1 for n in per_mutation.values()):
            problems.append(f"client {cid}.{f}: a mutation wrote history twice: {per_mutation}")
        for prev, nxt in itertools.pairwise(rows):
            if json.loads(prev[2]) != json.loads(nxt[1]):
                problems.append(f"client {cid}.{f}: history does not chain: {prev[2]} then old {nxt[1]}")
        if rows and json.loads(rows[-1][2]) != current.get(f):
            problems.append(f"client {cid}.{f}: last history value {rows[-1][2]} != current {current.get(f)!r}")

    # 4. registrations: once, with what was typed
    for cid, typed in r.registered.items():
        found = view.q("SELECT data FROM clients WHERE id = ?", cid)
        if len(found) != 1:
            problems.append(f"registered client {cid} found {len(found)} times")
            continue
        data = json.loads(found[0][0])
        if (data["last_name"], data["first_name"]) != (typed["last_name"], typed["first_name"]):
            problems.append(f"registered client {cid} has {data['last_name']} {data['first_name']}")

    # 5. receipts: the first link wins, later ones to other clients are refused, ledger not doubled
    for rec in r.receipts:
        key = rec["fn"] + "/" + rec["i"]
        links = sorted(
            (m for m in r.made if m.kind == "receipt.link" and m.entity_id == key),
            key=lambda m: stored.get((m.device.device_id, m.id), {}).get("rowid", 0),
        )
        won = [m for m in links if m.id in applied]
        stored_receipt = view.receipt(rec["fn"], rec["i"], rec["fp"])
        owner = None
        if stored_receipt is not None and stored_receipt["client_id"]:
            owner = stored_receipt["client_id"]
        elif won:
            owner = won[0].payload["client_id"]
        for m in links:
            if m.id in applied and m.payload["client_id"] != owner:
                # Accepted while the receipt was not uploaded yet, then the till named another
                # client by phone: the hub keeps the till's client and marks the link rejected.
                # (A second link to the same client while waiting answers "already": the one
                # link entity, under the first link's id, carries the state for both.)
                link = [
                    v
                    for (e, _), v in visible[m.device.store_id].items()
                    if e == "link"
                    and v
                    and (v["fn"], v["i"], v["fp"]) == (rec["fn"], rec["i"], rec["fp"])
                    and v["client_id"] == m.payload["client_id"]
                ]
                if not (
                    link
                    and link[0]["state"] == "rejected"
                    and stored_receipt
                    and stored_receipt.get("linked_by") == "till"
                ):
                    problems.append(
                        f"receipt {key}: link to {m.payload['client_id']} applied but owner is {owner}"
                        f" (link entity {link})"
                    )
            if (
                m.id not in applied
                and m.payload["client_id"] == owner
                and not (stored_receipt and stored_receipt.get("linked_by") == "till")
            ):
                # (Refused because another client's link was waiting, then the till named
                # this very client: the till decides, the refusal was right when made.)
                problems.append(f"receipt {key}: link to its own owner was rejected")
        if stored_receipt is not None and owner is not None:
            entries = [e for e in view.ledger(owner) if e.get("receipt_id") == stored_receipt["id"]]
            same = Counter(
                json.dumps({k: v for k, v in e.items() if k not in ("id", "bucket_id")}, sort_keys=True)
                for e in entries
            )
            if any(n > 1 for n in same.values()):
                problems.append(f"receipt {key}: ledger doubled: {entries}")

    # 6. every device holds exactly the hub's view of its store
    for d in devices:
        for p in compare_cache_with_hub(d.cache, view, d.store_id, visible=visible[d.store_id]):
            problems.append(f"{d.device_id} ({d.login}): {p}")
    return problems


_STORE_CLIENTS: dict[str, dict[str, list[str]]] = {}


def _store_clients(hub) -> dict[str, list[str]]:
    """The seeded clients of each store, read once per hub (it grows as rounds register more)."""
    if hub.db not in _STORE_CLIENTS:
        _STORE_CLIENTS[hub.db] = {
            s: [r[0] for r in hub.view.q("SELECT id FROM clients WHERE store_id = ? ORDER BY id", s)] for s in STORES
        }
    return _STORE_CLIENTS[hub.db]


@pytest.mark.parametrize(("db", "chunk"), [(db, chunk) for db, chunks in CHUNKS.items() for chunk in range(chunks)])
async def test_chaos_rounds(db, chunk, request, tmp_path):
    """One chunk of rounds on the SQLite hub (one process) or on the PostgreSQL hub (two
    worker processes: the same scenarios with the hub's transactions really concurrent)."""
    hub = request.getfixturevalue("hub" if db == "sqlite" else "pg_hub")
    store_clients = _store_clients(hub)
    rounds = ROUNDS if db == "sqlite" else PG_ROUNDS
    seeds = [
        BASE_SEED + chunk * ROUNDS_PER_CHUNK + k
        for k in range(ROUNDS_PER_CHUNK)
        if chunk * ROUNDS_PER_CHUNK + k < rounds
    ]
    port = int(hub.url.rsplit(":", 1)[1])
    summary: Counter[str] = Counter()
    fleet = Fleet(hub, tmp_path)
    try:
        async with FaultyProxy(
            port, seed=BASE_SEED + chunk, rates=RATES, stall_s=STALL_S, max_delay_s=MAX_DELAY_S
        ) as proxy:
            for seed in seeds:
                summary.update(await run_round(seed, hub, proxy, fleet, store_clients))
                summary["rounds"] += 1
    finally:
        await fleet.close()
    summary.update(fleet.statuses)
    summary["fresh devices"] = fleet.fresh
    TOTALS.update(summary)
    TOTALS.update({f"fault:{k}": v for k, v in proxy.stats.items()})
    print(f"chaos chunk {db} {chunk}: {dict(summary)} faults {dict(proxy.stats)}")
    # the run really was chaotic: every kind of fault happened, and retries met duplicates
    missing = [f for f in FAULTS if f != "stall" and proxy.stats[f] == 0]
    assert not missing, f"faults never injected: {missing} ({dict(proxy.stats)})"
    assert summary["rounds"] == len(seeds)


def test_chaos_faults_were_all_exercised_and_retries_met_duplicates():
    """Across all chunks: stalls happened too, and devices got first answers back as duplicates."""
    if TOTALS["rounds"] == 0:
        pytest.skip("no chaos round ran in this session")
    print(f"chaos total: {dict(TOTALS)}")
    if TOTALS["rounds"] >= 100:  # ~20 expected in 200 rounds; a short run may see none
        assert TOTALS["fault:stall"] > 0
    assert TOTALS["duplicate"] > 0, "no retry ever met a mutation the hub had already applied"
