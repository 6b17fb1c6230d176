"""Reports that mean what they say (GET /v1/reports/identified).

Over a chosen period [start, end) (UTC keys, as receipts.at holds them):

- per store: sales receipts (fiscal type 1) and returns (type 2), each also counted when
  a client is known; a return nets out one receipt (net = sales - returns). Expense
  receipts (types 3, 4: the shop paying out) are not purchases: counted apart, never in
  the share. share = net identified / net receipts.
- per consultant: the receipts she served — the till's cashier field when the till names
  her (her login or account id), otherwise the consultant who linked the receipt — and
  how many of those are identified (net of returns, as above): her share; the receipts
  she linked; the clients she registered (audit log); the clients whose consent she
  recorded, and of those from a signed form.

Only the stores in `store_ids` (the caller's: sync.hub.api._stores_of) and their accounts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection

from sync.hub.problems import Problem
from sync.hub.storage import sql
from sync.models import utcnow

SALE, RETURN = 1, 2


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole > 0 else 0.0


def identified(conn: Connection, store_ids: list[str], start: str, end: str) -> dict[str, Any]:
    if not store_ids:
        return {"stores": [], "consultants": []}
    marks = _marks(len(store_ids))
    names = dict(sql(conn, f"SELECT id, name FROM stores WHERE id IN ({marks})", store_ids).fetchall())
    stores: dict[str, dict[str, Any]] = {
        sid: {
            "store_id": sid,
            "store": names.get(sid),
            "sales": 0,
            "returns": 0,
            "identified_sales": 0,
            "identified_returns": 0,
            "expense_receipts": 0,
        }
        for sid in store_ids
    }
    for sid, kind, known, n in sql(
        conn,
        "SELECT store_id, kind, CASE WHEN client_id IS NULL THEN 0 ELSE 1 END, COUNT(*) FROM receipts"
        f" WHERE store_id IN ({marks}) AND at >= ? AND at < ? GROUP BY store_id, kind,"
        " CASE WHEN client_id IS NULL THEN 0 ELSE 1 END",
        [*store_ids, start, end],
    ).fetchall():
        row = stores[sid]
        if kind == SALE:
            row["sales"] += n
            row["identified_sales"] += n if known else 0
        elif kind == RETURN:
            row["returns"] += n
            row["identified_returns"] += n if known else 0
        else:
            row["expense_receipts"] += n
    for row in stores.values():
        row["net_receipts"] = row["sales"] - row["returns"]
        row["net_identified"] = row["identified_sales"] - row["identified_returns"]
        row["share"] = _share(row["net_identified"], row["net_receipts"])

    staff = sql(
        conn,
        f"SELECT id, login, name, store_id FROM accounts WHERE store_id IN ({marks}) AND role IN (?, ?)",
        [*store_ids, "consultant", "manager"],
    ).fetchall()
    by_key = {}
    people: dict[str, dict[str, Any]] = {}
    for aid, login, name, sid in staff:
        by_key[aid] = by_key[login] = aid
        people[aid] = {
            "consultant_id": aid,
            "consultant": name,
            "store_id": sid,
            "served_sales": 0,
            "served_returns": 0,
            "identified_sales": 0,
            "identified_returns": 0,
            "linked": 0,
            "registrations": 0,
            "consents_recorded": 0,
            "consents_signed": 0,
        }
    for cashier, linker, kind, known, n in sql(
        conn,
        "SELECT cashier, linked_by, kind, CASE WHEN client_id IS NULL THEN 0 ELSE 1 END, COUNT(*) FROM receipts"
        f" WHERE store_id IN ({marks}) AND at >= ? AND at < ? AND kind IN (?, ?)"
        " GROUP BY cashier, linked_by, kind, CASE WHEN client_id IS NULL THEN 0 ELSE 1 END",
        [*store_ids, start, end, SALE, RETURN],
    ).fetchall():
        if linker in people:
            people[linker]["linked"] += n
        who = by_key.get(cashier) if cashier else None
        who = who or (linker if linker in people else None)
        if who is None:
            continue  # a till that names no cashier, and nobody linked it: served by no one known
        p = people[who]
        side = "sales" if kind == SALE else "returns"
        p[f"served_{side}"] += n
        p[f"identified_{side}"] += n if known else 0
    counts: dict[str, int] = defaultdict(int)
    for aid, n in sql(
        conn,
        "SELECT account_id, COUNT(DISTINCT client_id) FROM audit_log"
        f" WHERE store_id IN ({marks}) AND kind = ? AND action = ? AND at >= ? AND at < ? GROUP BY account_id",
        [*store_ids, "client.register", "change", start, end],
    ).fetchall():
        counts[aid] += n
    for aid, n in counts.items():
        if aid in people:
            people[aid]["registrations"] = n
    for aid, any_source, signed in sql(
        conn,
        "SELECT account_id, COUNT(DISTINCT client_id),"
        " COUNT(DISTINCT CASE WHEN source = ? THEN client_id END) FROM consents"
        f" WHERE store_id IN ({marks}) AND granted = ? AND source IN (?, ?, ?, ?)"
        " AND received_at >= ? AND received_at < ? GROUP BY account_id",
        ["form", *store_ids, True, "form", "consent", "register", "profile", start, end],
    ).fetchall():
        if aid in people:
            people[aid]["consents_recorded"] = any_source
            people[aid]["consents_signed"] = signed
    for p in people.values():
        p["net_served"] = p["served_sales"] - p["served_returns"]
        p["net_identified"] = p["identified_sales"] - p["identified_returns"]
        p["share"] = _share(p["net_identified"], p["net_served"])
    return {
        "stores": sorted(stores.values(), key=lambda r: r["store"] or ""),
        "consultants": sorted(people.values(), key=lambda r: (r["store_id"], r["consultant"] or "")),
    }


def period(
    start: dt.date | None, end: dt.date | None, tz: dt.tzinfo, default_days: int, max_days: int
) -> tuple[dt.date, dt.date, str, str]:
    """A report's period: its first and last local day (defaults: today, `default_days` back)
    and the same as UTC keys [lo, hi) (receipts.at, audit, consent and contact times). A 422
    problem when it runs backwards or spans more than `max_days`."""
    end = end or utcnow().astimezone(tz).date()
    start = start or end - dt.timedelta(days=default_days - 1)
    if start > end or (end - start).days >= max_days:
        raise Problem(
            422,
            "Bad report period",
            f"`from` must not be after `to`, and a period spans at most {max_days} days.",
            "urn:vitrine:bad-period",
        )

    def key(d: dt.date) -> str:
        return dt.datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")

    return start, end, key(start), key(end + dt.timedelta(days=1))
