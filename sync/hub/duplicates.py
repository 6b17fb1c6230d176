"""Duplicates across a brand: the brand-wide lookup and the duplicate pairs.

Lookup: a consultant registering a client asks whether the brand knows her already, by
phone (E.164), e-mail or surname + name + birthday (sync.rules.matching.name_key). The
answer is minimal and masked ("Анна К.", "+7 *** ***-**-67", her store's name): enough to
recognise her at the counter and offer to open her, too little to read a client book out
of it; each match is audited, and the API rate-limits lookups per account.

Pairs: two tablets that registered one phone offline both reach the hub; it keeps both
clients and flags the pair here for a manager, who merges (sync.hub.merge) or dismisses it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from sqlalchemy import Connection

from sync.hub.storage import lock_names, sql
from sync.models import utcnow
from sync.rules.matching import mask_email, mask_name, mask_phone, name_key

MAX_MATCHES = 5
LOOKUP_KIND = "clients.lookup"  # the audit log's kind for a match shown


@dataclass(frozen=True)
class Criteria:
    phone: str | None = None  # E.164
    email: str | None = None  # lowercased
    name_key: str | None = None


def criteria(phone: str | None, email: str | None, last_name: str | None, first_name: str | None, birthday) -> Criteria:
    key = name_key({"last_name": last_name, "first_name": first_name, "birthday": birthday}) if birthday else None
    return Criteria(phone or None, (email or "").strip().lower() or None, key)


def _live(data: dict) -> bool:
    return not data.get("erased_at") and not data.get("merged_into")


def lookup(conn: Connection, brand_id: str, store_id: str, c: Criteria) -> list[dict]:
    """Masked matches among the brand's live clients, best first (more keys matched first)."""
    where, params = [], [brand_id]
    for column, value in (("phone", c.phone), ("email", c.email), ("name_key", c.name_key)):
        if value:
            where.append(f"c.{column} = ?")
            params.append(value)
    if not where:
        return []
    rows = sql(
        conn,
        "SELECT c.id, c.store_id, c.data, s.name FROM clients c JOIN stores s ON s.id = c.store_id"
        f" WHERE s.brand_id = ? AND ({' OR '.join(where)}) ORDER BY c.id LIMIT 50",
        params,
    ).fetchall()
    shared_here = {
        r[0]
        for r in sql(
            conn,
            "SELECT client_id FROM client_shares WHERE store_id = ? AND client_id IN ({})".format(
                ", ".join("?" * len(rows)) or "NULL"
            ),
            [store_id, *[r[0] for r in rows]],
        ).fetchall()
    }
    out = []
    for cid, home, data, store_name in rows:
        d = json.loads(data)
        if not _live(d):
            continue
        by = [
            k
            for k, mine, theirs in (
                ("phone", c.phone, d.get("phone")),
                ("email", c.email, d.get("email")),
                ("name_birthday", c.name_key, name_key(d)),
            )
            if mine and mine == theirs
        ]
        out.append(
            {
                "client_id": cid,
                "store_id": home,
                "store_name": store_name,
                "name": mask_name(d.get("first_name"), d.get("last_name")),
                "phone": mask_phone(d.get("phone")),
                "email": mask_email(d.get("email")),
                "matched_by": by,
                "in_my_store": home == store_id or cid in shared_here,
            }
        )
    out.sort(key=lambda m: (-len(m["matched_by"]), not m["in_my_store"], m["client_id"]))
    return out[:MAX_MATCHES]


# --- pairs --------------------------------------------------------------------------------

OPEN, MERGED, DISMISSED = "open", "merged", "dismissed"


def flag(conn: Connection, client: dict, brand_id: str) -> list[str]:
    """Flag a pair for each live client of the brand with the new client's phone or e-mail
    (the other one's id listed); run where the new client is registered."""
    found: dict[str, str] = {}
    for column, value in (("phone", client.get("phone")), ("email", client.get("email"))):
        if not value:
            continue
        rows = sql(
            conn,
            f"SELECT c.id, c.data FROM clients c JOIN stores s ON s.id = c.store_id"
            f" WHERE c.{column} = ? AND s.brand_id = ? AND c.id <> ? LIMIT 20",
            (value, brand_id, client["id"]),
        ).fetchall()
        for cid, data in rows:
            if _live(json.loads(data)):
                found.setdefault(cid, column)
    for other, reason in found.items():
        add_pair(conn, brand_id, client["id"], other, reason)
    return sorted(found)


