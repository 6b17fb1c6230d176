"""The device cache file: one writer thread, readers off the event loop.

Like Datasette: every write goes through a single connection owned by one thread and
fed by a queue, so writes never contend and never run on Flet's event loop; reads use
per-thread connections (WAL lets them run beside the writer).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import hashlib
import logging
import os
import queue
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from app.cache import bulk_load, cipher, migrations
from app.services.secrets import SecretStore

T = TypeVar("T")
log = logging.getLogger("vitrine.cache")
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


READERS = 3
"""Threads (each with its own connection and page cache) that serve `Cache.read`.

A bounded pool rather than asyncio's default executor: an encrypted cache gives each
reader connection a large page cache (cipher.READER_CACHE_KIB), so their number bounds
the memory, and a lookup finds the pages the last ones decrypted.
"""


class CacheCorrupt(Exception):
    """The cache file is not a readable SQLite database."""

    def __init__(self, path: Path, moved_to: Path | None, detail: str):
        self.path = path
        self.moved_to = moved_to
        self.detail = detail
        super().__init__(f"cache {path} is damaged ({detail})")


def _connect(path: Path, key: bytes | None) -> sqlite3.Connection:
    conn = cipher.connect(path, key, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


VERIFY_AFTER = 30.0
"""Seconds after opening before the whole file is checked in the background.

`PRAGMA quick_check` reads (and, encrypted, decrypts) every page: 7-12 s for a cache of
100,000 clients here, which at open kept a returning consultant from her lock screen
(tests/bench/bench_startup.py). At open only the header and the schema are read (a
wrong key, a foreign or truncated file fail there); the full check runs later, beside
the app, and a failure marks the file (`suspect_path`) so that the next start checks it
fully and sets it aside."""


def suspect_path(path: Path) -> Path:
    return Path(f"{path}.suspect")


def check_file(path: Path, key: bytes | None = None, thorough: bool = True) -> str | None:
    """None when the file is a healthy database readable with `key` (or absent), else the reason.
    `thorough`: every page checked (`quick_check`); else the header and the schema only."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        conn = cipher.connect(f"file:{path}?mode=ro", key, uri=True)
        try:
            if thorough:
                row = conn.execute("PRAGMA quick_check").fetchone()
            else:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                row = ("ok",)
        finally:
            conn.close()
    except cipher.DatabaseError as e:
        return str(e)
    if not row or row[0] != "ok":
        return str(row[0] if row else "quick_check returned nothing")
    return None


def quarantine(path: Path, label: str = "damaged") -> Path:
    """Move a damaged cache (and its WAL) aside, never delete it: it may hold unsent work."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{label}-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(path) + suffix)
        if src.exists():
            shutil.move(str(src), str(target) + suffix)
    return target


class Cache:
    """Owns the cache file. Use `write`/`read` from async code, `*_sync` elsewhere."""

    def __init__(self, path: str | os.PathLike[str], key: bytes | None = None):
        """`key`: the file's SQLCipher key (the app always has one, see `open_device_cache`);
        None opens plain SQLite (tests of other parts, the benchmarks' baseline)."""
        self.path = Path(path)
        self.key = key
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Fully only when the last background check found damage (VERIFY_AFTER).
        problem = check_file(self.path, key, thorough=suspect_path(self.path).exists())
        if problem:
            raise CacheCorrupt(self.path, None, problem)
        suspect_path(self.path).unlink(missing_ok=True)
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._pool = concurrent.futures.ThreadPoolExecutor(READERS, thread_name_prefix="cache-reader")
        self._ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._writer_loop, name="cache-writer", daemon=True)
        self._thread.start()
        self._ready.result()  # re-raises a failed open or migration here
        self._closing = threading.Event()
        self._checkpointer = threading.Thread(target=self._checkpoint_loop, name="cache-checkpoint", daemon=True)
        self._checkpointer.start()
        self._verifier = threading.Thread(target=self._verify_later, name="cache-verify", daemon=True)
        self._verifier.start()

    @classmethod
    def open_or_quarantine(
        cls, path: str | os.PathLike[str], key: bytes | None = None
    ) -> tuple[Cache, CacheCorrupt | None]:
        """Open the cache; a damaged file is moved aside and a fresh cache made.

        Returns the cache and, when that happened, the error to show the user.
        """
        try:
            return cls(path, key), None
        except CacheCorrupt as e:
            moved = quarantine(e.path)
            return cls(path, key), CacheCorrupt(e.path, moved, e.detail)

    # --- writer -----------------------------------------------------------------------

    def _writer_loop(self) -> None:
        try:
            conn = _connect(self.path, self.key)
            if self.key is None:  # SQLCipher's page size is cipher_page_size, set by cipher.connect
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
                CacheCorrupt(self.path, None, str(e)) if isinstance(e, cipher.DatabaseError) else e
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
                    # KEY '': the attached file is plain (a page from the hub); SQLCipher
                    # would otherwise read it with the cache's key.
                    plain = " KEY ''" if self.key is not None else ""
                    conn.execute(f"ATTACH DATABASE ? AS {attach[0]}{plain}", [str(attach[1])])
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
        conn = _connect(self.path, self.key)
        try:
            while not self._closing.wait(CHECKPOINT_EVERY):
                with contextlib.suppress(*cipher.DatabaseError):  # busy or locked: the next round catches up
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            conn.close()

    def _verify_later(self) -> None:
        """The full check of the file, once, VERIFY_AFTER seconds after opening (see there)."""
        if self._closing.wait(VERIFY_AFTER):
            return
        problem = check_file(self.path, self.key, thorough=True)
        if problem is not None and not self._closing.is_set():
            log.error("the cache file is damaged (%s): it is set aside at the next start", problem)
            suspect_path(self.path).touch()

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
            conn = _connect(self.path, self.key)
            conn.execute("PRAGMA query_only = ON")
            if self.key is not None:
                conn.execute(f"PRAGMA cache_size = -{cipher.READER_CACHE_KIB}")
            with self._readers_lock:
                self._readers.append(conn)
            db = Database(conn)
            self._local.db = db
        return db

    def read_sync(self, fn: Callable[..., T], *args: Any) -> T:
        return fn(self._reader(), *args)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        call = functools.partial(self.read_sync, fn, *args)
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._closing.set()
        self._checkpointer.join(timeout=10)
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=10)
        with self._readers_lock:
            for conn in self._readers:
                with contextlib.suppress(*cipher.DatabaseError):
                    conn.close()
            self._readers.clear()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- the device's cache: encrypted, its key in the secret store ------------------------


