"""Today's tasks read from the cache, and the writes that settle them, assign a client or make a list.

Which clients each rule takes is sync.rules.today's; this module asks the cache's indexes
(app.cache.today_index) for the candidates and applies the rule to them. A consultant's
Today covers her own clients first, then the store's clients nobody looks after yet, and
the clients of the campaign lists assigned to her. A task whose outcome (hers, a
colleague's from the feed, or one queued here) takes it off Today is left out.
Every write is one transaction: the row as it now reads, marked pending, and its mutation.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from app.cache import diary_records
from app.cache.outbox import enqueue
from app.cache.today_index import BIRTHDAY_MD, CONSENT, FIRST_EXPIRY, GENDER, SPEND
from sync.models import utcnow
from sync.rules import today as rules
from sync.rules.jsontext import dumps

RULES_ENTITY = "task_rules"
OUTCOME_ENTITY = "task_outcome"
LIST_ENTITY = "task_list"
SHOWN = 100
"""Tasks listed per rule (the count says how many there are)."""


@dataclass(frozen=True, slots=True)
class Task:
    key: str
    rule: str
    client_id: str
    client_name: str
    mine: bool  # her own client (else one nobody looks after, or a list's)
    day: str | None = None  # the occasion's day: birthday, expiry, purchase, follow-up, last visit
    detail: str = ""  # points, the profile's gaps, the list's name, the diary's text


@dataclass(frozen=True, slots=True)
class Today:
    day: dt.date
    groups: dict[str, list[Task]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class TaskList:
    id: str
    name: str
    note: str
    day: str | None
    clients: int
    assignees: tuple[str, ...]
    pending: bool


# --- reads ---------------------------------------------------------------------------------------


def settings(db: Database) -> rules.TaskSettings:
    """The brand's rules as the hub published them to this store (none yet: the defaults)."""
    row = db.execute(f"SELECT data FROM entities WHERE entity = '{RULES_ENTITY}' LIMIT 1").fetchone()
    return rules.TaskSettings.from_data(json.loads(row[0]) if row else None)


def staff(db: Database) -> list[dict[str, str]]:
    """The store's consultants and managers (published with the rules); a hub that has not
    published them yet (upgraded, rules never set) has its `consultant` entities."""
    row = db.execute(f"SELECT json_extract(data, '$.staff') FROM entities WHERE entity = '{RULES_ENTITY}'").fetchone()
    if row and row[0]:
        return list(json.loads(row[0]))
    rows = db.execute(
        "SELECT id, json_extract(data, '$.name') FROM entities WHERE entity = 'consultant' ORDER BY 2"
    ).fetchall()
    return [{"id": i, "name": name or "", "role": "consultant"} for i, name in rows]


def _name(last: str | None, first: str | None) -> str:
    return f"{last or ''} {first or ''}".strip()


def compute(db: Database, me: str | None, now: dt.datetime, shown: int = SHOWN) -> Today:
    """The consultant `me`'s Today at the instant `now`, in the store's time zone."""
    s = settings(db)
    day = rules.local_today(now, s.tz)
    owners: list[str | None] = [me, None] if me else [None]
    found: dict[str, list[Task]] = {r: [] for r in rules.RULES if s.on(r)}
    if rules.BIRTHDAY in found:
        found[rules.BIRTHDAY] = _birthdays(db, owners, me, day, s.days(rules.BIRTHDAY))
    if rules.POINTS in found:
        found[rules.POINTS] = _expiring(db, owners, me, day, s.days(rules.POINTS), s.tz)
    if rules.PURCHASE in found:
        found[rules.PURCHASE] = _purchases(db, owners, me, day, s.days(rules.PURCHASE))
    if rules.DIARY in found:
        found[rules.DIARY] = _diary(db, me, day)
    if rules.TOP in found:
        found[rules.TOP] = _top(db, owners, me, day, s)
    if rules.PROFILE in found:
        found[rules.PROFILE] = _profiles(db, owners, me)
    if rules.LIST in found:
        found[rules.LIST] = _lists(db, me)
    settled = _settled(db, [t.key for ts in found.values() for t in ts], day)
    groups: dict[str, list[Task]] = {}
    counts: dict[str, int] = {}
    for rule, ts in found.items():
        open_ = [t for t in ts if t.key not in settled]
        if rule == rules.LIST:
            open_.sort(key=lambda t: (t.day or "9999", t.detail, not t.mine, t.client_name))
        else:
            open_.sort(key=lambda t: (not t.mine, t.day or "", t.client_name))
        counts[rule] = len(open_)
        if open_:
            groups[rule] = open_[:shown]
    return Today(day, groups, counts)


