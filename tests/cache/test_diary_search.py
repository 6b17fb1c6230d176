"""Diary search and paging in the cache (app.cache.diary, app.cache.diary_index), fed as a pull feeds it."""

from __future__ import annotations

import pytest

from app.cache import bulk_load, diary_index, pages, records
from app.cache.diary import diary_page, search_diary
from app.cache.queries import DiaryEntry
from app.cache.store import Cache


def _entry(n: int, client: str, text: str, **kw) -> dict:
    return {
        "id": f"e{n:04d}",
        "client_id": client,
        "text": text,
        "pinned": False,
        "tags": [],
        "author_name": "Мария",
        "created_at": f"2026-01-01T00:{n // 60 % 60:02d}:{n % 60:02d}+00:00",
        "updated_at": f"2026-01-01T00:{n // 60 % 60:02d}:{n % 60:02d}+00:00",
        "deleted": False,
        **kw,
    }


def _change(e: dict | None, entity_id: str | None = None) -> dict:
    if e is None:
        return {"entity": "diary", "entity_id": entity_id, "deleted": True, "data": None}
    return {"entity": "diary", "entity_id": e["id"], "client_id": e["client_id"], "data": e}


ENTRIES = [
    _entry(1, "c1", "Заказала МОНОГРАММА на портфель, ждёт к Новому году"),
    _entry(2, "c2", "Любит Brunello Cucinelli, размер 46"),
    _entry(3, "c3", "Свадьба дочери в июне — подарок"),
    _entry(4, "c4", "Ёлочные игрушки для внуков"),
]


@pytest.fixture(params=["pages", "bulk"])
def cache(request, tmp_path):
    """A cache fed by incremental pages, or by a bulk load (triggers aside, rebuilt at the end)."""
    c = Cache(tmp_path / "cache.db")

    def feed(db):
        if request.param == "bulk":
            bulk_load.begin_bulk(db)
        pages.apply_page(db, [_change(e) for e in ENTRIES], 10)

    c.write_sync(feed)
    if request.param == "bulk":
        assert c.write_sync(bulk_load.finish_bulk) is True
    yield c
    c.close()


def _clients(cache: Cache, q: str) -> set[str]:
    return {h.client_id for h in cache.read_sync(search_diary, q, 20)}


@pytest.mark.parametrize(
    ("query", "client"),
    [
        ("монограмма", "c1"),  # any case
        ("Монограм", "c1"),  # a prefix
        ("ждет", "c1"),  # е for ё
        ("ёлочные", "c4"),  # ё for ё, stored as е
        ("елочные", "c4"),
        ("Brunello", "c2"),
        ("brunelo", "c2"),  # Latin spellings meet in the Latin key
        ("svadba", "c3"),  # Latin-typed for Cyrillic
        ("свад", "c3"),  # a prefix
        ("bru", "c2"),
    ],
)
def test_a_word_finds_the_client(cache, query, client):
    assert _clients(cache, query) == {client}


def test_nothing_else_is_found(cache):
    assert _clients(cache, "сва") == {"c3"}
    assert _clients(cache, "св") == set()  # two letters are matched whole only
    assert _clients(cache, "свадьбы") == set()
    assert _clients(cache, "") == set()


def test_several_words_must_all_match_and_the_last_may_be_unfinished(cache):
    assert _clients(cache, "свадьба доч") == {"c3"}
    assert _clients(cache, "свадьба портфель") == set()


def test_a_hit_has_a_snippet_around_the_word(cache):
    [hit] = cache.read_sync(search_diary, "портф", 20)
    assert hit.client_id == "c1" and hit.entry_id == "e0001" and hit.prefix
    assert "портфель" in hit.snippet
    [hit] = cache.read_sync(search_diary, "Cucinelli", 20)
    assert hit.snippet.startswith("Любит Brunello Cucinelli") and not hit.prefix


