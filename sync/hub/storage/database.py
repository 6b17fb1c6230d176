"""Hub connections: SQLite file by default, PostgreSQL by URL; schema by Alembic.

Feed sequence numbers must become visible in commit order (a reader must never see
seq 11 before seq 10 commits, or it would skip 10 for good). So a write transaction
buffers what it publishes and writes it to the feed last (a commit hook, see
commit_hooks), under a lock held to commit: SQLite's write lock (BEGIN IMMEDIATE), or
PostgreSQL's transaction-level advisory lock (COMMIT_ORDER_LOCK), taken only for that
final step so other writers' work overlaps.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event

from sync.hub.storage.commit_hooks import around_write

MIGRATIONS = Path(__file__).parent.parent / "migrations"
COMMIT_ORDER_LOCK = 727_001  # PostgreSQL advisory lock key, handed to the commit hooks
PIPELINE = "vitrine_pipeline"  # conn.info key: the psycopg pipeline of a write, if any
# SQLite's automatic checkpoint runs inside the COMMIT that crosses 1000 WAL pages, and
# copying those ~4 MB into the database file took 30-470 ms on the benchmark machine, with
# the write lock held: every writer queued behind it (the hub benchmark's 0.5 s write
# stalls). So our connections turn it off and a background thread checkpoints instead,
# in PASSIVE mode, which neither waits for nor blocks readers and writers.
CHECKPOINT_EVERY = 0.25  # seconds


def normalize_url(url: str) -> str:
    """Accept a bare file path, sqlite:///… or postgresql://… ."""
    if "://" not in url:
        return f"sqlite:///{Path(url).resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class HubDB:
    # hide_parameters: an SQL error's message (logged, or shown in a traceback) names the
    # statement but not its values - they are phones, names and e-mails.
    def __init__(self, url: str):
        self.url = normalize_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            self.engine: Engine = create_engine(
                self.url,
                connect_args={"check_same_thread": False, "timeout": 30},
                pool_size=8,
                max_overflow=8,
                hide_parameters=True,
            )
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            self.engine = create_engine(
                self.url, pool_size=10, max_overflow=20, pool_recycle=1800, hide_parameters=True
            )
            event.listen(self.engine, "after_cursor_execute", _sync_pipeline)
        # Reads on PostgreSQL run in autocommit: under READ COMMITTED every statement takes
        # its own snapshot anyway, so a transaction adds nothing to a read but two round
        # trips (psycopg's BEGIN, and the pool's ROLLBACK on return) - two thirds of a pull's
        # statements. SQLite keeps its transactions (one snapshot for several statements).
        self._read_engine: Engine = (
            self.engine
            if self.is_sqlite
            else create_engine(
                self.url,
                pool_size=10,
                max_overflow=20,
                pool_recycle=1800,
                isolation_level="AUTOCOMMIT",
                hide_parameters=True,
            )
        )
        # One process's writers queue here instead of spinning on SQLite's busy lock.
        self._write_lock = threading.Lock() if self.is_sqlite else None
        self._checkpointer: threading.Thread | None = None  # SQLite: started by the first write
        self._stop_checkpoints = threading.Event()

    def migrate(self) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        if self.is_sqlite:  # a migration that rewrote a table leaves it all in the WAL: fold it in now
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction; the commit hooks (the feed's flush) run at its end, in commit order."""
        if self._write_lock is not None:
            if self._checkpointer is None:
                self._start_checkpointer(self._write_lock)
            with self._write_lock, self.engine.connect() as conn:
                conn = conn.execution_options(vitrine_write=True)
                with conn.begin():
                    yield from around_write(conn, None)
        else:
            # In psycopg's pipeline mode a statement whose result nobody reads (the inserts,
            # updates and the feed write) is sent without waiting for its answer; those
            # answers come back with the COMMIT's. A client.update mutation went from 8
            # round trips to 4, each a blocking wait on the event loop (and two context
            # switches on a busy machine). SQLAlchemy statements sync at once
            # (_sync_pipeline): it reads a result's columns right after executing.
            with self.engine.connect() as conn:
                # Typed Optional by SQLAlchemy (None once invalidated or closed), never None
                # under an open Connection: declared, not checked (see statements.sql).
                driver: Any = conn.connection.driver_connection
                with driver.pipeline() as pipeline:
                    conn.info[PIPELINE] = pipeline
                    try:
                        with conn.begin():
                            yield from around_write(conn, COMMIT_ORDER_LOCK)
                    finally:
                        conn.info.pop(PIPELINE, None)

    def warm_up(self, connections: int = 2) -> None:
        """Open pooled PostgreSQL connections now rather than under the first requests: a
        new connection costs ~10-20 ms (a backend fork and psycopg's set-up queries), and a
        worker's first requests all waited for them, on the event loop."""
        if self.is_sqlite:
            return
        with ExitStack() as opened:
            for engine in (self.engine, self._read_engine):
                for _ in range(connections):
                    opened.enter_context(engine.connect())

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self._read_engine.connect() as conn:
            yield conn

    def dispose(self) -> None:
        self._stop_checkpointer()
        self.engine.dispose()
        self._read_engine.dispose()

    def checkpoint(self) -> None:
        """Copy committed WAL pages into the SQLite file (see CHECKPOINT_EVERY)."""
        raw = self.engine.raw_connection()
        try:
            conn = raw.driver_connection
            assert isinstance(conn, sqlite3.Connection), "checkpoints are for SQLite"
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            raw.close()

    def _start_checkpointer(self, write_lock: threading.Lock) -> None:
        with write_lock:
            if self._checkpointer is not None:
                return
            self._stop_checkpoints.clear()
            # Only a weak reference: a HubDB nobody disposes still ends its thread.
            ref, stop = weakref.ref(self), self._stop_checkpoints
            self._checkpointer = threading.Thread(
                target=_checkpoints, args=(ref, stop), daemon=True, name="sqlite-checkpoint"
            )
            self._checkpointer.start()

    def _stop_checkpointer(self) -> None:
        thread, self._checkpointer = self._checkpointer, None
        if thread is not None:
            self._stop_checkpoints.set()
            thread.join()
            try:
                self.checkpoint()  # what the last writes left in the WAL
            except Exception:  # best effort; SQLite checkpoints on last close too
                logging.getLogger("vitrine.hub.storage").debug("final checkpoint failed", exc_info=True)


def _checkpoints(ref: weakref.ref, stop: threading.Event) -> None:
    log = logging.getLogger("vitrine.hub.storage")
    while not stop.wait(CHECKPOINT_EVERY):
        db = ref()
        if db is None:
            return
        try:
            db.checkpoint()
        except Exception:  # e.g. the file went away under a test; try again later
            log.debug("checkpoint failed", exc_info=True)
        del db


def _sync_pipeline(conn: Connection, _cursor, _statement, _params, _context, _executemany) -> None:
    """Inside HubDB.write() on PostgreSQL: a SQLAlchemy statement's result, now."""
    pipeline = conn.info.get(PIPELINE)
    if pipeline is not None:
        pipeline.sync()


def _sqlite_connect(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA wal_autocheckpoint=0")  # HubDB's checkpointer thread does it (CHECKPOINT_EVERY)
    # Reads through memory mapping instead of a read() per page: a first sync of a store
    # walks ~100,000 feed pages, and on a VM each system call costs microseconds
    # (measured: a store's pages 20-40% faster). SQLite caps it at its build limit (2 GB).
    cur.execute("PRAGMA mmap_size=2147418112")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get("vitrine_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
