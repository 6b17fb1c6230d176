"""Search and paging structures over the cached diary entries (issue 15).

One row of `diary_doc` per live diary entry (tombstones and deleted clients have none):

* ``words``: the entry's text as search terms, normalised as client names are
  (translit.words: case-folded, ё read as е) followed by their Latin keys, so
  "svadba" finds "свадьба" and "Brunello" finds "брунелло". ``diary_words`` is an
  external-content FTS5 table over it, kept in step by triggers, with ``detail=none``
  and ``columnsize=0`` (which entries hold a word: all the search needs) and a prefix
  index for three letters (shorter prefixes are not searched as prefixes); a longer
  prefix is expanded through ``diary_vocab`` into the whole words it can end as, which
  FTS5 reads lazily, where ``"word"*`` would first merge the doclists of every word
  starting so (measured: 100-300 ms for a frequent word's 5-letter prefix in 1,000,000
  entries).
* ``sort_key``: pinned first, then newest, then the entry id, as one string that sorts
  descending in display order; behind an index with the client, so a page of one
  client's diary is an index range read whatever her diary's size (keyset paging).
* ``tags``: the entry's tags as JSON (DiaryPayload.tags), for the tag filter.

`doc` is the index's own id: a revised entry is deleted and inserted again, so a
larger doc is a later write and the search can read newest first (``ORDER BY rowid
DESC`` in FTS5 needs no sort). Entries arrive through `pages.apply_page` (pull pages,
revisions replace, tombstones remove), `pages.apply_page_file` (a first sync) and
`records.add_record` (written here, pending); a bulk load sets the triggers aside and
`rebuild` runs once at its end (see bulk_load).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import msgspec
from sqlite_utils import Database

from app.cache.search_index import name_terms
from app.services import translit

PREFIX_MIN = 3
"""A word shorter than this is matched whole, never as a prefix (the prefix index length)."""

_CHUNK = 500

_DDL = (
    """
    CREATE TABLE diary_doc (
        doc INTEGER PRIMARY KEY,
        entry_id TEXT NOT NULL UNIQUE,
        client_id TEXT NOT NULL,
        sort_key TEXT NOT NULL,      -- pinned flag, time, entry id: descending = display order
        tags TEXT,                   -- JSON list, NULL when the entry has none
        words TEXT NOT NULL
    )
    """,
    "CREATE INDEX diary_doc_page ON diary_doc(client_id, sort_key)",
    f"""
    CREATE VIRTUAL TABLE diary_words USING fts5(
        words,
        content='diary_doc', content_rowid='doc',
        tokenize='unicode61 remove_diacritics 0',
        prefix='{PREFIX_MIN}', detail='none', columnsize=0
    )
    """,
    # Every indexed word longer than PREFIX_MIN: a longer prefix is expanded through it
    # into the whole words it can end as (see diary.search_diary).
    "CREATE TABLE diary_vocab (term TEXT PRIMARY KEY) WITHOUT ROWID",
    """
    CREATE TRIGGER diary_doc_ai AFTER INSERT ON diary_doc BEGIN
        INSERT INTO diary_words (rowid, words) VALUES (new.doc, new.words);
    END
    """,
    """
    CREATE TRIGGER diary_doc_ad AFTER DELETE ON diary_doc BEGIN
        INSERT INTO diary_words (diary_words, rowid, words) VALUES ('delete', old.doc, old.words);
    END
    """,
)

BULK_DROPPED = ("diary_doc_page", "diary_doc_ai", "diary_doc_ad")
"""Set aside during a bulk load (bulk_load.BULK_DROPPED), rebuilt by `rebuild`."""


def create_schema(db: Database) -> None:
    """Create the diary tables (migration m011_diary_search), indexing entries already cached."""
    for sql in _DDL:
        db.execute(sql)
    found = db.execute("SELECT id, client_id, data FROM entities WHERE entity = 'diary'")
    while rows := found.fetchmany(5000):
        index_entries(db, rows, follow_ups=False)  # that table comes with m013


_FOLLOW_UP_DDL = (
    # Open follow-ups (an entry's date to come back to her, not done, entry live): the
    # consultant's upcoming list and the coming task list read it by author and day.
    """
    CREATE TABLE diary_follow_up (
        entry_id TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        author_id TEXT,
        due TEXT NOT NULL            -- ISO date
    )
    """,
    "CREATE INDEX diary_follow_up_due ON diary_follow_up(author_id, due)",
    "CREATE INDEX diary_follow_up_client ON diary_follow_up(client_id, due)",
)


def create_follow_ups(db: Database) -> None:
    """Create the follow-up table (migration m013_diary_follow_ups) from the entries cached."""
    for sql in _FOLLOW_UP_DDL:
        db.execute(sql)
    db.execute(
        "INSERT INTO diary_follow_up (entry_id, client_id, author_id, due)"
        " SELECT id, client_id, json_extract(data, '$.author_id'), json_extract(data, '$.follow_up')"
        " FROM entities WHERE entity = 'diary' AND client_id IS NOT NULL"
        " AND json_extract(data, '$.follow_up') IS NOT NULL AND NOT coalesce(json_extract(data, '$.deleted'), 0)"
        " AND NOT coalesce(json_extract(data, '$.follow_up_done'), 0)"
    )


class _Entry(msgspec.Struct):
    text: str | None = None
    pinned: bool | None = False
    tags: list[str] | None = None
    updated_at: str | None = None
    created_at: str | None = None
    deleted: bool | None = False
    follow_up: str | None = None
    follow_up_done: bool | None = False
    author_id: str | None = None


_ENTRY = msgspec.json.Decoder(_Entry)


def terms(text: str) -> list[str]:
    """The indexed terms of a text: its normalised words, then their Latin keys."""
    return name_terms(translit.words(text), (), ())


def sort_key(pinned: bool, at: str, entry_id: str) -> str:
    return f"{1 if pinned else 0}{at}\x1f{entry_id}"


def _chunks(items: list, size: int = _CHUNK) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def index_entries(
    db: Database, rows: Iterable[tuple[str, str | None, str | bytes | msgspec.Raw]], *, follow_ups: bool = True
) -> None:
    """Index these diary entries (id, client id, the entity's JSON), in the caller's transaction.

    An entry seen before is replaced (a revision); a tombstone (``deleted``), an empty
    text or an entry without client is removed. An open follow-up goes to diary_follow_up.
    """
    ids: list[str] = []
    docs: list[tuple] = []
    due: list[tuple] = []
    vocab: set[str] = set()
    for entry_id, client_id, data in rows:
        ids.append(entry_id)
        e = _ENTRY.decode(data)
        if e.deleted or not e.text or not client_id:
            continue
        if e.follow_up and not e.follow_up_done:
            due.append((entry_id, client_id, e.author_id, e.follow_up))
        at = e.updated_at or e.created_at or ""
        tags = msgspec.json.encode(e.tags).decode() if e.tags else None
        words = terms(e.text)
        vocab.update(w for w in words if len(w) > PREFIX_MIN)
        docs.append((entry_id, client_id, sort_key(bool(e.pinned), at, entry_id), tags, " ".join(words)))
    unindex_entries(db, ids, follow_ups=follow_ups)
    if due and follow_ups:
        db.conn.executemany(
            "INSERT INTO diary_follow_up (entry_id, client_id, author_id, due) VALUES (?, ?, ?, ?)", due
        )
    if docs:
        db.conn.executemany(
            "INSERT INTO diary_doc (entry_id, client_id, sort_key, tags, words) VALUES (?, ?, ?, ?, ?)", docs
        )
        # Words stay when their entries go: a stale word expands a prefix into a word
        # that matches nothing, and the vocabulary grows with distinct words, not entries.
        db.conn.executemany("INSERT OR IGNORE INTO diary_vocab (term) VALUES (?)", [(w,) for w in sorted(vocab)])


def unindex_entries(db: Database, ids: Iterable[str], *, follow_ups: bool = True) -> None:
    """Drop these entries (a tombstone, or the old text of a revision)."""
    # Not INSERT OR REPLACE: its implicit delete fires no delete trigger, and the
    # old words would stay in diary_words.
    for chunk in _chunks(list(ids)):
        marks = ",".join("?" * len(chunk))
        db.execute(f"DELETE FROM diary_doc WHERE entry_id IN ({marks})", chunk)
        if follow_ups:
            db.execute(f"DELETE FROM diary_follow_up WHERE entry_id IN ({marks})", chunk)


def forget_client(db: Database, client_id: str) -> int:
    """Forget a client's diary in the index (her deletion, a 152-FZ tombstone); returns rows dropped."""
    return forget_clients(db, [client_id])


def forget_clients(db: Database, client_ids: Iterable[str]) -> int:
    """`forget_client` for several; their words go from diary_vocab unless another entry has them."""
    n = 0
    words: set[str] = set()
    for chunk in _chunks(list(client_ids)):
        marks = ",".join("?" * len(chunk))
        for (text,) in db.execute(f"SELECT words FROM diary_doc WHERE client_id IN ({marks})", chunk):
            words.update(w for w in text.split() if len(w) > PREFIX_MIN)
        n += db.execute(f"DELETE FROM diary_doc WHERE client_id IN ({marks})", chunk).rowcount
        db.execute(f"DELETE FROM diary_follow_up WHERE client_id IN ({marks})", chunk)
    # A forgotten client's rare words (a name, a place) would otherwise stay listed.
    gone = [
        (w,)
        for w in sorted(words)
        if db.execute("SELECT 1 FROM diary_words WHERE diary_words MATCH ? LIMIT 1", [f'"{w}"']).fetchone() is None
    ]
    db.conn.executemany("DELETE FROM diary_vocab WHERE term = ?", gone)
    return n


def index_page_file(db: Database) -> None:
    """Index the live diary entries of the page file attached as `page` (a first sync)."""
    found = db.execute(
        "SELECT entity_id, client_id, data FROM page.changes WHERE entity = 'diary' AND NOT deleted"
        " AND data IS NOT NULL ORDER BY seq"
    )
    while rows := found.fetchmany(5000):
        index_entries(db, rows)


def rebuild(db: Database) -> None:
    """Rebuild the full-text index from diary_doc (after a bulk load that set its triggers aside)."""
    db.execute("INSERT INTO diary_words (diary_words) VALUES ('rebuild')")
    db.execute("INSERT INTO diary_words (diary_words) VALUES ('optimize')")