def test_each_client_once_with_her_newest_matching_entry(tmp_path):
    with Cache(tmp_path / "c.db") as c:
        feed = [_entry(n, f"c{n % 3}", f"подарок номер {n}") for n in range(1, 31)]
        c.write_sync(pages.apply_page, [_change(e) for e in feed], 30)
        hits = c.read_sync(search_diary, "подарок", 20)
        assert [h.client_id for h in hits] == ["c0", "c2", "c1"]  # written last first
        assert [h.entry_id for h in hits] == ["e0030", "e0029", "e0028"]
        assert len(c.read_sync(search_diary, "подарок", 2)) == 2


def test_a_revised_entry_is_found_by_its_new_text_not_the_old(cache):
    revised = _entry(2, "c2", "Теперь предпочитает Loro Piana", revisions=[{}, {}])
    cache.write_sync(pages.apply_page, [_change(revised)], 11)
    assert _clients(cache, "Brunello") == set()
    assert _clients(cache, "loro piana") == {"c2"}
    assert _clients(cache, "лоро") == set()  # the Latin word is not indexed in Cyrillic
    assert _clients(cache, "lor") == {"c2"}


def test_a_tombstoned_entry_is_not_found(cache):
    tomb = {**ENTRIES[0], "text": ENTRIES[0]["text"], "deleted": True}
    cache.write_sync(pages.apply_page, [_change(tomb)], 11)
    assert _clients(cache, "монограм") == set()
    cache.write_sync(pages.apply_page, [_change(None, "e0003")], 12)  # a feed deletion
    assert _clients(cache, "свадьба") == set()
    assert cache.read_sync(diary_page, "c3").entries == ()


def test_a_forgotten_client_is_not_found(cache):
    assert cache.write_sync(diary_index.forget_client, "c3") == 1
    assert _clients(cache, "свадьба") == set()
    vocab = {r[0] for r in cache.read_sync(lambda db: db.execute("SELECT term FROM diary_vocab").fetchall())}
    assert "свадьба" not in vocab and "дочери" not in vocab  # her words are not listed either
    assert "монограмма" in vocab  # the others' are
    assert cache.read_sync(diary_page, "c3").entries == ()
    cache.write_sync(pages.apply_page, [{"entity": "client", "entity_id": "c2", "deleted": True, "data": None}], 11)
    assert _clients(cache, "brunello") == set()
    assert _clients(cache, "монограм") == {"c1"}  # the others stay


def test_an_entry_written_here_is_found_at_once(tmp_path):
    with Cache(tmp_path / "c.db") as c:
        e = _entry(9, "c9", "Хочет гравировку на запонках")
        c.write_sync(records.add_record, "diary", "diary.add", e["id"], "c9", e, {"client_id": "c9", "text": e["text"]})
        assert _clients(c, "гравировку") == {"c9"}
        [entry] = c.read_sync(diary_page, "c9").entries
        assert entry.pending


def test_paging_returns_all_500_pinned_first_then_newest_without_duplicates(tmp_path):
    with Cache(tmp_path / "c.db") as c:
        feed = [_entry(n, "c1", f"запись {n}", pinned=n % 50 == 0) for n in range(500)]
        for k in range(0, 500, 100):  # in pages, newest not last
            c.write_sync(pages.apply_page, [_change(e) for e in reversed(feed[k : k + 100])], k)
        got: list[DiaryEntry] = []
        cursor, pages_read = None, 0
        while True:
            page = c.read_sync(diary_page, "c1", 30, cursor)
            got.extend(page.entries)
            pages_read += 1
            cursor = page.cursor
            if cursor is None:
                break
        assert pages_read == 17 and len(got) == 500
        assert len({e.id for e in got}) == 500
        pinned = [e for e in got if e.pinned]
        assert got[: len(pinned)] == pinned and len(pinned) == 10
        for part in (got[:10], got[10:]):
            stamps = [e.updated_at or "" for e in part]
            assert stamps == sorted(stamps, reverse=True)


