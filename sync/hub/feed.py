"""The change feed: the newest version of each entity under one monotonic sequence.

Publishing replaces an entity's feed row with a new one at the end of the sequence, so
a device that pulls from its cursor sees every entity that changed since, once, in hub
order. Callers publish inside a `HubDB.write()` transaction: the feed buffers what a
transaction publishes and writes it last, from a commit hook, which keeps seq order
equal to commit order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from operator import itemgetter

from sqlalchemy import Connection, func, select

from sync.hub.storage import commit_hooks, schema, sql, sql_many
from sync.rules.jsontext import dumps  # also feed.dumps for the hub modules that store JSON


def publish(
    conn: Connection, entity: str, entity_id: str, store_id: str | None, data: dict | None, deleted: bool = False
) -> None:
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
def _flush_at_commit(conn: Connection, lock: int | None) -> Iterator[None]:
    """The commit hook: buffer a write transaction's publications, then write them last."""
    conn.info[BUFFER] = {}
    try:
        yield
        buffered = list(conn.info[BUFFER].values())
    finally:
        conn.info.pop(BUFFER, None)
    if buffered:
        write_rows(conn, buffered, lock)


commit_hooks.register(_flush_at_commit)


def client_of(entity: str, entity_id: str, data: dict | None) -> str | None:
    """The client an entity belongs to: a client is its own; others name it in `client_id`."""
    if entity == "client":
        return entity_id
    return data.get("client_id") if isinstance(data, dict) else None


def write_rows(
    conn: Connection, items: Iterable[tuple[str, str, str | None, dict | None, bool]], lock: int | None = None
) -> None:
    """Put each entity's row at the end of the feed; with `lock` (PostgreSQL), take that
    transaction-level advisory lock first, in the same statement."""
    rows = [(e, i, s, None if d is None else dumps(d), bool(dl), client_of(e, i, d)) for e, i, s, d, dl in items]
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        # One statement for the lock and every row: a write used to spend five round trips
        # here (lock, a delete and an insert per entity), each ~100 us of psycopg CPU on the
        # hub plus a parse/execute on the server. The upsert moves an entity's row to a new
        # seq (EXCLUDED.seq is the row's fresh nextval), as the delete + insert did.
        # The rows come out of a join with the lock's CTE, so every nextval runs after the
        # lock is held: seq order stays commit order.
        params = [v for r in rows for v in r]
        sql(conn, _pg_write_sql(len(rows), lock is not None), [lock, *params] if lock is not None else params)
        return
    # Plain driver statements (storage.sql): this runs in every write that publishes.
    # On SQLite `seq` is a plain rowid alias (no AUTOINCREMENT): a new row gets max(seq)+1
    # *after* the delete below, so republishing the newest entity would hand its number to
    # the next row, and a device whose cursor already sits on that number would skip that
    # row for good. So number the rows from the maximum taken before the delete (we hold
    # the write lock).
    top = sql(conn, "SELECT max(seq) FROM feed").fetchone()[0] or 0
    # One keyed delete per entity (executemany). A single `(entity, entity_id) IN (VALUES
    # (…), (…))` with two or more rows makes SQLite scan the whole feed: every mutation
    # that publishes two entities (an update: history + client) cost O(feed size).
    sql_many(conn, "DELETE FROM feed WHERE entity = ? AND entity_id = ?", [r[:2] for r in rows])
    sql_many(
        conn,
        "INSERT INTO feed (seq, entity, entity_id, store_id, data, deleted, client_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(top + n, *r) for n, r in enumerate(rows, 1)],
    )


@lru_cache(maxsize=256)
def _pg_write_sql(n: int, lock: bool) -> str:
    values = ", ".join(["(?, ?, ?, ?, ?, ?)"] * n)
    return (
        ("WITH lock AS (SELECT pg_advisory_xact_lock(?)) " if lock else "")
        + "INSERT INTO feed (entity, entity_id, store_id, data, deleted, client_id)"
        f" SELECT v.* FROM (VALUES {values}) AS v(entity, entity_id, store_id, data, deleted, client_id)"
        + (", lock" if lock else "")
        + " ON CONFLICT (entity, entity_id) DO UPDATE SET seq = EXCLUDED.seq, store_id = EXCLUDED.store_id,"
        " data = EXCLUDED.data, deleted = EXCLUDED.deleted, client_id = EXCLUDED.client_id"
    )


