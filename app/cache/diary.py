"""Reading the diary from the cache: search across clients, one client's diary page by page.

`search_diary(db, text)` finds the clients whose diary mentions every word typed,
whatever the case, ё or е, Cyrillic or Latin letters ("svadba" finds "свадьба"):
first the words whole, then the last one as a prefix ("монограм"). Each client comes
once, with a snippet of her newest matching entry; clients with newer matches first.

`diary_page(db, client_id, limit, cursor)` reads one client's diary pinned first, then
newest, a page at a time: the cursor is the last entry's sort key, so the next page is
an index range read (keyset paging), as cheap on page 10 as on page 1. An optional
tag keeps only entries carrying that tag.

Both read `diary_doc` and `diary_words` (see diary_index).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlite_utils import Database

from app.cache.diary_index import PREFIX_MIN
from app.cache.queries import DiaryEntry
from app.services import translit

MAX_WORDS = 4
MAX_TERMS = 48
"""A prefix that ends as more indexed words than this is left to FTS5's own prefix query."""
SNIPPET_BEFORE = 30
SNIPPET_AFTER = 70

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019\u02bc`\u00b4][^\W\d_]+)*")


@dataclass(frozen=True, slots=True)
class DiaryHit:
    """A client whose diary mentions what was searched, with her newest matching entry."""

    client_id: str
    entry_id: str
    snippet: str
    prefix: bool
    """Found only with the last word as a prefix."""


@dataclass(frozen=True, slots=True)
class DiaryPage:
    entries: tuple[DiaryEntry, ...]
    tags: tuple[tuple[str, ...], ...]
    """Each entry's tags, in the order of `entries`."""
    cursor: str | None
    """Pass it back for the next page; None after the last page."""


def _quoted(word: str) -> str:
    return f'"{word}"'


def _keys(words: list[str]) -> tuple[list[str], list[str]]:
    """Whole-word and prefix keys: a Latin-typed word by its Latin key, any other as typed."""
    keys = [translit.latin_key(w) if w.isascii() else w for w in words]
    pkeys = [translit.latin_prefix_key(w) if w.isascii() else w for w in words]
    return keys, pkeys


_MATCHES = (
    "SELECT d.client_id, d.entry_id FROM diary_words CROSS JOIN diary_doc d ON d.doc = diary_words.rowid"
    " WHERE diary_words MATCH ? ORDER BY diary_words.rowid DESC"
)


def search_diary(db: Database, text: str, limit: int = 20) -> list[DiaryHit]:
    """Clients whose diary mentions every word of `text`, newest match first (see the module)."""
    words = translit.words(text)[:MAX_WORDS]
    if not words or limit <= 0:
        return []
    keys, pkeys = _keys(words)
    if not all(keys):
        return []
    found: dict[str, tuple[str, bool]] = {}  # client -> (entry, by prefix)
    passes = [(" AND ".join(_quoted(k) for k in keys), False)]
    last = pkeys[-1]
    if len(last) >= PREFIX_MIN and (expanded := _prefix(db, last)):
        passes.append((" AND ".join([*(_quoted(k) for k in keys[:-1]), expanded]), True))
    for expr, by_prefix in passes:
        cur = db.conn.execute(_MATCHES, [expr])
        # Each row read costs a diary_doc page (decrypted, in an encrypted cache): ask for
        # about as many as are still wanted, more only as clients repeat (measured: a fixed
        # 256 took a search over 1,000,000 encrypted entries from 2 to 12 ms p95).
        batch = 0
        while len(found) < limit and (rows := cur.fetchmany(batch := min(256, max(batch * 2, limit - len(found) + 4)))):
            for client_id, entry_id in rows:
                if client_id not in found:
                    found[client_id] = (entry_id, by_prefix)
                    if len(found) >= limit:
                        break
        cur.close()
        if len(found) >= limit:
            break
    texts = _texts(db, [e for e, _ in found.values()])
    return [
        DiaryHit(cid, eid, snippet(texts.get(eid, ""), keys, last if p else None), p) for cid, (eid, p) in found.items()
    ]


def _prefix(db: Database, word: str) -> str | None:
    """FTS5 for "a word starting with `word`"; None when no indexed word does (see diary_index)."""
    if len(word) <= PREFIX_MIN:
        return _quoted(word) + "*"  # FTS5's prefix index
    rows = db.execute(
        # U+10FFFF sorts after any character a word can go on with
        "SELECT term FROM diary_vocab WHERE term >= ? AND term < ? LIMIT ?",
        [word, word + "\U0010ffff", MAX_TERMS + 1],
    ).fetchall()
    if len(rows) > MAX_TERMS:
        return _quoted(word) + "*"
    if not rows:
        return None
    return "(" + " OR ".join(_quoted(r[0]) for r in rows) + ")"


def _texts(db: Database, entry_ids: list[str]) -> dict[str, str]:
    if not entry_ids:
        return {}
    marks = ",".join("?" * len(entry_ids))
    return {
        r[0]: r[1] or ""
        for r in db.execute(
            f"SELECT id, json_extract(data, '$.text') FROM entities WHERE entity = 'diary' AND id IN ({marks})",
            entry_ids,
        )
    }


def snippet(text: str, keys: list[str], prefix: str | None = None) -> str:
    """A piece of `text` around the first word that matched (the text's start if none does)."""
    wanted = set(keys)
    latin = any(k.isascii() for k in (*keys, prefix or ""))  # only then compare Latin keys
    at = 0
    for m in _WORD.finditer(text):
        w = translit.norm_text(m.group())
        if w in wanted or (prefix and w.startswith(prefix)):
            at = m.start()
            break
        if latin and w.isalpha():
            lk = translit.latin_key(w)
            if lk in wanted or (prefix and lk.startswith(prefix)):
                at = m.start()
                break
    start = max(0, at - SNIPPET_BEFORE)
    if start:  # do not cut a word in half
        space = text.find(" ", start, at)
        start = space + 1 if space >= 0 else at
    end = min(len(text), at + SNIPPET_AFTER)
    if end < len(text):
        space = text.rfind(" ", at, end)
        end = space if space > at else end
    piece = " ".join(text[start:end].split())
    return ("…" if start else "") + piece + ("…" if end < len(text) else "")


def diary_page(
    db: Database, client_id: str, limit: int = 50, cursor: str | None = None, tag: str | None = None
) -> DiaryPage:
    """One page of a client's diary, pinned first then newest (see the module)."""
    where = ["d.client_id = ?"]
    params: list = [client_id]
    if cursor is not None:
        where.append("d.sort_key < ?")
        params.append(cursor)
    if tag is not None:
        where.append("d.tags IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(d.tags) WHERE value = ?)")
        params.append(tag)
    rows = db.execute(
        "SELECT d.sort_key, e.data FROM diary_doc d CROSS JOIN entities e ON e.entity = 'diary' AND e.id = d.entry_id"
        f" WHERE {' AND '.join(where)} ORDER BY d.sort_key DESC LIMIT ?",
        [*params, limit + 1],
    ).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    data = [json.loads(r[1]) for r in rows]
    return DiaryPage(
        entries=tuple(DiaryEntry.from_data(d) for d in data),
        tags=tuple(tuple(d.get("tags") or ()) for d in data),
        cursor=rows[-1][0] if more else None,
    )


def client_tags(db: Database, client_id: str) -> list[str]:
    """The tags used in a client's diary (the tag filter's choices), most used first."""
    rows = db.execute(
        "SELECT j.value, count(*) FROM diary_doc d, json_each(d.tags) j"
        " WHERE d.client_id = ? AND d.tags IS NOT NULL GROUP BY j.value ORDER BY count(*) DESC, j.value",
        [client_id],
    ).fetchall()
    return [r[0] for r in rows]


def client_store(db: Database, client_id: str) -> str | None:
    """The store a client (and so each entry of her diary) belongs to; None when not known."""
    row = db.execute("SELECT store_id FROM clients WHERE id = ?", [client_id]).fetchone()
    return row[0] if row else None