class CacheUnreadable(CacheCorrupt):
    """The encrypted cache cannot be opened with the key in the secret store.

    The key is missing (secret store reset, another user profile, the file copied from
    another device) or another one; a damaged encrypted file reads the same way. Nothing
    in such a file can be read, its outbox included: it is moved aside (`moved_to`) and a
    fresh cache syncs again. Changes it had not sent are lost, and the user is told so.
    """


@dataclass(frozen=True)
class Opened:
    cache: Cache
    problem: CacheCorrupt | None = None  # a CacheUnreadable, or a damaged file moved aside: tell the user
    converted: bool = False  # a plain cache of an earlier version was encrypted in place


def key_name(path: Path) -> str:
    """The cache key's name in the secret store: one per data folder (the keyring is per user)."""
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    return f"cache-key:{digest}"


def _stored_key(secrets: SecretStore, name: str) -> bytes | None:
    found = secrets.get(name)
    if found is None:
        return None
    try:
        key = bytes.fromhex(found)
    except ValueError:
        return None
    return key if len(key) == cipher.KEY_BYTES else None


def open_device_cache(path: str | os.PathLike[str], secrets: SecretStore) -> Opened:
    """Open the app's cache encrypted, with its key from `secrets` (made and kept there on first open).

    - no file yet: a new key (when the store has none) and a new encrypted cache;
    - a plain SQLite cache of an earlier version: encrypted in place, every row kept (the outbox too);
    - a file the stored key cannot open (or no key stored): `CacheUnreadable`, the file moved aside,
      a fresh cache under the stored key (or a new one);
    - a plain cache too damaged to convert: moved aside as before (`CacheCorrupt`), a fresh cache.

    Never raises for the file's content: the caller shows `problem` and the engine syncs afresh.
    The key never leaves the secret store and this process: not in a log, a setting or the folder.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_page_files(path)
    name = key_name(path)
    key = _stored_key(secrets, name)
    present = path.exists() and path.stat().st_size > 0
    if key is None:
        key = cipher.new_key()
        secrets.set(name, key.hex())
        if present and not cipher.is_plain_sqlite(path):
            moved = quarantine(path, "unreadable")
            log.warning("cache moved to %s: no key for it in the secret store", moved)
            return Opened(Cache(path, key), CacheUnreadable(path, moved, "no key in the secret store"))
    converted = False
    if present and cipher.is_plain_sqlite(path):
        try:
            cipher.encrypt_plain_file(path, key)
            converted = True
            log.info("plain cache encrypted in place")
        except cipher.DatabaseError as e:
            Path(str(path) + ".encrypting").unlink(missing_ok=True)
            moved = quarantine(path)
            log.warning("damaged plain cache moved to %s: %s", moved, e)
            return Opened(Cache(path, key), CacheCorrupt(path, moved, str(e)))
    try:
        return Opened(Cache(path, key), None, converted)
    except CacheCorrupt as e:
        moved = quarantine(path, "unreadable")
        log.warning("cache moved to %s: the stored key does not open it (%s)", moved, e.detail)
        return Opened(Cache(path, key), CacheUnreadable(path, moved, e.detail))


def wipe(path: str | os.PathLike[str], secrets: SecretStore) -> None:
    """Delete the device's cache and its key: for a revoked device or an account/store change.

    Close the `Cache` first. The key goes first: should the process die before the files
    are gone, what is left cannot be read by anyone. Then the cache, its WAL, the
    files set aside as damaged or unreadable, and pull pages left by a crash.
    Whether the outbox has drained is the caller's business (see app.cache.outbox.counts).
    """
    path = Path(path)
    secrets.delete(key_name(path))
    for suffix in ("", "-wal", "-shm", ".encrypting", ".suspect"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    for pattern in (".damaged-*", ".unreadable-*"):
        for left in path.parent.glob(path.name + pattern):
            left.unlink(missing_ok=True)
    _remove_page_files(path)


def _remove_page_files(path: Path) -> None:
    """Pull pages (plain SQLite from the hub, app.cache.replica.page_path) a crash left behind."""
    for left in path.parent.glob(path.name + ".page*"):
        left.unlink(missing_ok=True)
