"""The change feed: the newest version of each entity under one monotonic sequence.

Publishing replaces an entity's feed row with a new one at the end of the sequence, so
a device that pulls from its cursor sees every entity that changed since, once, in hub
order. Callers publish inside a `HubDB.write()` transaction, which keeps seq order
equal to commit order.
"""

from __future__ import annotations

import heapq
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, bindparam, delete, func, insert, select

from sync.hub.schema import feed


def dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)


def publish(conn: Connection, entity: str, entity_id: str, store_id: str | None,
            data: dict | None, deleted: bool = False) -> None:
    publish_many(conn, [(entity, entity_id, store_id, data, deleted)])


BUFFER = "vitrine_feed_buffer"


def publish_many(conn: Connection, items: Iterable[tuple[str, str, str | None, dict | None, bool]]) -> None:
    """Publish entities; inside `HubDB.write()` they are buffered and written at commit."""
    buffer = conn.info.get(BUFFER)
    if buffer is not None:
        for item in items:
            buffer[(item[0], item[1])] = item  # the last version of an entity in a transaction wins
        return
    write_rows(conn, items)


@contextmanager
def savepoint(conn: Connection) -> Iterator[None]:
    """A nested transaction whose buffered publications roll back with it."""
    buffer = conn.info.get(BUFFER)
    before = dict(buffer) if buffer is not None else None
    try:
        with conn.begin_nested():
            yield
    except BaseException:
        if buffer is not None:
            buffer.clear()
            buffer.update(before)
        raise


def write_rows(conn: Connection, items: Iterable[tuple[str, str, str | None, dict | None, bool]]) -> None:
    rows = [
        {"entity": e, "entity_id": i, "store_id": s, "data": None if d is None else dumps(d), "deleted": dl}
        for e, i, s, d, dl in items
    ]
    if not rows:
        return
    keys = [(r["entity"], r["entity_id"]) for r in rows]
    # On SQLite `seq` is a plain rowid alias (no AUTOINCREMENT): a new row gets max(seq)+1
    # *after* the delete below, so republishing the newest entity would hand its number to
    # the next row, and a device whose cursor already sits on that number would skip that
    # row for good. So number the rows from the maximum taken before the delete (we hold
    # the write lock). PostgreSQL's sequence never reuses a number.
    top = None
    if conn.dialect.name == "sqlite":
        top = conn.execute(select(func.max(feed.c.seq))).scalar() or 0
    # One keyed delete per entity (executemany). A single `(entity, entity_id) IN (VALUES
    # (…), (…))` with two or more rows makes SQLite scan the whole feed: every mutation
    # that publishes two entities (an update: history + client) cost O(feed size).
    conn.execute(delete(feed).where(feed.c.entity == bindparam("k_entity"), feed.c.entity_id == bindparam("k_id")),
                 [{"k_entity": e, "k_id": i} for e, i in keys])
    if top is not None:
        for n, r in enumerate(rows, 1):
            r["seq"] = top + n
    conn.execute(insert(feed), rows)


def _visible(store_id: str):
    """The two index ranges a store sees: its own rows and the rows of no store.

    Asked as two queries, each walking feed_store_seq in seq order and stopping at the
    limit. One query with `store_id = ? OR store_id IS NULL` makes SQLite (and PostgreSQL)
    union both ranges and sort everything after the cursor before the limit applies:
    every page of an initial sync would sort the whole rest of the store.
    """
    return (feed.c.store_id == store_id, feed.c.store_id.is_(None))


def page(conn: Connection, store_id: str, cursor: int, limit: int) -> tuple[list, int, bool]:
    """Rows after `cursor` visible to `store_id`: (rows, next_cursor, has_more)."""
    cols = (feed.c.seq, feed.c.entity, feed.c.entity_id, feed.c.deleted, feed.c.data)
    ranges = [conn.execute(select(*cols).where(where, feed.c.seq > cursor).order_by(feed.c.seq).limit(limit + 1))
              .all() for where in _visible(store_id)]
    rows = list(heapq.merge(*ranges, key=lambda r: r.seq))[:limit + 1] if ranges[1] else ranges[0]
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = rows[-1].seq if rows else cursor
    return rows, next_cursor, has_more


def remaining(conn: Connection, store_id: str, cursor: int) -> int:
    return sum(conn.execute(select(func.count()).select_from(feed).where(where, feed.c.seq > cursor)).scalar_one()
               for where in _visible(store_id))


_PLAIN = re.compile(r"[0-9A-Za-z_.:\-]*")


def _string(s: str) -> str:
    """A JSON string; ids and entity names need no escaping, so skip the encoder for them."""
    return '"' + s + '"' if _PLAIN.fullmatch(s) else json.dumps(s)


def render_page(rows: list, next_cursor: int, has_more: bool, total: int | None) -> bytes:
    """The ChangePage JSON built from stored JSON text, without re-parsing each entity."""
    parts = [
        '{"seq":%d,"entity":%s,"entity_id":%s,"deleted":%s,"data":%s}'
        % (seq, _string(entity), _string(entity_id), "true" if deleted else "false",
           data if data is not None else "null")
        for seq, entity, entity_id, deleted, data in rows
    ]
    total_s = "null" if total is None else str(total)
    return ('{"changes":[%s],"next_cursor":%d,"has_more":%s,"total_estimate":%s}'
            % (",".join(parts), next_cursor, "true" if has_more else "false", total_s)).encode()
