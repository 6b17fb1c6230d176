"""SQLCipher for the device cache: connections opened with a raw 256-bit key.

The key is random bytes kept in the platform's secret store (app.cache.store.open_device_cache
gets or makes it), so SQLCipher's PBKDF2 is skipped (`x'...'` is used as the key itself:
there is no passphrase to stretch). A file made without a key is plain SQLite, opened by
the same module: tests of other parts and the benchmarks' plain baseline use that.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher

KEY_BYTES = 32

PAGE_SIZE = 16384
"""Bytes per page of an encrypted cache (see app.cache.store.PAGE_SIZE for why 16 KiB).

SQLCipher sets the page size with `cipher_page_size`, on every connection that opens
the file (a reader with another value cannot read it), before the first read or write.
"""

READER_CACHE_KIB = 65536
"""Page cache of each reader connection of an encrypted cache (SQLite's default is 2 MiB).

SQLCipher decrypts and authenticates a page each time it enters SQLite's page cache, where
plain SQLite copies it from the OS's; with the default cache a lookup over a 200,000-client
cache re-read its index pages every time and took 10-20 ms instead of 0.5 ms. With 64 MiB
the pages a lookup needs stay decrypted (measured: 1-3 ms). It is a cap, filled only as pages
are read, and the readers are few (app.cache.store.READERS).
"""

SQLITE_MAGIC = b"SQLite format 3\x00"

DatabaseError: tuple[type[Exception], ...] = (sqlite3.DatabaseError, sqlcipher.DatabaseError)
IntegrityError: tuple[type[Exception], ...] = (sqlite3.IntegrityError, sqlcipher.IntegrityError)
OperationalError: tuple[type[Exception], ...] = (sqlite3.OperationalError, sqlcipher.OperationalError)
"""Either driver's errors: a cache connection is sqlite3's (plain) or sqlcipher3's (encrypted)."""


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def key_sql(key: bytes) -> str:
    """The raw-key literal for `PRAGMA key` / `ATTACH ... KEY` (hex digits only: no injection)."""
    if len(key) != KEY_BYTES:
        raise ValueError("a cache key is 32 bytes")
    return f"\"x'{key.hex()}'\""


def is_plain_sqlite(path: Path) -> bool:
    """True when the file starts with SQLite's header: an unencrypted cache of an earlier version."""
    try:
        with open(path, "rb") as f:
            return f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except FileNotFoundError:
        return False


def connect(path: Path | str, key: bytes | None, **kwargs: Any) -> Any:
    """A connection to the cache file: sqlcipher3 keyed with `key`, or plain sqlite3 without one.

    The key pragmas must come before anything reads the file. A wrong key surfaces as
    `DatabaseError("file is not a database")` on the first read, not here.
    """
    if key is None:
        return sqlite3.connect(str(path), **kwargs)
    conn = sqlcipher.connect(str(path), **kwargs)
    conn.execute("PRAGMA cipher_log_level = NONE")  # its stderr lines; failures still raise, and are logged by us
    conn.execute(f"PRAGMA key = {key_sql(key)}")
    conn.execute(f"PRAGMA cipher_page_size = {PAGE_SIZE}")
    # Not wiping freed memory (SQLCipher's default since 4.5, stated so that it stays):
    # it costs every allocation, and an attacker who reads this process's memory has the key.
    conn.execute("PRAGMA cipher_memory_security = OFF")
    return conn


def encrypt_plain_file(path: Path, key: bytes) -> None:
    """Turn a plain SQLite cache into an encrypted one in place, every row kept (outbox too).

    `sqlcipher_export` copies schema and rows into a keyed file beside it; that replaces
    the plain file only once complete, so a crash midway leaves the plain cache as it was.
    """
    target = path.with_name(path.name + ".encrypting")
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    conn = sqlcipher.connect(str(path), isolation_level=None)  # no key: reads plain SQLite
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # rows still in the WAL belong in the copy
        conn.execute(f"ATTACH DATABASE ? AS encrypted KEY {key_sql(key)}", [str(target)])
        conn.execute(f"PRAGMA encrypted.cipher_page_size = {PAGE_SIZE}")
        conn.execute("SELECT sqlcipher_export('encrypted')")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        conn.execute("DETACH DATABASE encrypted")
    finally:
        conn.close()
    with open(target, "rb") as f:
        os.fsync(f.fileno())
    os.replace(target, path)
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