def _birthdays(db: Database, owners: list[str | None], me: str | None, day: dt.date, days: int) -> list[Task]:
    keys = rules.birthday_keys(day, days)
    marks = ",".join("?" * len(keys))
    out = []
    for owner in owners:
        rows = db.execute(
            "SELECT id, last_name, first_name, birthday FROM clients INDEXED BY clients_today_birthday"
            f" WHERE consultant_id IS ? AND {BIRTHDAY_MD} IN ({marks})",
            [owner, *keys],
        ).fetchall()
        for cid, last, first, born in rows:
            try:
                when = rules.next_birthday(dt.date.fromisoformat(born), day, days)
            except (TypeError, ValueError):
                continue
            if when is not None:
                key = rules.task_key(rules.BIRTHDAY, cid, when.year)
                out.append(Task(key, rules.BIRTHDAY, cid, _name(last, first), owner == me, when.isoformat()))
    return out


def _expiring(db: Database, owners: list[str | None], me: str | None, day: dt.date, days: int, tz: str) -> list[Task]:
    lo, hi = rules.expiry_bounds(day, days, tz)
    # A day's margin each side: the hub's instants may carry another offset than UTC's text
    # (compared as text); the rule then decides on the store's day.
    lo_text = (dt.datetime.fromisoformat(lo) - dt.timedelta(days=1)).isoformat()
    hi_text = (dt.datetime.fromisoformat(hi) + dt.timedelta(days=1)).isoformat()
    first = FIRST_EXPIRY.replace("data", "e.data")
    rows = db.execute(
        "SELECT c.id, c.last_name, c.first_name, c.consultant_id, e.id"
        " FROM entities e INDEXED BY entities_today_expiry JOIN clients c INDEXED BY clients_today_owner ON c.id = e.id"
        f" WHERE e.entity = 'account' AND {first} >= ? AND {first} < ?",
        [lo_text, hi_text],
    ).fetchall()
    wanted = set(owners)
    ours = [r for r in rows if r[3] in wanted]
    found = dict(
        db.execute(  # only her accounts' lists are read
            "SELECT id, json_extract(data, '$.expiring') FROM entities"
            " WHERE entity = 'account' AND id IN (SELECT value FROM json_each(?))",
            [json.dumps([r[4] for r in ours])],
        ).fetchall()
    )
    out = []
    for cid, last, first_name, owner, _ in ours:
        items = [(int(x.get("points") or 0), str(x.get("at") or "")) for x in json.loads(found.get(cid) or "[]")]
        soon = rules.expiring_soon(items, day, days, tz)
        if soon is not None:
            points, when = soon
            key = rules.task_key(rules.POINTS, cid, when.isoformat())
            name = _name(last, first_name)
            out.append(Task(key, rules.POINTS, cid, name, owner == me, when.isoformat(), str(points)))
    return out


def _purchases(db: Database, owners: list[str | None], me: str | None, day: dt.date, days: int) -> list[Task]:
    lo, hi = rules.purchase_bounds(day, days)
    out = []
    for owner in owners:
        rows = db.execute(
            "SELECT id, last_name, first_name, last_visit FROM clients INDEXED BY clients_today_visit"
            " WHERE consultant_id IS ? AND last_visit >= ? AND last_visit <= ?",
            [owner, lo.isoformat(), hi.isoformat()],
        ).fetchall()
        for cid, last, first, visit in rows:
            receipt = db.execute(  # the purchase of that day (a visit without one is no purchase)
                "SELECT id FROM entities WHERE client_id = ? AND entity = 'receipt'"
                " AND substr(json_extract(data, '$.at'), 1, 10) = ? ORDER BY json_extract(data, '$.at') DESC LIMIT 1",
                [cid, visit],
            ).fetchone()
            if receipt is None or not rules.purchase_due(dt.date.fromisoformat(visit), day, days):
                continue
            key = rules.task_key(rules.PURCHASE, cid, receipt[0])
            out.append(Task(key, rules.PURCHASE, cid, _name(last, first), owner == me, visit))
    return out


