"""Hub storage: SQLite file by default, PostgreSQL by URL; schema by Alembic.

Feed sequence numbers must become visible in commit order (a reader must never see
seq 11 before seq 10 commits, or it would skip 10 for good). So a write transaction
buffers what it publishes and writes it to the feed last, under a lock held to commit:
SQLite's write lock (BEGIN IMMEDIATE), or PostgreSQL's transaction-level advisory lock,
taken only for that final step so other writers' work overlaps.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text

MIGRATIONS = Path(__file__).with_name("migrations")
FEED_LOCK_KEY = 727_001


def normalize_url(url: str) -> str:
    """Accept a bare file path, sqlite:///… or postgresql://… ."""
    if "://" not in url:
        return f"sqlite:///{Path(url).resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class HubDB:
    def __init__(self, url: str):
        self.url = normalize_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            self.engine: Engine = create_engine(
                self.url, connect_args={"check_same_thread": False, "timeout": 30},
                pool_size=8, max_overflow=8,
            )
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            self.engine = create_engine(self.url, pool_size=10, max_overflow=20, pool_recycle=1800)
        # One process's writers queue here instead of spinning on SQLite's busy lock.
        self._write_lock = threading.Lock() if self.is_sqlite else None

    def migrate(self) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction whose feed rows are appended, in commit order, at its end."""
        from sync.hub import feed

        if self._write_lock is not None:
            with self._write_lock, self.engine.connect() as conn:
                conn = conn.execution_options(vitrine_write=True)
                with conn.begin():
                    yield from self._with_feed_buffer(conn, feed, lock=None)
        else:
            with self.engine.begin() as conn:
                yield from self._with_feed_buffer(conn, feed, lock=FEED_LOCK_KEY)

    @staticmethod
    def _with_feed_buffer(conn: Connection, feed, lock: int | None) -> Iterator[Connection]:
        conn.info[feed.BUFFER] = {}
        try:
            yield conn
            buffered = list(conn.info[feed.BUFFER].values())
        finally:
            conn.info.pop(feed.BUFFER, None)
        if buffered:
            if lock is not None:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})
            feed.write_rows(conn, buffered)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_connect(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get("vitrine_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
