"""Fill a hub database with the demo boutique (or a large set for benchmarks).

Bulk path: rows are computed in Python, with the same loyalty functions the live hub
uses, and inserted in large batches; the feed gets one row per entity.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import insert, select

from sync.hub import auth, demo, diary_tags, feed, loyalty_service, outreach, receipts, tasks
from sync.hub import loyalty as rules
from sync.hub.storage import HubDB, schema
from sync.models import Client, utcnow
from sync.rules.matching import name_key

BATCH = 2000


def _chunks(it: Iterator[dict], n: int) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for x in it:
        chunk.append(x)
        if len(chunk) == n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def seed(db: HubDB, n_clients: int = 5000, seed_: int = 1, receipts_per_client: int | None = None, log=print) -> dict:
    t0 = time.monotonic()
    with db.write() as conn:
        if conn.execute(select(schema.stores.c.id).limit(1)).first() is not None:
            raise SystemExit("the hub database already holds data; seed a new one")
        conn.execute(insert(schema.brands), demo.brands(seed_))
        st, other_st = demo.stores(seed_), demo.other_brand_stores(seed_)
        conn.execute(insert(schema.stores), st + other_st)
        # each store's row and its staff's names are seen by that store's devices only (no
        # other brand's, nor another store's)
        feed.publish_many(conn, [("store", s["id"], s["id"], s, False) for s in st + other_st])
        for brand in demo.brands(seed_):  # each brand starts with the demo's diary tags
            diary_tags.set_tags(conn, brand["id"], demo.DIARY_TAGS)
            outreach.start_brand(conn, brand["id"])  # and the default message templates
        cons = demo.consultants(seed_) + demo.other_brand_consultants(seed_)
        hashes: dict[str, str] = {}
        rows = []
        for c in cons:
            h = hashes.setdefault(c["password"], auth.hash_password(c["password"]))
            rows.append(
                {
                    "id": c["id"],
                    "store_id": c["store_id"],
                    "login": c["login"],
                    "name": c["name"],
                    "role": auth.CONSULTANT,
                    "password_hash": h,
                }
            )
        for i, s in enumerate(st):  # one till and one manager account per store
            rows.append(
                {
                    "id": demo.stable_id("till", seed_, i),
                    "store_id": s["id"],
                    "login": f"till{i + 1}",
                    "name": f"Касса {s['name']}",
                    "role": auth.TILL,
                    "password_hash": hashes[demo.CONSULTANT_PASSWORD],
                }
            )
            rows.append(
                {
                    "id": demo.stable_id("manager", seed_, i),
                    "store_id": s["id"],
                    "login": f"manager{i + 1}",
                    "name": f"Управляющий {s['name']}",
                    "role": auth.MANAGER,
                    "password_hash": hashes[demo.CONSULTANT_PASSWORD],
                }
            )
        # One admin per brand for the account tools (its row needs a store: the brand's first;
        # it reads the reports of its brand's stores and no client data). The second brand's
        # store has a till and a manager too. Demo passwords, like the others.
        nord = other_st[0]
        for role, login, name, store in (
            (auth.ADMIN, "admin", "Администратор", st[0]),
            (auth.ADMIN, f"{demo.OTHER_BRAND_PREFIX}admin", "Администратор Maison Nord", nord),
            (auth.MANAGER, f"{demo.OTHER_BRAND_PREFIX}manager", f"Управляющий {nord['name']}", nord),
            (auth.TILL, f"{demo.OTHER_BRAND_PREFIX}till", f"Касса {nord['name']}", nord),
        ):
            rows.append(
                {
                    "id": demo.stable_id(role, seed_) if login == "admin" else demo.stable_id(role, seed_, login),
                    "store_id": store["id"],
                    "login": login,
                    "name": name,
                    "role": role,
                    "password_hash": hashes[demo.CONSULTANT_PASSWORD],
                }
            )
        conn.execute(insert(schema.accounts), rows)
        feed.publish_many(
            conn,
            [
                ("consultant", c["id"], c["store_id"], {k: c[k] for k in ("id", "store_id", "name")}, False)
                for c in cons
            ],
        )
        for brand in demo.brands(seed_):  # Today's rules (the defaults) and each store's staff
            tasks.publish(conn, brand["id"])
    counts = {"clients": 0, "receipts": 0, "ledger": 0}
    prog = loyalty_service.program()
    now = utcnow()
    # The second brand's store gets a few clients of its own (indexes far apart: other ids,
    # phones, cards and fiscal numbers).
    populations = [
        (demo.iter_clients(n_clients, seed_, now), 0),
        (demo.iter_clients(max(20, n_clients // 50), seed_, now, other_brand=True), demo.OTHER_BRAND_CLIENT_OFFSET),
    ]
    chunks = ((base, n, chunk) for gen, base in populations for n, chunk in enumerate(_chunks(gen, BATCH)))
    # The demo consultant's Today: a birthday and points about to expire (demo.TODAY_*).
    demo_id = next(c["id"] for c in demo.consultants(seed_) if c["login"] == demo.DEMO_LOGIN)
    soon = now + timedelta(days=5)
    expiring_at = prog.points.return_window.before(prog.points.expire_after.before(soon))
    nth = -1
    for base, idx0, chunk in chunks:
        client_rows, receipt_rows, ledger_rows, feed_rows, due_rows = [], [], [], [], []
        for k, c in enumerate(chunk):
            idx = base + idx0 * BATCH + k
            created = datetime.fromisoformat(c["created_at"])
            bought = demo.iter_receipts(c, seed_, idx, receipts_per_client, now)
            if base == 0 and c["consultant_id"] == demo_id:
                nth += 1
                if nth == demo.TODAY_BIRTHDAY_NTH:
                    c["birthday"] = demo.birthday_soon(c["birthday"], now)
                elif nth >= demo.TODAY_EXPIRY_NTH and created < expiring_at - timedelta(days=30):
                    bought = iter([demo.expiring_receipt(c, seed_, idx, expiring_at, now)])
                    nth = -(10**9)  # once
            # The client's life replayed through the same rules the live hub applies.
            entries = list(rules.on_register(prog, c["id"], created).entries)
            past: list[rules.Receipt] = []
            member = loyalty_service.member(c)
            last_visit = None
            for r in sorted(bought, key=lambda x: x["at"]):
                r["linked_by"] = "till"
                rr = loyalty_service.to_receipt(r)
                res = rules.on_purchase(prog, member, entries, past, rr, rr.at)
                r["points_earned"], r["points_spent"] = res.accrual, res.applied_redemption
                entries += res.entries
                past.append(rr)
                last_visit = max(last_visit or r["at"], r["at"])
                receipt_rows.append(
                    {
                        "id": r["id"],
                        "store_id": r["store_id"],
                        "fn": r["fn"],
                        "i": r["i"],
                        "fp": r["fp"],
                        "client_id": c["id"],
                        "data": feed.dumps(r),
                        "at": receipts.utc_key(r["at"]),
                        "kind": int(r.get("type") or 1),
                        "cashier": r.get("consultant_id"),  # her consultant served her at the till
                        "linked_by": "till",
                    }
                )
                feed_rows.append(("receipt", r["id"], c["store_id"], r, False))
            entries += rules.run_expiry(prog, entries, now)
            ledger_rows += loyalty_service.ledger_rows(c["id"], entries)
            feed_rows += [("ledger", e.id, c["store_id"], e.model_dump(mode="json"), False) for e in entries]
            figures, account = loyalty_service.account(c["id"], entries, past, now, c.get("birthday"))
            # Due now if her birthday window is open (the job's first run grants it).
            due = loyalty_service.due_row(c["id"], rules.next_change(prog, entries, past, now, member))
            if due:
                due_rows.append(due)
            feed_rows.append(("account", c["id"], c["store_id"], account, False))
            client = Client(**c, last_visit=last_visit[:10] if last_visit else None, **figures).model_dump(mode="json")
            client_rows.append(
                {
                    "id": client["id"],
                    "store_id": client["store_id"],
                    "phone": client["phone"],
                    "card_number": client["card_number"],
                    "email": client.get("email"),
                    "name_key": name_key(client),  # the brand-wide lookup's keys (sync.hub.duplicates)
                    "data": feed.dumps(client),
                }
            )
            feed_rows.append(("client", client["id"], client["store_id"], client, False))
        with db.write() as conn:
            conn.execute(insert(schema.clients), client_rows)
            if receipt_rows:
                conn.execute(insert(schema.receipts), receipt_rows)
            if ledger_rows:
                conn.execute(insert(schema.ledger), ledger_rows)
            if due_rows:
                conn.execute(insert(schema.loyalty_due), due_rows)
            _append_feed(conn, feed_rows)
        counts["clients"] += len(client_rows)
        counts["receipts"] += len(receipt_rows)
        counts["ledger"] += len(ledger_rows)
        if log and (idx0 + 1) % 25 == 0:
            log(f"  … {counts['clients']} clients", file=sys.stderr)
    # About one till receipt in three arrives without a client (the seed cases' starting
    # point): these wait for a consultant to scan and link them.
    counts["unidentified"] = 0
    for chunk in _chunks(demo.iter_unidentified(max(3, counts["receipts"] // 2), seed_, now), BATCH):
        with db.write() as conn:
            conn.execute(
                insert(schema.receipts),
                [
                    {
                        "id": r["id"],
                        "store_id": r["store_id"],
                        "fn": r["fn"],
                        "i": r["i"],
                        "fp": r["fp"],
                        "client_id": None,
                        "data": feed.dumps(r),
                        "at": receipts.utc_key(r["at"]),
                        "kind": int(r.get("type") or 1),
                        "cashier": r.get("cashier"),
                    }
                    for r in chunk
                ],
            )
        counts["unidentified"] += len(chunk)
    with db.write() as conn:  # the seed ran expiry up to now for every client
        loyalty_service.record_expiry_run(conn, now)
    return {**counts, "seconds": round(time.monotonic() - t0, 1)}


def _append_feed(conn, items: list) -> None:
    """Fresh entities only: plain inserts, no replace (the seed never republishes)."""
    conn.execute(
        insert(schema.feed),
        [
            {
                "entity": e,
                "entity_id": i,
                "store_id": s,
                "data": feed.dumps(d),
                "deleted": dl,
                "client_id": feed.client_of(e, i, d),
            }
            for e, i, s, d, dl in items
        ],
    )
