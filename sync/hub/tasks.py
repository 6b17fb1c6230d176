"""Today on the hub: a brand's task rules as data, task outcomes, client assignment, campaign lists.

- Rules (sync.rules.today.TaskSettings): one row per brand in task_settings (none: the
  defaults), published to each of its stores' devices as one `task_rules` feed row (entity
  id: the store) together with the store's staff (id, name, role), whom a manager assigns
  clients and lists to.
- Outcomes (`task.update`): one per (store, task key). The first done or dismissed the hub
  applies stays (sync.rules.today.settle): a second device's done is answered as applied
  with `already` and the outcome that stands, not as an error, and nothing changes. Each
  outcome is published to the store (`task_outcome`, entity id "store/key"), so a colleague's
  Today drops the task at her next pull.
- `client.assign` (manager): the client's consultant_id, to a consultant of the same store.
- `list.create` (manager): a campaign list of the store's clients for some of its consultants,
  published to the store as `task_list`.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, insert, select, update

from sync.hub import auth, feed, members
from sync.hub.auth import Account
from sync.hub.errors import Rejected, parse
from sync.hub.storage import schema
from sync.models import ClientAssignPayload, ListCreatePayload, Mutation, TaskUpdatePayload, utcnow
from sync.rules import today

RULES_ENTITY = "task_rules"
OUTCOME_ENTITY = "task_outcome"
LIST_ENTITY = "task_list"


# --- the brand's rules -----------------------------------------------------------------------


def brand_settings(conn: Connection, brand_id: str) -> today.TaskSettings:
    row = conn.execute(select(schema.task_settings.c.data).where(schema.task_settings.c.brand_id == brand_id)).first()
    return today.TaskSettings.from_data(json.loads(row.data) if row else None)


def set_settings(conn: Connection, brand_id: str, settings: today.TaskSettings) -> None:
    t = schema.task_settings
    data = feed.dumps(settings.to_data())
    if conn.execute(update(t).where(t.c.brand_id == brand_id).values(data=data)).rowcount == 0:
        conn.execute(insert(t).values(brand_id=brand_id, data=data))
    publish(conn, brand_id)


def staff(conn: Connection, store_id: str) -> list[dict]:
    """The store's consultants and managers who can log in: whom work is assigned to."""
    a = schema.accounts
    rows = conn.execute(
        select(a.c.id, a.c.name, a.c.role)
        .where(a.c.store_id == store_id, a.c.role.in_(auth.STORE_STAFF), a.c.disabled_at.is_(None))
        .order_by(a.c.name)
    ).all()
    return [{"id": r.id, "name": r.name, "role": r.role} for r in rows]


def publish(conn: Connection, brand_id: str, only_store: str | None = None) -> None:
    """The rules (and each store's staff) as a feed row for each of the brand's stores."""
    data = brand_settings(conn, brand_id).to_data()
    q = select(schema.stores.c.id).where(schema.stores.c.brand_id == brand_id)
    if only_store is not None:
        q = q.where(schema.stores.c.id == only_store)
    rows = [
        (RULES_ENTITY, s.id, s.id, {"id": s.id, "brand_id": brand_id, **data, "staff": staff(conn, s.id)}, False)
        for s in conn.execute(q).all()
    ]
    feed.publish_many(conn, rows)


# --- mutations -------------------------------------------------------------------------------