def test_a_client_diary_filtered_by_tag(tmp_path):
    with Cache(tmp_path / "c.db") as c:
        feed = [
            _entry(1, "c1", "Инициалы А.И.", tags=["monogram"]),
            _entry(2, "c1", "Подшить брюки", tags=["alterations", "sizes"]),
            _entry(3, "c1", "Без тегов"),
            _entry(4, "c1", "Размер 38", tags=["sizes"]),
            _entry(5, "c2", "Размер 40", tags=["sizes"]),
        ]
        c.write_sync(pages.apply_page, [_change(e) for e in feed], 5)
        page = c.read_sync(diary_page, "c1", 50, None, "sizes")
        assert [e.id for e in page.entries] == ["e0004", "e0002"]
        assert page.tags == (("sizes",), ("alterations", "sizes"))
        assert c.read_sync(diary_page, "c1", 50, None, "gifts").entries == ()
        first = c.read_sync(diary_page, "c1", 1, None, "sizes")
        assert [e.id for e in first.entries] == ["e0004"] and first.cursor is not None
        rest = c.read_sync(diary_page, "c1", 1, first.cursor, "sizes")
        assert [e.id for e in rest.entries] == ["e0002"] and rest.cursor is None


def test_diary_rows_cached_before_the_migration_are_indexed_by_it(tmp_path):
    from app.cache import migrations

    with Cache(tmp_path / "c.db") as c:
        c.write_sync(pages.apply_page, [_change(e) for e in ENTRIES], 4)

        def redo(db):
            db.execute("DROP TABLE diary_words")
            db.execute("DROP TABLE diary_doc")
            db.execute("DROP TABLE diary_vocab")
            db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm011_diary_search'")
            migrations.apply(db)

        c.write_sync(redo)
        assert _clients(c, "свадьба") == {"c3"}


def test_a_first_sync_page_file_indexes_its_diary_and_drops_its_tombstones(tmp_path):
    import json
    import sqlite3

    from sync.page import FILE_TABLES, PageMeta, file_meta_rows

    path = tmp_path / "page.sqlite"
    conn = sqlite3.connect(path)
    for ddl in FILE_TABLES:
        conn.execute(ddl.format(schema="main"))
    rows: list[tuple] = [
        (k + 1, "diary", e["id"], e["client_id"], 0, json.dumps(e, ensure_ascii=False)) for k, e in enumerate(ENTRIES)
    ]
    rows.append((9, "diary", "e0002", None, 1, None))  # deleted later in the same feed
    conn.executemany("INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.executemany("INSERT INTO meta VALUES (?, ?)", file_meta_rows(PageMeta(9, False), len(rows)))
    conn.commit()
    conn.close()
    with Cache(tmp_path / "c.db") as c:
        c.submit(pages.apply_page_file, 9, attach=("page", path)).result()
        assert _clients(c, "свадьба") == {"c3"}
        assert _clients(c, "brunello") == set()


def test_a_prefix_of_many_words_is_still_found(tmp_path, monkeypatch):
    from app.cache import diary

    with Cache(tmp_path / "c.db") as c:
        endings = [a + b for a in "абвгдежзик" for b in "абвгде"]  # 60 words starting "подар"
        feed = [_entry(n, f"c{n}", f"подар{e}") for n, e in enumerate(endings)]
        c.write_sync(pages.apply_page, [_change(e) for e in feed], 60)
        assert len(c.read_sync(search_diary, "подар", 100)) == 60  # FTS5's own prefix query
        monkeypatch.setattr(diary, "MAX_TERMS", 100)
        assert len(c.read_sync(search_diary, "подар", 100)) == 60  # expanded into the 60 words
        assert len(c.read_sync(search_diary, "подарб", 100)) == 6
        assert c.read_sync(search_diary, "подарю", 100) == []