def _visible(store_id: str):
    """The two index ranges a store sees: its own rows and the rows of no store.

    Asked as two ranges (two queries here; two subqueries in PAGE_SQL), each walking
    feed_store_seq in seq order and stopping at the limit. One query with
    `store_id = ? OR store_id IS NULL` makes SQLite (and PostgreSQL) union both ranges
    and sort everything after the cursor before the limit applies: every page of an
    initial sync would sort the whole rest of the store.
    """
    return (schema.feed.c.store_id == store_id, schema.feed.c.store_id.is_(None))


_by_seq = itemgetter(0)


PageRow = tuple[int, bytes]
"""(seq, change): a change as a page carries it (sync.page.Change), UTF-8 JSON
{"seq", "entity", "entity_id", "client_id", "deleted", "data"}, as the driver returns it."""


# Both ranges of _visible() in one statement: each subquery walks feed_store_seq in seq
# order and stops at its limit; Python merges the two sorted runs (an outer ORDER BY
# made SQLite sort both through temp b-trees, twice the cost). One statement is also one
# snapshot on PostgreSQL under READ COMMITTED: two separate queries could miss a store
# row committed between them yet see a later store-less row, and the device's cursor
# would then jump past the first for good.
# The third range: the entities of clients of other stores shared into this one
# (sync.hub.shares), by feed_client_seq; empty (one probe of client_shares) for a store
# that shares none. Their rows are filed under the client's home store, never this one.
PAGE_SQL = (
    "SELECT * FROM (SELECT seq, {change} FROM feed"
    " WHERE store_id = ? AND seq > ? ORDER BY seq LIMIT ?) AS own"
    " UNION ALL"
    " SELECT * FROM (SELECT seq, {change} FROM feed"
    " WHERE store_id IS NULL AND seq > ? ORDER BY seq LIMIT ?) AS shared"
    " UNION ALL"
    " SELECT * FROM (SELECT seq, {change} FROM feed"
    " WHERE client_id IN (SELECT client_id FROM client_shares WHERE store_id = ?) AND store_id <> ?"
    " AND seq > ? ORDER BY seq LIMIT ?) AS lent"
)


def page_params(store_id: str, cursor: int, limit: int) -> tuple:
    """PAGE_SQL's parameters: up to `limit` rows after `cursor` from each range."""
    return (store_id, cursor, limit, cursor, limit, store_id, store_id, cursor, limit)


# Each change is rendered by the database, as UTF-8 bytes with the entity's stored JSON
# inside as it is: pages are most of the hub's traffic, and building each change in
# Python (a str round trip of ~600 bytes of mostly Cyrillic text, then formatting) cost
# as much as the query; in SQL it is a few concatenations in C.
_CHANGE = (
    """'{{"seq":' || seq || ',"entity":' || {q}(entity){t} || ',"entity_id":' || {q}(entity_id){t}"""
    """ || ',"client_id":' || coalesce({q}(client_id){t}, 'null')"""
    """ || ',"deleted":' || CASE WHEN deleted THEN 'true' ELSE 'false' END"""
    """ || ',"data":' || coalesce(data, 'null') || '}}'"""
)
_PAGE_CHANGE = {
    "sqlite": "CAST({} AS BLOB)".format(_CHANGE.format(q="json_quote", t="")),
    "postgresql": "convert_to({}, 'UTF8')".format(_CHANGE.format(q="to_json", t="::text")),
}


RAW_COLUMNS = "entity, entity_id, client_id, deleted, data"
"""The columns of a change as stored, for a page written as a file (sync.hub.page_file)."""


def page(
    conn: Connection, store_id: str, cursor: int, limit: int, columns: str | None = None
) -> tuple[list[tuple], int, bool]:
    """Changes after `cursor` visible to `store_id`: (rows, next_cursor, has_more).

    Rows are (seq, change as JSON bytes) (`PageRow`), or (seq, *columns) with `columns`.
    """
    # A plain driver statement (storage.sql): pulls are most of the hub's traffic.
    statement = PAGE_SQL.format(change=columns or _PAGE_CHANGE[conn.dialect.name])
    found = sql(conn, statement, page_params(store_id, cursor, limit + 1)).fetchall()
    found.sort(key=_by_seq)  # sorted runs: a linear merge for timsort
    has_more = len(found) > limit
    rows = found[:limit]
    next_cursor = rows[-1][0] if rows else cursor
    return rows, next_cursor, has_more


def remaining(conn: Connection, store_id: str, cursor: int) -> int:
    feed, shares = schema.feed, schema.client_shares
    lent = feed.c.client_id.in_(select(shares.c.client_id).where(shares.c.store_id == store_id))
    return sum(
        conn.execute(select(func.count()).select_from(feed).where(where, feed.c.seq > cursor)).scalar_one()
        for where in (*_visible(store_id), lent & (feed.c.store_id != store_id))
    )