def _diary(db: Database, me: str | None, day: dt.date) -> list[Task]:
    if not me:
        return []
    out = []
    for f in diary_records.follow_ups(db, me, None, 500):
        if rules.diary_due(dt.date.fromisoformat(f.due), day):
            key = rules.task_key(rules.DIARY, f.client_id, f.entry_id)
            out.append(Task(key, rules.DIARY, f.client_id, f.client_name, True, f.due, f.text))
    return out


def _top(db: Database, owners: list[str | None], me: str | None, day: dt.date, s: rules.TaskSettings) -> list[Task]:
    before = rules.not_seen_before(day, s.days(rules.TOP)).isoformat()
    tiers = list(s.top_tiers) or [""]
    marks = ",".join("?" * len(tiers))
    out = []
    for owner in owners:
        rows = db.execute(
            "SELECT id, last_name, first_name, last_visit FROM clients INDEXED BY clients_today_visit"
            " WHERE consultant_id IS ? AND (last_visit IS NULL OR last_visit <= ?)"
            f" AND (tier IN ({marks}) OR {SPEND} >= ?)",
            [owner, before, *tiers, s.top_spend],
        ).fetchall()
        for cid, last, first, visit in rows:
            key = rules.task_key(rules.TOP, cid, visit or "never")
            out.append(Task(key, rules.TOP, cid, _name(last, first), owner == me, visit))
    return out


def _profiles(db: Database, owners: list[str | None], me: str | None) -> list[Task]:
    out = []
    for owner in owners:
        rows = db.execute(
            f"SELECT id, last_name, first_name, {CONSENT}, email, birthday, {GENDER}"
            " FROM clients INDEXED BY clients_today_profile WHERE consultant_id IS ?",
            [owner],
        ).fetchall()
        for cid, last, first, granted, email, born, gender in rows:
            consents = {"processing": {"granted": bool(granted)}}
            gaps = rules.profile_gaps({"consents": consents, "email": email, "birthday": born, "gender": gender})
            if gaps:
                key = rules.task_key(rules.PROFILE, cid, "profile")
                out.append(Task(key, rules.PROFILE, cid, _name(last, first), owner == me, None, ",".join(gaps)))
    return out


def _lists(db: Database, me: str | None) -> list[Task]:
    if not me:
        return []
    out = []
    for (text,) in db.execute(f"SELECT data FROM entities WHERE entity = '{LIST_ENTITY}'").fetchall():
        lst = json.loads(text)
        if me not in (lst.get("assignees") or ()):
            continue
        rows = db.execute(
            "SELECT id, last_name, first_name, consultant_id FROM clients WHERE id IN (SELECT value FROM json_each(?))",
            [json.dumps(lst.get("client_ids") or [])],
        ).fetchall()
        for cid, last, first, owner in rows:
            key = rules.task_key(rules.LIST, cid, lst["id"])
            name = lst.get("name") or ""
            out.append(Task(key, rules.LIST, cid, _name(last, first), owner == me, lst.get("day"), name))
    return out


def _settled(db: Database, keys: list[str], day: dt.date) -> set[str]:
    """The keys among `keys` whose outcome takes the task off Today (every outcome the store's
    devices hold is read: a few per client a year, far fewer than her open tasks)."""
    if not keys:
        return set()
    rows = db.execute(
        "SELECT json_extract(data, '$.task_key'), json_extract(data, '$.status'), json_extract(data, '$.until')"
        f" FROM entities WHERE entity = '{OUTCOME_ENTITY}'"
    ).fetchall()
    wanted = set(keys)
    return {k for k, status, until in rows if k in wanted and rules.hidden({"status": status, "until": until}, day)}


