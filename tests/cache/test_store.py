"""The device cache: migrations, the single writer, atomic row + outbox, damaged files."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest

from app.cache import clients, outbox, pages, queries, replica, sync_state
from app.cache.store import Cache, CacheCorrupt, check_file
from sync.models import Change, ClientProfile, MutationResult


@pytest.fixture
def cache(tmp_path):
    c = Cache(tmp_path / "cache.sqlite")
    yield c
    c.close()


def test_migrations_create_tables_and_wal(cache):
    names = cache.read_sync(lambda db: set(db.table_names()))
    assert {"clients", "outbox", "sync_state", "entities", "field_history", "_sqlite_migrations"} <= names
    mode = cache.read_sync(lambda db: db.execute("PRAGMA journal_mode").fetchone()[0])
    assert mode == "wal"


def test_reopen_applies_no_migration_twice(tmp_path):
    Cache(tmp_path / "c.sqlite").close()
    c = Cache(tmp_path / "c.sqlite")
    applied = c.read_sync(lambda db: db.execute("SELECT name FROM _sqlite_migrations").fetchall())
    c.close()
    assert len(applied) == len({a[0] for a in applied})


def test_register_writes_row_and_outbox_together(cache):
    cid = cache.write_sync(
        clients.register_client, ClientProfile(last_name="Иванова", first_name="Анна", phone="+79161234567"), "s1"
    )
    row = cache.read_sync(lambda db: db.execute("SELECT last_name, hub_data FROM clients WHERE id=?", [cid]).fetchone())
    assert row == ("Иванова", None)
    batch = cache.read_sync(outbox.pending_after, 10, 0)[0]
    assert [(m.kind, m.entity_id) for m in batch] == [("client.register", cid)]


def test_a_failed_write_leaves_neither_row_nor_mutation(cache):
    def broken(db):
        clients.register_client(db, ClientProfile(last_name="А", first_name="Б"), "s1")
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        cache.write_sync(broken)
    assert cache.read_sync(lambda db: db.execute("SELECT count(*) FROM clients").fetchone()[0]) == 0
    assert cache.read_sync(outbox.pending_after, 10, 0)[0] == []


def test_update_only_changed_fields_and_rejects_bad_input(cache):
    cid = cache.write_sync(clients.register_client, ClientProfile(last_name="Петрова", first_name="Ольга"), "s1")
    assert cache.write_sync(clients.update_client, cid, {"first_name": "Ольга"}) is None
    cache.write_sync(clients.update_client, cid, {"first_name": "Оля", "notes": "любит синий"})
    payloads = [m.payload for m in cache.read_sync(outbox.pending_after, 10, 0)[0] if m.kind == "client.update"]
    assert payloads == [{"fields": {"first_name": "Оля", "notes": "любит синий"}}]
    with pytest.raises(ValueError):
        cache.write_sync(clients.update_client, cid, {"email": "not an email"})
    with pytest.raises(ValueError):
        cache.write_sync(clients.update_client, cid, {"tier": "Platinum"})  # hub-owned


def _client(cid: str, **kw) -> dict:
    base = {
        "id": cid,
        "last_name": "Смирнова",
        "first_name": "Ирина",
        "store_id": "s1",
        "created_at": "2026-01-01T00:00:00+00:00",
        "tier": "Gold",
        "points_balance": 100,
    }
    return {**base, **kw}


def test_apply_page_rebases_pending_patches_and_moves_cursor(cache):
    cid = "0190b5a0-0000-7000-8000-000000000001"
    cache.write_sync(pages.apply_page, [Change(seq=1, entity="client", entity_id=cid, data=_client(cid))], 1)
    cache.write_sync(clients.update_client, cid, {"notes": "локальная заметка"})
    # The hub publishes a newer snapshot (say, points changed) before our patch was pushed.
    cache.write_sync(
        pages.apply_page, [Change(seq=5, entity="client", entity_id=cid, data=_client(cid, points_balance=250))], 5
    )
    data = cache.read_sync(
        lambda db: json.loads(db.execute("SELECT data FROM clients WHERE id=?", [cid]).fetchone()[0])
    )
    assert data["points_balance"] == 250 and data["notes"] == "локальная заметка"
    assert cache.read_sync(sync_state.cursor) == 5


def test_record_results_removes_applied_keeps_rejected_and_waiting(cache):
    a = cache.write_sync(outbox.enqueue, "contact.log", "0190b5a0-0000-7000-8000-0000000000a1", {})
    b = cache.write_sync(outbox.enqueue, "receipt.link", "0190b5a0-0000-7000-8000-0000000000b1", {})
    c = cache.write_sync(outbox.enqueue, "form.sign", "0190b5a0-0000-7000-8000-0000000000c1", {})
    cache.write_sync(
        replica.record_results,
        [
            MutationResult(id=a, status="applied"),
            MutationResult(id=b, status="rejected", code="receipt_taken", reason="taken"),
            MutationResult(id=c, status="waiting", reason="blob"),
        ],
    )
    assert cache.read_sync(outbox.counts) == {"pending": 0, "waiting": 1, "rejected": 1}
    assert [r["reason"] for r in cache.read_sync(outbox.rejected)] == ["taken"]
    assert [m.id for m in cache.read_sync(outbox.pending_after, 10, 0)[0]] == [c]


def test_duplicate_answer_counts_as_the_first(cache):
    a = cache.write_sync(outbox.enqueue, "contact.log", "0190b5a0-0000-7000-8000-0000000000a2", {})
    cache.write_sync(
        replica.record_results,
        [
            MutationResult(
                id=a, status="duplicate", result={"first": {"status": "rejected", "reason": "no"}}, reason="no"
            )
        ],
    )
    assert cache.read_sync(outbox.counts)["rejected"] == 1


def test_damaged_file_is_detected_and_moved_aside(tmp_path):
    path = tmp_path / "cache.sqlite"
    path.write_bytes(b"garbage" * 1000)
    assert check_file(path) is not None
    with pytest.raises(CacheCorrupt):
        Cache(path)
    cache, problem = Cache.open_or_quarantine(path)
    try:
        assert problem is not None
        moved = problem.moved_to
        assert moved is not None and moved.exists()
        assert moved.read_bytes().startswith(b"garbage")
        assert cache.read_sync(sync_state.cursor) == 0
    finally:
        cache.close()


def test_writes_from_the_event_loop_do_not_block_it(cache):
    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        t = asyncio.create_task(ticker())

        def slow(db):
            db.execute(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 300000) SELECT sum(x) FROM c"
            ).fetchone()

        await cache.write(slow)
        t.cancel()
        return ticks

    assert asyncio.run(main()) > 10


def test_readers_see_committed_writes_only(cache):
    cache.write_sync(sync_state.set_state, "k", "v1")
    assert cache.read_sync(sync_state.get_state, "k") == "v1"
    with pytest.raises(sqlite3.OperationalError):
        cache.read_sync(lambda db: db.execute("INSERT INTO sync_state VALUES ('x', 'y')"))


def test_a_hub_snapshot_equal_to_the_local_view_is_stored_once_and_read_whole(tmp_path):
    path = tmp_path / "cache.sqlite"
    cache = Cache(path)
    synced = {"id": "c1", "last_name": "Орлова", "first_name": "Вера", "phone": "+79160000001"}
    edited = {"id": "c2", "last_name": "Зуева", "first_name": "Ирина"}
    cache.write_sync(
        pages.apply_page,
        [
            Change(seq=1, entity="client", entity_id="c1", data=synced),
            Change(seq=2, entity="client", entity_id="c2", data=edited),
        ],
        2,
    )
    cache.write_sync(clients.update_client, "c2", {"notes": "позвонить в пятницу"})
    stored = dict(cache.read_sync(lambda db: db.execute("SELECT id, hub_data FROM clients").fetchall()))
    assert stored["c1"] == clients.SAME_AS_DATA and "notes" not in json.loads(stored["c2"])
    hub = dict(cache.read_sync(lambda db: db.execute(f"SELECT id, {clients.HUB_DATA} FROM clients").fetchall()))
    assert json.loads(hub["c1"])["last_name"] == "Орлова" and json.loads(hub["c2"])["last_name"] == "Зуева"
    c1, c2 = cache.read_sync(queries.client, "c1"), cache.read_sync(queries.client, "c2")
    assert c1 is not None and c1.pending is False
    assert c2 is not None and c2.pending is True
    cache.close()
    # A cache written before m005 held the snapshot twice: the migration folds it.
    con = sqlite3.connect(path)
    con.execute("UPDATE clients SET hub_data = data WHERE id = 'c1'")
    con.execute("DELETE FROM _sqlite_migrations WHERE name = 'm005_hub_data_same'")
    con.commit()
    con.close()
    cache = Cache(path)
    try:
        folded = cache.read_sync(lambda db: db.execute("SELECT hub_data FROM clients WHERE id = 'c1'").fetchone())
        assert folded == (clients.SAME_AS_DATA,)
    finally:
        cache.close()
