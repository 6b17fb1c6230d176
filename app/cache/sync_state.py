"""The cache's sync bookkeeping: a key-value table (cursor, session, flags)."""

from __future__ import annotations

from sqlite_utils import Database


def get_state(db: Database, key: str, default: str | None = None) -> str | None:
    row = db.execute("SELECT value FROM sync_state WHERE key = ?", [key]).fetchone()
    return default if row is None else row[0]


def set_state(db: Database, key: str, value: str | None) -> None:
    db.execute("INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)", [key, value])


def cursor(db: Database) -> int:
    return int(get_state(db, "cursor", "0") or 0)


FILE_PULL = "file_pull"
"""sync_state key: a pull in SQLite pages is under way (set with each page, cleared when
the pull ends), so one broken off resumes in them too (app.sync_engine.engine.SyncEngine.pull)."""


def end_file_pull(db: Database) -> None:
    db.execute("DELETE FROM sync_state WHERE key = ?", [FILE_PULL])


def file_pull(db: Database) -> bool:
    return bool(get_state(db, FILE_PULL))