def update_task(conn: Connection, m: Mutation, account: Account, device_id: str) -> dict:
    p = parse(TaskUpdatePayload, m.payload)
    try:  # the key names its client as the device knew her (a merged one's survivor is p.client_id)
        today.parse_key(p.task_key)
    except today.TaskRuleError as e:
        raise Rejected(e.code, str(e)) from None
    if p.status == "snoozed" and p.until is None:
        raise Rejected("bad_snooze", "A snooze needs its day.")
    client = members.existing(conn, p.client_id, account.store_id)  # her store, or shared into it
    t = schema.task_outcomes
    where = (t.c.store_id == account.store_id, t.c.task_key == p.task_key)
    current = conn.execute(select(t.c.data).where(*where)).first()
    stands = json.loads(current.data) if current else None
    if not today.settle(stands, p.status):
        # Another device settled it first: that outcome stands; this one is no error.
        return {"task_key": p.task_key, "already": True, "outcome": stands}
    outcome = {
        "id": today.outcome_id(account.store_id, p.task_key),
        "task_key": p.task_key,
        "client_id": client["id"],
        "status": p.status,
        "until": p.until.isoformat() if p.status == "snoozed" and p.until else None,
        "by": account.id,
        "by_name": account.name,
        "at": (p.at or m.client_time).isoformat(),
        "applied_at": utcnow().isoformat(),
    }
    values = {"client_id": client["id"], "status": p.status, "data": feed.dumps(outcome)}
    if current is None:
        conn.execute(insert(t).values(store_id=account.store_id, task_key=p.task_key, **values))
    else:
        conn.execute(update(t).where(*where).values(**values))
    feed.publish(conn, OUTCOME_ENTITY, outcome["id"], account.store_id, outcome)
    return {"task_key": p.task_key, "already": False, "outcome": outcome}


def _store_staff(conn: Connection, store_id: str, ids: list[str]) -> None:
    known = {s["id"] for s in staff(conn, store_id)}
    if any(i not in known for i in ids):
        raise Rejected("unknown_consultant", "Assign only to consultants of this store.")


def assign(conn: Connection, m: Mutation, account: Account, device_id: str) -> dict:
    p = parse(ClientAssignPayload, m.payload)
    client = members.existing(conn, p.client_id, account.store_id)
    if client["store_id"] != account.store_id:  # shared into the store: her own store assigns her
        raise Rejected("unknown_client", "This client is not known to the hub.")
    _store_staff(conn, account.store_id, [p.consultant_id])
    if client.get("consultant_id") != p.consultant_id:
        members.save(conn, {**client, "consultant_id": p.consultant_id})
    return {"client_id": client["id"], "consultant_id": p.consultant_id}


def create_list(conn: Connection, m: Mutation, account: Account, device_id: str) -> dict:
    p = parse(ListCreatePayload, m.payload)
    if len(p.client_ids) > today.MAX_LIST_CLIENTS:
        raise Rejected("list_too_long", f"A list holds at most {today.MAX_LIST_CLIENTS} clients.")
    assignees = list(dict.fromkeys(p.assignees))
    _store_staff(conn, account.store_id, assignees)
    ids = list(dict.fromkeys(p.client_ids))
    c = schema.clients
    found: set[str] = set()
    for k in range(0, len(ids), 500):
        chunk = ids[k : k + 500]
        rows = conn.execute(select(c.c.id).where(c.c.id.in_(chunk), c.c.store_id == account.store_id)).all()
        found.update(r.id for r in rows)
    clients = [i for i in ids if i in found]  # another store's, unknown or erased: left out, counted
    if not clients:
        raise Rejected("unknown_client", "None of the list's clients is a client of this store.")
    t = schema.task_lists
    if conn.execute(select(t.c.id).where(t.c.id == p.id)).first() is not None:
        raise Rejected("list_exists", "A list with this id exists already.")
    data = {
        "id": p.id,
        "store_id": account.store_id,
        "name": p.name,
        "note": p.note,
        "day": p.day.isoformat() if p.day else None,
        "client_ids": clients,
        "assignees": assignees,
        "filter": p.filter,
        "by": account.id,
        "by_name": account.name,
        "created_at": m.client_time.isoformat(),
    }
    conn.execute(insert(t).values(id=p.id, store_id=account.store_id, data=feed.dumps(data)))
    feed.publish(conn, LIST_ENTITY, p.id, account.store_id, data)
    return {"list_id": p.id, "clients": len(clients), "left_out": len(ids) - len(clients)}