def lock_contacts(conn: Connection, payload: dict) -> None:
    """Take the names of a registration's phone and e-mail (storage.lock_names, first in its
    transaction): two tablets registering one phone at the same moment (PostgreSQL, two
    workers) would each miss the other's uncommitted client, and no pair be flagged."""
    names = [
        f"contact {kind} {value.strip().lower()}"
        for kind in ("phone", "email")
        if isinstance(value := payload.get(kind), str) and value.strip()
    ]
    lock_names(conn, names)


def add_pair(conn: Connection, brand_id: str, one: str, other: str, reason: str) -> None:
    a, b = sorted((one, other))
    sql(
        conn,
        "INSERT INTO duplicate_pairs (id, brand_id, client_a, client_b, reason, status, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client_a, client_b) DO NOTHING",
        (
            str(uuid.uuid5(uuid.NAMESPACE_URL, f"vitrine:pair:{a}:{b}")),
            brand_id,
            a,
            b,
            reason,
            OPEN,
            utcnow().isoformat(),
        ),
    )


PAIR_COLUMNS = "id, brand_id, client_a, client_b, reason, status, created_at, resolved_at, resolved_by, survivor_id"


def _pair(row) -> dict:
    return dict(zip([c.strip() for c in PAIR_COLUMNS.split(",")], row, strict=True))


def pair(conn: Connection, pair_id: str) -> dict | None:
    row = sql(conn, f"SELECT {PAIR_COLUMNS} FROM duplicate_pairs WHERE id = ?", (pair_id[:36],)).fetchone()
    return None if row is None else _pair(row)


def pairs_of_store(conn: Connection, brand_id: str, store_id: str, status: str = OPEN) -> list[dict]:
    """The brand's pairs of `status` with at least one client whose home is `store_id`,
    each with both clients summarised (masked, as a lookup shows them, plus what a manager
    weighs before a merge: receipts, points, when registered)."""
    rows = sql(
        conn,
        f"SELECT {PAIR_COLUMNS} FROM duplicate_pairs p WHERE p.brand_id = ? AND p.status = ?"
        " AND EXISTS (SELECT 1 FROM clients c WHERE c.store_id = ? AND c.id IN (p.client_a, p.client_b))"
        " ORDER BY p.created_at, p.id LIMIT 500",
        (brand_id, status, store_id),
    ).fetchall()
    out = []
    for row in rows:
        p = _pair(row)
        p["clients"] = [summary(conn, cid) for cid in (p["client_a"], p["client_b"])]
        out.append(p)
    return out


def summary(conn: Connection, client_id: str) -> dict:
    row = sql(
        conn,
        "SELECT c.store_id, c.data, s.name FROM clients c JOIN stores s ON s.id = c.store_id WHERE c.id = ?",
        (client_id,),
    ).fetchone()
    if row is None:
        return {"client_id": client_id}
    d = json.loads(row[1])
    receipts = sql(conn, "SELECT count(*) FROM receipts WHERE client_id = ?", (client_id,)).fetchone()[0]
    return {
        "client_id": client_id,
        "store_id": row[0],
        "store_name": row[2],
        "name": mask_name(d.get("first_name"), d.get("last_name")),
        "phone": mask_phone(d.get("phone")),
        "email": mask_email(d.get("email")),
        "created_at": d.get("created_at"),
        "receipts": int(receipts),
        "points_balance": d.get("points_balance", 0),
        "live": _live(d),
    }


def resolve(conn: Connection, pair_id: str, status: str, account_id: str, survivor_id: str | None = None) -> None:
    sql(
        conn,
        "UPDATE duplicate_pairs SET status = ?, resolved_at = ?, resolved_by = ?, survivor_id = ? WHERE id = ?",
        (status, utcnow().isoformat(), account_id, survivor_id, pair_id),
    )


def repoint(conn: Connection, merged: str, survivor: str, brand_id: str) -> None:
    """The merged client's other open pairs now name the survivor (or go, when they were
    the pair of these two or the survivor has that pair already)."""
    rows = sql(
        conn,
        "SELECT id, client_a, client_b, reason FROM duplicate_pairs"
        " WHERE status = ? AND (client_a = ? OR client_b = ?)",
        (OPEN, merged, merged),
    ).fetchall()
    for pid, a, b, reason in rows:
        other = b if a == merged else a
        sql(conn, "DELETE FROM duplicate_pairs WHERE id = ?", (pid,))
        if other != survivor:
            add_pair(conn, brand_id, survivor, other, reason)
