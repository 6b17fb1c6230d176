"""Opening the cache reads its header and schema only; the whole file is checked in the
background, and damage found there sets the file aside at the next start."""

from __future__ import annotations

import time

from app.cache import store
from app.cache.store import open_device_cache, suspect_path
from app.services.secrets import MemoryStore


def fill(db, n: int) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body TEXT)")
    db.conn.executemany("INSERT INTO filler (body) VALUES (?)", [(f"row {i} " * 40,) for i in range(n)])


def test_damage_past_the_schema_is_found_in_the_background_and_set_aside_next_time(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "VERIFY_AFTER", 0.0)
    secrets = MemoryStore()
    path = tmp_path / "cache.sqlite"
    first = open_device_cache(path, secrets)
    first.cache.write_sync(fill, 3000)
    first.cache.close()
    opened = open_device_cache(path, secrets)  # checkpoints fold the WAL in at close
    opened.cache.close()
    size = path.stat().st_size
    with open(path, "r+b") as f:  # scribble over pages in the middle, far from the schema
        f.seek(size // 2)
        f.write(b"\x00\xff" * 20000)

    damaged = open_device_cache(path, secrets)  # the quick open does not read those pages
    try:
        assert damaged.problem is None
        deadline = time.monotonic() + 60
        while not suspect_path(path).exists():
            assert time.monotonic() < deadline, "the background check did not mark the file"
            time.sleep(0.05)
    finally:
        damaged.cache.close()

    again = open_device_cache(path, secrets)  # marked: checked fully, and set aside
    try:
        assert again.problem is not None and again.problem.moved_to is not None
        assert again.problem.moved_to.exists()
        assert not suspect_path(path).exists()
    finally:
        again.cache.close()


def test_a_healthy_file_is_not_marked(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "VERIFY_AFTER", 0.0)
    secrets = MemoryStore()
    path = tmp_path / "cache.sqlite"
    opened = open_device_cache(path, secrets)
    opened.cache.write_sync(fill, 200)
    time.sleep(1.0)  # the background check has run on the open file
    opened.cache.close()
    assert not suspect_path(path).exists()
    reopened = open_device_cache(path, secrets)
    assert reopened.problem is None
    reopened.cache.close()
