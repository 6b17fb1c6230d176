"""The cache at rest: SQLCipher with a key from the secret store, never readable elsewhere."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from app.cache import blobs, cipher, clients, outbox, queries, search
from app.cache.store import Cache, CacheCorrupt, CacheUnreadable, key_name, open_device_cache, wipe
from app.services.secrets import MemoryStore
from app.state.app import App
from app.state.context import Config
from sync.models import ClientProfile

PHONE = "+79161234567"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 40


def _register(cache: Cache, last_name: str = "Иванова") -> str:
    return cache.write_sync(
        clients.register_client, ClientProfile(last_name=last_name, first_name="Анна", phone=PHONE), "s1"
    )


def _on_disk(path) -> bytes:
    """The cache file and its WAL, as a thief copying the folder gets them."""
    data = b""
    for suffix in ("", "-wal"):
        part = path.with_name(path.name + suffix)
        if part.exists():
            data += part.read_bytes()
    return data


def test_copied_cache_opens_nowhere_else(tmp_path):
    secrets = MemoryStore()
    path = tmp_path / "device" / "cache.sqlite"
    opened = open_device_cache(path, secrets)
    assert opened.problem is None
    cid = _register(opened.cache)
    opened.cache.close()

    stolen = tmp_path / "thief" / "cache.sqlite"
    stolen.parent.mkdir()
    shutil.copy(path, stolen)
    raw = stolen.read_bytes()
    assert not raw.startswith(cipher.SQLITE_MAGIC)
    assert PHONE.encode() not in raw and "Иванова".encode() not in raw

    plain = sqlite3.connect(stolen)  # plain SQLite: not a database at all
    with pytest.raises(sqlite3.DatabaseError):
        plain.execute("SELECT count(*) FROM clients").fetchone()
    plain.close()
    other = cipher.connect(stolen, cipher.new_key())  # SQLCipher with another device's key
    with pytest.raises(cipher.DatabaseError):
        other.execute("SELECT count(*) FROM clients").fetchone()
    other.close()

    key = bytes.fromhex(secrets.get(key_name(path)) or "")
    with Cache(stolen, key) as right:  # only the key from the device's secret store opens it
        assert right.read_sync(lambda db: db.execute("SELECT id FROM clients").fetchone()[0]) == cid


def test_key_is_made_once_and_kept_in_the_secret_store_only(tmp_path):
    secrets = MemoryStore()
    path = tmp_path / "cache.sqlite"
    open_device_cache(path, secrets).cache.close()
    stored = secrets.get(key_name(path))
    assert stored is not None and len(bytes.fromhex(stored)) == cipher.KEY_BYTES
    opened = open_device_cache(path, secrets)
    opened.cache.close()
    assert opened.problem is None and secrets.get(key_name(path)) == stored
    for left in tmp_path.rglob("*"):  # not beside the database, in any form
        if left.is_file():
            assert stored.encode() not in left.read_bytes()
            assert bytes.fromhex(stored) not in left.read_bytes()


@pytest.mark.parametrize("loss", ["missing", "wrong"])
def test_lost_or_changed_key_sets_the_file_aside_and_starts_fresh(tmp_path, loss):
    secrets = MemoryStore()
    path = tmp_path / "cache.sqlite"
    opened = open_device_cache(path, secrets)
    cid = _register(opened.cache)  # a queued change that never reached the hub
    assert opened.cache.read_sync(outbox.counts)["pending"] == 1
    opened.cache.close()

    if loss == "missing":
        secrets.delete(key_name(path))
    else:
        secrets.set(key_name(path), cipher.new_key().hex())
    again = open_device_cache(path, secrets)
    try:
        assert isinstance(again.problem, CacheUnreadable)
        assert again.problem.moved_to is not None and again.problem.moved_to.exists()
        assert again.cache.read_sync(outbox.counts)["pending"] == 0  # fresh: the old outbox is unreadable
        assert again.cache.read_sync(queries.client, cid) is None
        again.cache.write_sync(blobs.put, b"x", "text/plain")  # and it works
    finally:
        again.cache.close()
    reopened = open_device_cache(path, secrets)  # the fresh cache's key was kept
    reopened.cache.close()
    assert reopened.problem is None


def test_app_says_so_on_screen_when_the_cache_cannot_be_decrypted(tmp_path):
    secrets = MemoryStore()
    config = Config("http://127.0.0.1:9", tmp_path / "device")
    opened = open_device_cache(config.cache_path, secrets)
    _register(opened.cache)
    opened.cache.close()
    secrets.delete(key_name(config.cache_path))  # e.g. the OS keyring was reset

    app = App(config, secrets)
    try:
        assert app.ui.notice is not None and app.ui.notice.key == "notice.cache_unreadable"
        assert app.cache.read_sync(outbox.counts)["pending"] == 0
    finally:
        app.cache.close()


def test_plain_cache_of_an_earlier_version_is_encrypted_keeping_the_outbox(tmp_path):
    path = tmp_path / "cache.sqlite"
    plain = Cache(path)  # as the previous version made it: no key
    cid = _register(plain, "Шарова")
    mid = plain.write_sync(outbox.enqueue, "contact.log", "c1", {"client_id": cid, "channel": "call"})
    plain.close()
    assert path.read_bytes().startswith(cipher.SQLITE_MAGIC)

    secrets = MemoryStore()
    opened = open_device_cache(path, secrets)
    try:
        assert opened.converted and opened.problem is None
        pending = opened.cache.read_sync(lambda db: [r[0] for r in db.execute("SELECT id FROM outbox")])
        assert mid in pending and len(pending) == 2
        hits = opened.cache.read_sync(search.search, "Шарова")  # the full-text index came along
        assert [h.id for h in hits] == [cid]
        size = opened.cache.read_sync(lambda db: db.execute("PRAGMA cipher_page_size").fetchone()[0])
        assert int(size) == cipher.PAGE_SIZE
    finally:
        opened.cache.close()
    raw = path.read_bytes()
    assert not raw.startswith(cipher.SQLITE_MAGIC) and PHONE.encode() not in raw
    assert not path.with_name(path.name + ".encrypting").exists()


def test_damaged_plain_cache_is_moved_aside(tmp_path):
    path = tmp_path / "cache.sqlite"
    path.write_bytes(cipher.SQLITE_MAGIC + b"\xff" * 5000)
    opened = open_device_cache(path, MemoryStore())
    try:
        assert isinstance(opened.problem, CacheCorrupt) and not isinstance(opened.problem, CacheUnreadable)
        assert opened.problem.moved_to is not None and opened.problem.moved_to.exists()
        assert opened.cache.read_sync(outbox.counts)["pending"] == 0
    finally:
        opened.cache.close()


def test_blobs_are_encrypted_on_disk(tmp_path):
    secrets = MemoryStore()
    path = tmp_path / "cache.sqlite"
    cache = open_device_cache(path, secrets).cache
    try:
        png = cache.write_sync(blobs.put, PNG, "image/png")
        pdf = cache.write_sync(blobs.put, PDF, "application/pdf")
        assert cache.read_sync(blobs.load, png) == (PNG, "image/png")
        assert cache.read_sync(blobs.load, pdf) == (PDF, "application/pdf")
        on_disk = _on_disk(path)  # before a checkpoint: the pages are in the WAL
        assert b"\x89PNG" not in on_disk and b"%PDF" not in on_disk and b"IHDR" not in on_disk
    finally:
        cache.close()
    on_disk = _on_disk(path)
    assert b"\x89PNG" not in on_disk and b"%PDF" not in on_disk
    assert not [p for p in tmp_path.iterdir() if p.name not in {"cache.sqlite", "cache.sqlite-wal", "cache.sqlite-shm"}]


def test_full_text_search_under_sqlcipher(tmp_path):
    with Cache(tmp_path / "cache.sqlite", cipher.new_key()) as cache:
        cid = _register(cache, "Кузнецова")
        assert [h.id for h in cache.read_sync(search.search, "Кузнец")] == [cid]
        assert [h.id for h in cache.read_sync(search.search, "Kuznetsova")] == [cid]
        assert cache.read_sync(lambda db: db.execute("SELECT json_extract('{\"a\": 1}', '$.a')").fetchone()[0]) == 1


def test_wipe_deletes_the_cache_and_its_key(tmp_path):
    secrets = MemoryStore()
    path = tmp_path / "cache.sqlite"
    cache = open_device_cache(path, secrets).cache
    _register(cache)
    cache.close()
    secrets.set(key_name(path), secrets.get(key_name(path)) or "")
    (tmp_path / "cache.sqlite.unreadable-20260101-000000").write_bytes(b"old")
    (tmp_path / "cache.sqlite.page3").write_bytes(b"page")
    (tmp_path / "other.txt").write_text("kept")

    wipe(path, secrets)

    assert secrets.get(key_name(path)) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.txt"]
    opened = open_device_cache(path, secrets)  # the next open is a fresh device
    try:
        assert opened.problem is None and opened.cache.read_sync(outbox.counts)["pending"] == 0
    finally:
        opened.cache.close()
