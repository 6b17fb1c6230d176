"""Row locks for the hub's read-modify-write transactions.

A client update merges a patch into the stored snapshot and writes it back; a receipt
reads the client's ledger, draws the points it redeems and appends the draws. On
PostgreSQL, with several worker processes and READ COMMITTED, two such transactions on
one client both read the same starting point: one update's field is lost, and two tills
spend the same points. So every writer of a client's row, ledger or receipts reads the
client's row first with SELECT ... FOR UPDATE (members.load and find_by_contact): the
second writer waits for the first to commit, then reads what it wrote. A receipt a
consultant links is locked the same way (two links to one receipt: the second sees the
first's claim). Row locks rather than SERIALIZABLE: they block only writers of the same
client, and need no retry loop around every write transaction (serialization failures
would come from the feed and mutation tables too, for transactions that touch
different clients).

What has no row yet (a receipt a consultant links before the till uploads it) is locked
by name (`lock_names`, a transaction-level advisory lock). Every transaction takes its
names before its client rows, and several at once in a fixed order, so none can wait for
a name while holding a row another waits for.

On SQLite these are no-ops: its single writer (BEGIN IMMEDIATE, see HubDB.write) already
serialises every write transaction, and SQLite has no FOR UPDATE.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import Connection

from sync.hub.storage.statements import sql


def row_locks(conn: Connection) -> bool:
    """Whether this database needs (and has) row locks: PostgreSQL, not SQLite."""
    return conn.dialect.name != "sqlite"


def for_update(conn: Connection, statement: str) -> str:
    """`statement` (a plain SELECT for storage.sql) locking the rows it returns until the
    transaction ends, on PostgreSQL; unchanged on SQLite."""
    return statement + " FOR UPDATE" if row_locks(conn) else statement


def lock_clients(conn: Connection, client_ids: Iterable[str]) -> None:
    """Lock several clients' rows at once, in id order, before a transaction that works on
    them one after another (a till's batch): two batches naming the same clients in
    different orders would otherwise each hold one and wait for the other (a deadlock)."""
    if not row_locks(conn):
        return
    ids = sorted(set(client_ids))
    if ids:
        sql(conn, f"SELECT id FROM clients WHERE id IN ({', '.join('?' * len(ids))}) ORDER BY id FOR UPDATE", ids)


NAME_LOCKS = 727_002  # PostgreSQL advisory lock class (storage.database has 727_001, one-key form)


def lock_names(conn: Connection, names: Iterable[str]) -> None:
    """Lock these names to the end of the transaction (in a fixed order: see above).

    Names hash to 32 bits: two names sharing a hash only wait for each other, never get
    in each other's way otherwise. The statement's result is not read (the lock is taken
    in order before the next statement runs), so inside a pipelined write it costs no
    round trip of its own."""
    if not row_locks(conn):
        return
    keys = sorted(
        {int.from_bytes(hashlib.blake2b(n.encode(), digest_size=4).digest(), "big", signed=True) for n in names}
    )
    if keys:
        sql(conn, "SELECT pg_advisory_xact_lock(?::int, k) FROM unnest(?::int[]) AS k", (NAME_LOCKS, keys))


def try_lock_client(conn: Connection, client_id: str) -> bool:
    """Lock a client's row unless another transaction holds it (PostgreSQL SKIP LOCKED):
    for a job that already holds one client and must not wait for a second, which a
    till's batch might hold while it waits for the first. True on SQLite (one writer)."""
    if not row_locks(conn):
        return True
    return sql(conn, "SELECT id FROM clients WHERE id = ? FOR UPDATE SKIP LOCKED", (client_id,)).fetchone() is not None