def lists(db: Database) -> list[TaskList]:
    """The store's campaign lists, newest first."""
    out = []
    for (text,) in db.execute(f"SELECT data FROM entities WHERE entity = '{LIST_ENTITY}'").fetchall():
        d = json.loads(text)
        out.append(
            TaskList(
                d["id"],
                d.get("name") or "",
                d.get("note") or "",
                d.get("day"),
                len(d.get("client_ids") or ()),
                tuple(d.get("assignees") or ()),
                bool(d.get("pending")),
            )
        )
    return sorted(out, key=lambda x: x.id, reverse=True)


def filter_clients(db: Database, f: rules.ListFilter, limit: int = rules.MAX_LIST_CLIENTS + 1) -> list[tuple[str, str]]:
    """(id, name) of the store's clients `f` takes, by name. The columns narrow first; the
    rule (ListFilter.matches) decides on each candidate's whole record."""
    where, params = ["1"], []
    if f.tiers:
        where.append(f"tier IN ({','.join('?' * len(f.tiers))})")
        params += list(f.tiers)
    if f.seen_since:
        where.append("last_visit >= ?")
        params.append(f.seen_since.isoformat())
    if f.birthday_month:
        where.append("substr(birthday, 6, 2) = ?")
        params.append(f"{f.birthday_month:02d}")
    out = []
    for cid, last, first, text in db.execute(
        f"SELECT id, last_name, first_name, data FROM clients WHERE {' AND '.join(where)}"
        " ORDER BY last_name, first_name",
        params,
    ):
        if f.matches(json.loads(text)):
            out.append((cid, _name(last, first)))
            if len(out) >= limit:
                break
    return out


# --- writes --------------------------------------------------------------------------------------


outcome_id = rules.outcome_id


def settle_task(
    db: Database, store_id: str, task: Task, status: str, until: dt.date | None, by: str | None, by_name: str
) -> str:
    """Done, snoozed to `until` or dismissed (task.update): off Today at once, pending until the hub
    answers; the hub's outcome (perhaps a colleague's, first) replaces this row at the next pull."""
    at = utcnow().isoformat()
    data = {
        "id": outcome_id(store_id, task.key),
        "task_key": task.key,
        "client_id": task.client_id,
        "status": status,
        "until": until.isoformat() if until else None,
        "by": by,
        "by_name": by_name,
        "at": at,
        "pending": True,
    }
    db.execute(
        "INSERT OR REPLACE INTO entities (entity, id, client_id, data) VALUES (?, ?, ?, ?)",
        [OUTCOME_ENTITY, data["id"], task.client_id, dumps(data)],
    )
    payload: dict[str, Any] = {"task_key": task.key, "client_id": task.client_id, "status": status, "at": at}
    if until is not None:
        payload["until"] = until.isoformat()
    return enqueue(db, "task.update", task.client_id, payload)


def assign_client(db: Database, client_id: str, consultant_id: str) -> str:
    """A manager gives her client to another consultant (client.assign), shown at once."""
    db.execute(
        "UPDATE clients SET consultant_id = ?, data = json_set(data, '$.consultant_id', ?) WHERE id = ?",
        [consultant_id, consultant_id, client_id],
    )
    return enqueue(db, "client.assign", client_id, {"client_id": client_id, "consultant_id": consultant_id})


def create_list(
    db: Database,
    list_id: str,
    store_id: str,
    name: str,
    note: str,
    day: dt.date | None,
    client_ids: list[str],
    assignees: list[str],
    filter_: dict[str, Any],
) -> str:
    """A manager's campaign list (list.create), on this device at once, marked pending."""
    data = {
        "id": list_id,
        "store_id": store_id,
        "name": name,
        "note": note,
        "day": day.isoformat() if day else None,
        "client_ids": client_ids,
        "assignees": assignees,
        "filter": filter_,
        "pending": True,
    }
    db.execute(
        "INSERT OR REPLACE INTO entities (entity, id, client_id, data) VALUES (?, ?, NULL, ?)",
        [LIST_ENTITY, list_id, dumps(data)],
    )
    payload = {k: data[k] for k in ("id", "name", "note", "day", "client_ids", "assignees", "filter")}
    return enqueue(db, "list.create", list_id, payload)
