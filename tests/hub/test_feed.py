"""The change feed's ordering and buffering rules, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select

from sync import page as page_format
from sync.hub import feed
from sync.hub.storage import HubDB, schema


@pytest.fixture(scope="module")
def db(hub_url):
    d = HubDB(hub_url)
    d.migrate()
    yield d
    d.dispose()


def rows(db):
    with db.read() as conn:
        return [(r.seq, r.entity_id) for r in conn.execute(select(schema.feed).order_by(schema.feed.c.seq))]


def test_republishing_moves_an_entity_to_the_end_once(db):
    with db.write() as conn:
        feed.publish(conn, "t1", "a", None, {"v": 1})
        feed.publish(conn, "t1", "b", None, {"v": 1})
    with db.write() as conn:
        feed.publish(conn, "t1", "a", None, {"v": 2})
        feed.publish(conn, "t1", "a", None, {"v": 3})  # same transaction: last version wins
    ids = [e for _, e in rows(db) if e in ("a", "b")]
    assert ids == ["b", "a"]
    with db.read() as conn:
        data = conn.execute(select(schema.feed.c.data).where(schema.feed.c.entity_id == "a")).scalar_one()
    assert '"v":3' in data


def test_a_rolled_back_write_publishes_nothing(db):
    with pytest.raises(RuntimeError), db.write() as conn:
        feed.publish(conn, "t2", "dropped", None, {})
        raise RuntimeError
    with db.write() as conn:
        feed.publish(conn, "t2", "kept", None, {})
    ids = [e for _, e in rows(db)]
    assert "kept" in ids and "dropped" not in ids


def test_concurrent_writers_leave_no_gap_a_reader_could_skip(db):
    """Seq order equals commit order: every entity a writer commits appears, and seqs only grow."""

    def writer(n):
        for i in range(15):
            with db.write() as conn:
                feed.publish(conn, "t3", f"w{n}-{i}", None, {"i": i})

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    seen, cursor = set(), 0
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads) or cursor < max((s for s, _ in rows(db)), default=0):
        with db.read() as conn:
            page, cursor, _ = feed.page(conn, "any", cursor, 1000)
        seen |= {json.loads(change)["entity_id"] for _, change in page}
    for t in threads:
        t.join()
    assert {f"w{n}-{i}" for n in range(4) for i in range(15)} <= seen


def _render(rows, next_cursor, has_more, total):
    """The JSON page as GET /v1/changes renders it, and its headers."""
    meta = page_format.PageMeta(next_cursor, has_more, total)
    return page_format.render_json([change for _, change in rows], meta), meta.headers()


def test_a_page_renders_each_change_as_the_change_model_reads_it(db):
    odd = 'odd "id" \\ ёлка\t'
    with db.write() as conn:
        start = conn.execute(select(schema.feed.c.seq).order_by(schema.feed.c.seq.desc()).limit(1)).scalar() or 0
        feed.publish(conn, "t4", odd, None, {"name": 'Анна "Ё"', "n": [1, 2.5, None]})
        feed.publish(conn, "t4", "gone", None, None, deleted=True)
    with db.read() as conn:
        rows, next_cursor, has_more = feed.page(conn, "any", start, 10)
    body, _ = _render(rows, next_cursor, has_more, 2)
    page = page_format.ChangePage.model_validate_json(body)
    assert [(c.entity, c.entity_id, c.deleted) for c in page.changes] == [("t4", odd, False), ("t4", "gone", True)]
    assert page.changes[0].data == {"name": 'Анна "Ё"', "n": [1, 2.5, None]}
    assert page.changes[1].data is None
    assert (page.next_cursor, page.has_more, page.total_estimate) == (rows[-1][0], False, 2)
    assert [c.seq for c in page.changes] == [seq for seq, _ in rows]


def test_each_change_names_the_client_its_entity_belongs_to(db):
    with db.write() as conn:
        start = conn.execute(select(schema.feed.c.seq).order_by(schema.feed.c.seq.desc()).limit(1)).scalar() or 0
        feed.publish(conn, "client", "c-1", "s", {"id": "c-1", "last_name": "Иванова"})
        feed.publish(conn, "t5", "r-1", "s", {"id": "r-1", "client_id": 'c-"1"'})
        feed.publish(conn, "store", "s", None, {"id": "s"})
        feed.publish(conn, "t5", "r-2", "s", None, deleted=True)
    with db.read() as conn:
        rows, next_cursor, has_more = feed.page(conn, "s", start, 10)
    body, headers = _render(rows, next_cursor, has_more, None)
    page = page_format.RawPage(body, page_format.PageMeta.from_headers(headers))
    assert [(c.entity_id, c.client_id) for c in page.changes] == [
        ("c-1", "c-1"),
        ("r-1", 'c-"1"'),
        ("s", None),
        ("r-2", None),
    ]


def test_a_page_says_where_it_leads_in_headers_and_in_its_body(db):
    """Both forms of a page send their meta as headers (read before the body); the JSON
    body repeats it, and a reader of either gets the same."""
    with db.write() as conn:
        start = conn.execute(select(schema.feed.c.seq).order_by(schema.feed.c.seq.desc()).limit(1)).scalar() or 0
        for n in range(3):
            feed.publish(conn, "t6", f"h-{n}", None, {"n": n})
    for limit, total in ((2, 3), (5, None)):
        with db.read() as conn:
            rows, next_cursor, has_more = feed.page(conn, "any", start, limit)
        body, headers = _render(rows, next_cursor, has_more, total)
        meta = page_format.PageMeta.from_headers(headers)
        assert meta == page_format.PageMeta(rows[-1][0], limit < 3, total)
        from_body = page_format.RawPage.from_body(body)
        assert from_body.meta == meta and [c.seq for c in from_body.changes] == [seq for seq, _ in rows]
        assert [c.seq for c in page_format.RawPage(body, meta).changes] == [seq for seq, _ in rows]
    with pytest.raises(page_format.BadPage):
        page_format.PageMeta.from_headers({page_format.NEXT_CURSOR_HEADER: "7"})
    with pytest.raises(page_format.BadPage):
        page_format.PageMeta.from_headers({**headers, page_format.HAS_MORE_HEADER: "yes"})
