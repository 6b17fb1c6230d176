"""The change feed: the newest version of each entity under one monotonic sequence.

Publishing replaces an entity's feed row with a new one at the end of the sequence, so
a device that pulls from its cursor sees every entity that changed since, once, in hub
order. Callers publish inside a `HubDB.write()` transaction, which keeps seq order
equal to commit order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from operator import itemgetter
from typing import NamedTuple

from sqlalchemy import Connection, func, select

from sync.hub.db import sql, sql_many
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
    # Plain SAVEPOINT statements (db.sql) rather than conn.begin_nested(): one per mutation,
    # and SQLAlchemy's two executions cost more than the rest of a small mutation's SQL.
    # SQLite and PostgreSQL both resolve a reused name to the innermost savepoint.
    buffer = conn.info.get(BUFFER)
    before = dict(buffer) if buffer is not None else None
    sql(conn, "SAVEPOINT vitrine_sp")
    try:
        yield
    except BaseException:
        sql(conn, "ROLLBACK TO SAVEPOINT vitrine_sp")
        sql(conn, "RELEASE SAVEPOINT vitrine_sp")
        if buffer is not None:
            buffer.clear()
            buffer.update(before)
        raise
    sql(conn, "RELEASE SAVEPOINT vitrine_sp")


def write_rows(conn: Connection, items: Iterable[tuple[str, str, str | None, dict | None, bool]]) -> None:
    rows = [(e, i, s, None if d is None else dumps(d), bool(dl)) for e, i, s, d, dl in items]
    if not rows:
        return
    # Plain driver statements (db.sql): this runs in every write that publishes.
    # On SQLite `seq` is a plain rowid alias (no AUTOINCREMENT): a new row gets max(seq)+1
    # *after* the delete below, so republishing the newest entity would hand its number to
    # the next row, and a device whose cursor already sits on that number would skip that
    # row for good. So number the rows from the maximum taken before the delete (we hold
    # the write lock). PostgreSQL's sequence never reuses a number.
    top = None
    if conn.dialect.name == "sqlite":
        top = sql(conn, "SELECT max(seq) FROM feed").fetchone()[0] or 0
    # One keyed delete per entity (executemany). A single `(entity, entity_id) IN (VALUES
    # (…), (…))` with two or more rows makes SQLite scan the whole feed: every mutation
    # that publishes two entities (an update: history + client) cost O(feed size).
    sql_many(conn, "DELETE FROM feed WHERE entity = ? AND entity_id = ?", [r[:2] for r in rows])
    if top is not None:
        sql_many(conn, "INSERT INTO feed (seq, entity, entity_id, store_id, data, deleted) VALUES (?, ?, ?, ?, ?, ?)",
                    [(top + n, *r) for n, r in enumerate(rows, 1)])
    else:
        sql_many(conn, "INSERT INTO feed (entity, entity_id, store_id, data, deleted) VALUES (?, ?, ?, ?, ?)", rows)


def _visible(store_id: str):
    """The two index ranges a store sees: its own rows and the rows of no store.

    Asked as two ranges (two queries here; two subqueries in _PAGE_SQL), each walking
    feed_store_seq in seq order and stopping at the limit. One query with
    `store_id = ? OR store_id IS NULL` makes SQLite (and PostgreSQL) union both ranges
    and sort everything after the cursor before the limit applies: every page of an
    initial sync would sort the whole rest of the store.
    """
    return (feed.c.store_id == store_id, feed.c.store_id.is_(None))


_by_seq = itemgetter(0)


class FeedRow(NamedTuple):
    seq: int
    entity: str
    entity_id: str
    deleted: bool
    data: bytes | None  # the entity's JSON, UTF-8


# Both ranges of _visible() in one statement: each subquery walks feed_store_seq in seq
# order and stops at its limit; Python merges the two sorted runs (an outer ORDER BY
# made SQLite sort both through temp b-trees, twice the cost). One statement is also one
# snapshot on PostgreSQL under READ COMMITTED: two separate queries could miss a store
# row committed between them yet see a later store-less row, and the device's cursor
# would then jump past the first for good.
_PAGE_SQL = (
    "SELECT * FROM (SELECT seq, entity, entity_id, deleted, {data} FROM feed"
    " WHERE store_id = ? AND seq > ? ORDER BY seq LIMIT ?) AS own"
    " UNION ALL"
    " SELECT * FROM (SELECT seq, entity, entity_id, deleted, {data} FROM feed"
    " WHERE store_id IS NULL AND seq > ? ORDER BY seq LIMIT ?) AS shared"
)
# Entity JSON is read as UTF-8 bytes and written into the page as it is: decoding ~600
# bytes of mostly Cyrillic text into a str per row and encoding the page back was most of
# a pull's CPU after the query itself.
_PAGE_DATA = {"sqlite": "CAST(data AS BLOB)", "postgresql": "convert_to(data, 'UTF8')"}


def page(conn: Connection, store_id: str, cursor: int, limit: int) -> tuple[list[FeedRow], int, bool]:
    """Rows after `cursor` visible to `store_id`: (rows, next_cursor, has_more)."""
    # A plain driver statement (db.sql): pulls are most of the hub's traffic.
    statement = _PAGE_SQL.format(data=_PAGE_DATA[conn.dialect.name])
    found = sql(conn, statement, (store_id, cursor, limit + 1, cursor, limit + 1)).fetchall()
    found.sort(key=_by_seq)  # two sorted runs: a linear merge for timsort
    has_more = len(found) > limit
    rows = [FeedRow(seq, entity, entity_id, bool(deleted), data) for seq, entity, entity_id, deleted, data
            in found[:limit]]
    next_cursor = rows[-1].seq if rows else cursor
    return rows, next_cursor, has_more


def remaining(conn: Connection, store_id: str, cursor: int) -> int:
    return sum(conn.execute(select(func.count()).select_from(feed).where(where, feed.c.seq > cursor)).scalar_one()
               for where in _visible(store_id))


def _string(s: str) -> bytes:
    """A JSON string; ids and entity names need no escaping, so skip the encoder for them."""
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return b'"' + s.encode() + b'"'
    return json.dumps(s).encode()


def render_page(rows: list[FeedRow], next_cursor: int, has_more: bool, total: int | None) -> bytes:
    """The ChangePage JSON built from stored JSON bytes, without re-parsing each entity.

    Plain bytes formatting and one join: this runs for every row a device pulls, and a
    regex check and a str round trip per row cost as much as the query itself.
    """
    out = [b'{"changes":[']
    for seq, entity, entity_id, deleted, data in rows:
        out.append(b'{"seq":%d,"entity":%b,"entity_id":%b,"deleted":%b,"data":'
                   % (seq, _string(entity), _string(entity_id), b"true" if deleted else b"false"))
        out.append(b"null" if data is None else data)
        out.append(b"},")
    if rows:
        out[-1] = b"}"
    total_s = b"null" if total is None else str(total).encode()
    out.append(b'],"next_cursor":%d,"has_more":%b,"total_estimate":%b}'
               % (next_cursor, b"true" if has_more else b"false", total_s))
    return b"".join(out)
