"""Bulk loads (bulk_load.begin_bulk / finish_bulk): the same cache as row-by-row apply."""

from __future__ import annotations

import json

import pytest

from app.cache import bulk_load, pages, sync_state
from app.cache.search import search
from app.cache.store import Cache
from sync.page import PageMeta, RawPage
from tests.sync.helpers import TEST_KEY as KEY  # encrypted, as the app's cache


def _client(n: int, **kw) -> dict:
    return {
        "id": f"c{n:04d}",
        "last_name": ["Иванова", "Смирнова", "Кузнецова"][n % 3],
        "first_name": "Анна",
        "phone": f"+7916{n:07d}",
        "email": f"a{n}@example.ru",
        "card_number": f"7700{n:06d}",
        "birthday": f"1990-05-0{n % 9 + 1}",
        "store_id": "s1",
        "created_at": "2026-01-01T00:00:00+00:00",
        **kw,
    }


Row = tuple[str, str, dict | None]  # (entity, id, data; None for a deletion)


def _page(rows: list[Row], first_seq: int) -> RawPage:
    """A change page as the hub renders it, parsed the way the engine parses it."""
    changes = [
        {"seq": first_seq + k, "entity": e, "entity_id": i, "deleted": d is None, "data": d}
        for k, (e, i, d) in enumerate(rows)
    ]
    meta = PageMeta(first_seq + len(rows) - 1, False)
    body = json.dumps(
        {"changes": changes, "next_cursor": meta.next_cursor, "has_more": meta.has_more, "total_estimate": None},
        ensure_ascii=False,
    ).encode()
    return RawPage(body, meta)


def _feed() -> list[list[Row]]:
    """Three pages: clients and receipts, then an entity republished and one deleted."""
    p1: list[Row] = [("client", _client(n)["id"], _client(n)) for n in range(30)]
    p1 += [("receipt", f"r{n}", {"id": f"r{n}", "client_id": f"c{n:04d}", "total": n}) for n in range(30)]
    p2: list[Row] = [("ledger", f"l{n}", {"id": f"l{n}", "client_id": f"c{n:04d}", "points": n}) for n in range(30)]
    p2 += [("receipt", "r5", {"id": "r5", "client_id": "c0005", "total": 555})]  # republished: the later wins
    p3: list[Row] = [
        ("receipt", "r7", None),
        ("ledger", "never-seen", None),  # deleted, and a stray tombstone
        ("client", "c0009", None),
        ("client", "c0010", _client(10, last_name="Петрова")),
    ]
    return [p1, p2, p3]


def _load(path, bulk: bool) -> Cache:
    cache = Cache(path, KEY)
    seq = 1
    for rows in _feed():
        page = _page(rows, seq)
        seq += len(rows)

        def apply(db, page=page):
            if bulk:
                bulk_load.begin_bulk(db)
            pages.apply_page(db, page.changes, page.next_cursor)

        cache.write_sync(apply)
    if bulk:
        assert cache.read_sync(bulk_load.bulk_loading)
        assert cache.write_sync(bulk_load.finish_bulk) is True
    return cache


def _contents(cache: Cache) -> tuple:
    return cache.read_sync(
        lambda db: (
            db.execute("SELECT entity, id, client_id, data FROM entities ORDER BY entity, id").fetchall(),
            db.execute("SELECT id, data, hub_data FROM clients ORDER BY id").fetchall(),
            db.execute(
                "SELECT client_id, names, phone_key, card, email, twin_key FROM search_doc ORDER BY client_id"
            ).fetchall(),
            sync_state.cursor(db),
        )
    )


def _schema(cache: Cache) -> set:
    return cache.read_sync(
        lambda db: set(
            db.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall()
        )
    )


@pytest.fixture
def both(tmp_path):
    plain, bulk = _load(tmp_path / "plain.sqlite", False), _load(tmp_path / "bulk.sqlite", True)
    yield plain, bulk
    plain.close()
    bulk.close()


def test_a_bulk_load_ends_with_the_same_rows_and_schema(both):
    plain, bulk = both
    assert _contents(bulk) == _contents(plain)
    assert _schema(bulk) == _schema(plain)
    entities, clients, _, _ = _contents(bulk)
    assert ("receipt", "r5") in {(e, i) for e, i, _, _ in entities}
    assert json.loads(next(d for e, i, _, d in entities if i == "r5"))["total"] == 555
    assert not {"r7", "never-seen"} & {i for _, i, _, _ in entities}
    assert "c0009" not in {c for c, _, _ in clients}
    assert bulk.read_sync(lambda db: db.execute("SELECT count(*) FROM bulk_gone").fetchone()[0]) == 0


def test_after_a_bulk_load_every_kind_of_lookup_finds_the_client(both):
    _, bulk = both
    for query in ("Петрова", "Petrova", "Птерова", "0000010", "a10@example.ru", "7700000010"):
        hits = bulk.read_sync(search, query)
        assert hits and hits[0].id == "c0010", query


def test_indexes_are_away_during_a_bulk_load_and_queries_still_answer(tmp_path):
    cache = Cache(tmp_path / "c.sqlite", KEY)
    page = _page(_feed()[0], 1)

    def apply(db):
        bulk_load.begin_bulk(db)
        pages.apply_page(db, page.changes, page.next_cursor)

    cache.write_sync(apply)
    names = cache.read_sync(lambda db: {r[0] for r in db.execute("SELECT name FROM sqlite_master")})
    assert not set(bulk_load.BULK_DROPPED) & names
    hits = cache.read_sync(search, "0000004")  # by phone, with no phone index: a scan
    assert [h.id for h in hits] == ["c0004"]
    cache.close()


def test_a_process_killed_mid_load_gets_its_indexes_back_on_open(tmp_path):
    path = tmp_path / "c.sqlite"
    cache = Cache(path, KEY)
    page = _page(_feed()[0], 1)

    def apply(db):
        bulk_load.begin_bulk(db)
        pages.apply_page(db, page.changes, page.next_cursor)

    cache.write_sync(apply)
    cache.close()  # the load's last page is committed; nobody finished it
    cache = Cache(path, KEY)
    assert not cache.read_sync(bulk_load.bulk_loading)
    names = cache.read_sync(lambda db: {r[0] for r in db.execute("SELECT name FROM sqlite_master")})
    assert set(bulk_load.BULK_DROPPED) <= names
    smirnovas = {f"c{n:04d}" for n in range(30) if n % 3 == 1}
    assert {h.id for h in cache.read_sync(search, "Smirnova")} == smirnovas
    assert cache.read_sync(lambda db: db.execute("PRAGMA integrity_check").fetchone()[0]) == "ok"
    cache.close()
