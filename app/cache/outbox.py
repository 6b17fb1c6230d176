"""The outbox: mutations queued by local writes, read in order and answered by the hub.

Every function takes the writer's `Database` (run it through `Cache.write`/`Cache.read`),
so a mutation leaves the outbox in the transaction that records the hub's answer.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from sync.models import Mutation, MutationResult, new_id, utcnow
from sync.rules.jsontext import dumps


def enqueue(db: Database, kind: str, entity_id: str, payload: dict[str, Any], mid: str | None = None) -> str:
    mid = mid or new_id()
    db.execute(
        "INSERT INTO outbox (id, kind, entity_id, payload, client_time) VALUES (?, ?, ?, ?, ?)",
        [mid, kind, entity_id, dumps(payload), utcnow().isoformat()],
    )
    return mid


MUTATION_OVERHEAD = 200  # bytes of a mutation's JSON besides its payload (ids, kind, time)


def pending_after(db: Database, limit: int, after_seq: int, max_bytes: int | None = None) -> tuple[list[Mutation], int]:
    """The next mutations to send after outbox position `after_seq`, and the position reached.

    One push walks the outbox once, in order, batch after batch: a mutation the hub
    answers `waiting` stays behind the position and is retried on the next push, so
    however many wait, they never hold up the ones queued after them.
    At most `limit` mutations, and (with `max_bytes`) as many as fit in that much JSON;
    always at least one, however big.
    """
    rows = db.execute(
        "SELECT seq, id, kind, entity_id, payload, client_time FROM outbox "
        "WHERE status IN ('pending', 'waiting') AND seq > ? ORDER BY seq LIMIT ?",
        [after_seq, limit],
    ).fetchall()
    if max_bytes is not None:
        size = 0
        for n, r in enumerate(rows):
            size += len(r[4].encode()) + MUTATION_OVERHEAD
            if size > max_bytes and n > 0:
                rows = rows[:n]
                break
    muts = [Mutation(id=r[1], kind=r[2], entity_id=r[3], payload=json.loads(r[4]), client_time=r[5]) for r in rows]
    return muts, (rows[-1][0] if rows else after_seq)


def pending_patches(db: Database, client_id: str) -> list[dict[str, Any]]:
    rows = db.execute(
        "SELECT payload FROM outbox WHERE entity_id = ? AND kind = 'client.update' "
        "AND status IN ('pending', 'waiting') ORDER BY seq",
        [client_id],
    ).fetchall()
    return [json.loads(r[0])["fields"] for r in rows]


def counts(db: Database) -> dict[str, int]:
    out = {"pending": 0, "waiting": 0, "rejected": 0}
    # A profile view reported for the audit (records.log_view) is not a change waiting to sync.
    for status, n in db.execute(
        "SELECT status, count(*) FROM outbox WHERE kind <> 'client.viewed' GROUP BY status"
    ).fetchall():
        out[status] = n
    return out


def unsent_by_kind(db: Database) -> list[tuple[str, int]]:
    """What has not reached the hub yet (queued or waiting), by mutation kind: what a device
    reset would lose. Most first; audit views are not changes (as in `counts`)."""
    rows = db.execute(
        "SELECT kind, count(*) AS n FROM outbox WHERE status IN ('pending', 'waiting') "
        "AND kind <> 'client.viewed' GROUP BY kind ORDER BY n DESC, kind"
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def rejected(db: Database) -> list[dict]:
    rows = db.execute(
        "SELECT id, kind, entity_id, payload, client_time, reason, code FROM outbox "
        "WHERE status = 'rejected' ORDER BY seq"
    ).fetchall()
    return [
        {
            "id": r[0],
            "kind": r[1],
            "entity_id": r[2],
            "payload": json.loads(r[3]),
            "client_time": r[4],
            "reason": r[5],
            "code": r[6],
        }
        for r in rows
    ]


def dismiss_rejected(db: Database, mutation_id: str) -> None:
    db.execute("DELETE FROM outbox WHERE id = ? AND status = 'rejected'", [mutation_id])


def record_results(db: Database, results: list[MutationResult]) -> list[str]:
    """Apply the hub's answers. Returns the entity ids whose local view must be rebased
    (see replica.record_results): a refused change no longer shows, and an applied edit that a
    pull replayed over the hub's snapshot gives way to that snapshot (which may already hold a
    later edit from another device: replaying this one over it would show the older value)."""
    touched = []
    for r in results:
        row = db.execute("SELECT kind, entity_id, replayed FROM outbox WHERE id = ?", [r.id]).fetchone()
        if row is None:
            continue
        status = r.status
        if status == "duplicate":  # a replay: the first answer is the one that counts
            first = (r.result or {}).get("first", {})
            status = first.get("status", "applied")
        if status == "applied":
            db.execute("DELETE FROM outbox WHERE id = ?", [r.id])
            if row[2]:
                touched.append(row[1])
        elif status == "rejected":
            code = r.code or (r.result or {}).get("first", {}).get("code")
            db.execute(
                "UPDATE outbox SET status = 'rejected', reason = ?, code = ? WHERE id = ?", [r.reason, code, r.id]
            )
            # A placeholder shown for this mutation (e.g. a pending receipt link) shows why.
            db.execute(
                "UPDATE entities SET data = json_set(data, '$.state', 'rejected', '$.code', ?, "
                "'$.reason', ?) WHERE entity = 'link' AND id = ?",
                [code, r.reason, r.id],
            )
            touched.append(row[1])
        else:  # waiting: keep it, try again later
            db.execute(
                "UPDATE outbox SET status = 'waiting', reason = ?, attempts = attempts + 1 WHERE id = ?",
                [r.reason, r.id],
            )
    return touched


def mark_replayed(db: Database, client_id: str) -> None:
    """The client's pending edits were just replayed over a snapshot pulled from the hub."""
    db.execute(
        "UPDATE outbox SET replayed = 1 WHERE entity_id = ? AND kind = 'client.update' "
        "AND status IN ('pending', 'waiting')",
        [client_id],
    )
