"""The device cache file: one writer thread, readers off the event loop.

Like Datasette: every write goes through a single connection owned by one thread and
fed by a queue, so writes never contend and never run on Flet's event loop; reads use
per-thread connections (WAL lets them run beside the writer).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import queue
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from app.cache import bulk_load, migrations

T = TypeVar("T")
_Job = tuple[Callable[..., Any], tuple[Any, ...], "concurrent.futures.Future[Any]", tuple[str, Path] | None]
"""A write for the writer thread: function, arguments, its future, and a file to attach (alias, path)."""

PAGE_SIZE = 16384
"""Bytes per database page of a new cache file (SQLite's default is 4096).

An initial sync writes ~300 MB per store: each page goes to the WAL and then into the
file, one system call each way, and on this kind of VM a system call costs several
microseconds. 16 KiB pages cut the client's kernel time of a first sync by about a
third (350,000 rows: 1.9 s -> 1.3 s). A cache made with smaller pages keeps them.
"""

CHECKPOINT_EVERY = 0.5  # seconds
"""How often a background thread folds the WAL into the cache file.

SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL pages and
fsyncs the file there, so the writer (and a consultant's edit queued behind it) would
stall on the disk; during an initial sync that was a quarter of the writer's time. The
writer turns it off and this thread checkpoints beside it (PASSIVE: it never blocks the
writer or a reader), as the hub does for its SQLite file.
"""


class CacheCorrupt(Exception):
    """The cache file is not a readable SQLite database."""

    def __init__(self, path: Path, moved_to: Path | None, detail: str):
        self.path = path
        self.moved_to = moved_to
        self.detail = detail
        super().__init__(f"cache {path} is damaged ({detail})")


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def check_file(path: Path) -> str | None:
    """None when the file is a healthy SQLite database (or absent), else the reason."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("PRAGMA quick_check").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        return str(e)
    if not row or row[0] != "ok":
        return str(row[0] if row else "quick_check returned nothing")
    return None


def quarantine(path: Path) -> Path:
    """Move a damaged cache (and its WAL) aside, never delete it: it may hold unsent work."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(path) + suffix)
        if src.exists():
            shutil.move(str(src), str(target) + suffix)
    return target


class Cache:
    """Owns the cache file. Use `write`/`read` from async code, `*_sync` elsewhere."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        problem = check_file(self.path)
        if problem:
            raise CacheCorrupt(self.path, None, problem)
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._writer_loop, name="cache-writer", daemon=True)
        self._thread.start()
        self._ready.result()  # re-raises a failed open or migration here
        self._closing = threading.Event()
        self._checkpointer = threading.Thread(target=self._checkpoint_loop, name="cache-checkpoint", daemon=True)
        self._checkpointer.start()

    @classmethod
    def open_or_quarantine(cls, path: str | os.PathLike[str]) -> tuple[Cache, CacheCorrupt | None]:
        """Open the cache; a damaged file is moved aside and a fresh cache made.

        Returns the cache and, when that happened, the error to show the user.
        """
        try:
            return cls(path), None
        except CacheCorrupt as e:
            moved = quarantine(e.path)
            return cls(path), CacheCorrupt(e.path, moved, e.detail)

    # --- writer -----------------------------------------------------------------------

    def _writer_loop(self) -> None:
        try:
            conn = _connect(self.path)
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # a new file only: it must precede WAL
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA wal_autocheckpoint = 0")  # see CHECKPOINT_EVERY
            db = Database(conn)
            migrations.apply(db)
            with db.atomic():  # a process killed mid bulk load left the indexes set aside
                bulk_load.finish_bulk(db)
        except Exception as e:  # noqa: BLE001 - handed to the opener
            self._ready.set_exception(
                CacheCorrupt(self.path, None, str(e)) if isinstance(e, sqlite3.DatabaseError) else e
            )
            return
        self._ready.set_result(None)
        while True:
            item = self._queue.get()
            if item is None:
                break
            fn, args, fut, attach = item
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                if attach:  # outside the transaction: SQLite attaches only there
                    conn.execute(f"ATTACH DATABASE ? AS {attach[0]}", [str(attach[1])])
                try:
                    with db.atomic():
                        result = fn(db, *args)
                finally:
                    if attach:
                        conn.execute(f"DETACH DATABASE {attach[0]}")
            except BaseException as e:  # noqa: BLE001 - delivered to the caller
                fut.set_exception(e)
            else:
                fut.set_result(result)
        conn.close()

    def _checkpoint_loop(self) -> None:
        conn = _connect(self.path)
        try:
            while not self._closing.wait(CHECKPOINT_EVERY):
                with contextlib.suppress(sqlite3.Error):  # busy or locked: the next round catches up
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            conn.close()

    def submit(
        self, fn: Callable[..., T], *args: Any, attach: tuple[str, Path] | None = None
    ) -> concurrent.futures.Future[T]:
        """Queue `fn(db, *args)` to run in one transaction on the writer thread.

        `attach=(name, path)`: that SQLite file is attached as `name` around the call.
        """
        if attach is not None and not attach[0].isidentifier():
            raise ValueError(f"not a schema name: {attach[0]!r}")
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._queue.put((fn, args, fut, attach))
        return fut

    def write_sync(self, fn: Callable[..., T], *args: Any) -> T:
        return self.submit(fn, *args).result()

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.wrap_future(self.submit(fn, *args))

    async def write_attached(self, name: str, path: Path, fn: Callable[..., T], *args: Any) -> T:
        """`write`, with the SQLite file at `path` attached as schema `name` (e.g. `name.table`)."""
        return await asyncio.wrap_future(self.submit(fn, *args, attach=(name, path)))

    # --- readers ----------------------------------------------------------------------

    def _reader(self) -> Database:
        db = getattr(self._local, "db", None)
        if db is None:
            conn = _connect(self.path)
            conn.execute("PRAGMA query_only = ON")
            with self._readers_lock:
                self._readers.append(conn)
            db = Database(conn)
            self._local.db = db
        return db

    def read_sync(self, fn: Callable[..., T], *args: Any) -> T:
        return fn(self._reader(), *args)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(self.read_sync, fn, *args)

    def close(self) -> None:
        self._closing.set()
        self._checkpointer.join(timeout=10)
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=10)
        with self._readers_lock:
            for conn in self._readers:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._readers.clear()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
