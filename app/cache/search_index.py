"""Search structures over the clients table (owned by the lookup work).

One row of `search_doc` per client holds everything the lookup searches, already
normalised, each column behind its own index, so no keystroke ever scans `clients`:

=============  ===============================================  =====================
column         holds                                            searched by
=============  ===============================================  =====================
phone_key      the E.164 digits reversed (``76543216197``)      B-tree: equality for a
                                                                full phone, prefix range
                                                                for "ends with 4567"
card           the card number, digits and letters only         B-tree: equality, prefix
email          the email, lower case                            B-tree: equality, prefix
twin_key       hash of (last name, first name, birthday)        B-tree: duplicate check
names          name words, normalised, plus their Latin keys    FTS5 ``search_names``
                (``иванова анна ivanova ana``)                  (prefix indexes 1-4)
=============  ===============================================  =====================

``search_names`` is an external-content FTS5 table over ``search_doc`` kept in step by
triggers, with ``detail=none`` and ``columnsize=0`` (only which documents hold a word:
all a name lookup needs, and the smallest index) and prefix indexes for one to four
letters, so "Анна И" is two doclist reads however many names start with И. A longer
prefix is not left to FTS5 (which would merge the doclists of every matching word
before returning the first row): the search expands it through ``search_vocab`` into
the few whole words it can end as, which FTS5 then reads lazily. sqlite-utils'
``enable_fts`` cannot set these options, hence plain DDL here.

A surname with one typo is found through a deletion neighbourhood (SymSpell):
``search_vocab`` lists every distinct name word and Latin key, ``search_deletes`` maps
each word with one letter deleted back to the word. A query word's own deletions
(n+1 keys) are looked up by primary key; the candidates are checked with a real
edit distance. Both tables grow with distinct names, not with clients.

`doc` is the index's own integer id: the clients table has a text primary key, and
its rowid changes on ``INSERT OR REPLACE`` and ``VACUUM``, so the index never uses it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any, Protocol

from sqlite_utils import Database

from app.services import phones, translit
from sync.rules.contacts import normalise_phone


class ClientFields(Protocol):
    """A client as the index reads it: a dict, or the cache's `clients.ClientColumns` (a
    pull's clients, decoded to their columns only), which reads the same way."""

    def __getitem__(self, key: str, /) -> Any: ...

    def get(self, key: str, default: Any = None, /) -> Any: ...


FUZZY_MIN_LEN = 4
"""Words shorter than this are never matched with a typo (too many neighbours)."""
PREFIX_INDEXED = 4
"""Prefixes up to this many letters have their own FTS5 prefix index."""
VOCAB_MIN_LEN = FUZZY_MIN_LEN - 1
"""Words at least this long go into search_vocab (typo candidates, prefix expansion)."""

_CHUNK = 500  # bound parameters per IN (...) list
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_CARD_JUNK = re.compile(r"[\s\-.]")

_DDL = (
    """
    CREATE TABLE search_doc (
        doc INTEGER PRIMARY KEY,
        client_id TEXT NOT NULL UNIQUE,
        names TEXT NOT NULL,
        phone_key TEXT,
        card TEXT,
        email TEXT,
        twin_key INTEGER
    )
    """,
    "CREATE INDEX search_doc_phone ON search_doc(phone_key) WHERE phone_key IS NOT NULL",
    "CREATE INDEX search_doc_card ON search_doc(card) WHERE card IS NOT NULL",
    "CREATE INDEX search_doc_email ON search_doc(email) WHERE email IS NOT NULL",
    "CREATE INDEX search_doc_twin ON search_doc(twin_key) WHERE twin_key IS NOT NULL",
    """
    CREATE VIRTUAL TABLE search_names USING fts5(
        names,
        content='search_doc', content_rowid='doc',
        tokenize='unicode61 remove_diacritics 0',
        prefix='1 2 3 4', detail='none', columnsize=0
    )
    """,
    """
    CREATE TRIGGER search_doc_ai AFTER INSERT ON search_doc BEGIN
        INSERT INTO search_names (rowid, names) VALUES (new.doc, new.names);
    END
    """,
    """
    CREATE TRIGGER search_doc_ad AFTER DELETE ON search_doc BEGIN
        INSERT INTO search_names (search_names, rowid, names) VALUES ('delete', old.doc, old.names);
    END
    """,
    """
    CREATE TRIGGER search_doc_au AFTER UPDATE OF names ON search_doc
    WHEN old.names IS NOT new.names BEGIN
        INSERT INTO search_names (search_names, rowid, names) VALUES ('delete', old.doc, old.names);
        INSERT INTO search_names (rowid, names) VALUES (new.doc, new.names);
    END
    """,
    "CREATE TABLE search_vocab (term TEXT PRIMARY KEY) WITHOUT ROWID",
    """
    CREATE TABLE search_deletes (
        del TEXT NOT NULL,
        term TEXT NOT NULL,
        PRIMARY KEY (del, term)
    ) WITHOUT ROWID
    """,
)

_UPSERT = """
INSERT INTO search_doc (client_id, names, phone_key, card, email, twin_key)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (client_id) DO UPDATE SET
    names = excluded.names, phone_key = excluded.phone_key, card = excluded.card,
    email = excluded.email, twin_key = excluded.twin_key
"""


def create_schema(db: Database) -> None:
    """Create the search tables and indexes (called once by migration m002_search)."""
    for sql in _DDL:
        db.execute(sql)


# --- normalisation shared with the query side ---------------------------------------


def norm_phone(phone: str | None) -> str | None:
    """A stored phone as E.164 (already E.164 in the cache; older data is parsed)."""
    if not phone:
        return None
    phone = phone.strip()
    if _E164.match(phone):
        return phone
    return normalise_phone(phone) or (("+" + phones.digits(phone)) if phones.digits(phone) else None)


def norm_card(card: str | None) -> str | None:
    if not card:
        return None
    card = _CARD_JUNK.sub("", str(card)).upper()
    return card or None


def norm_email(email: str | None) -> str | None:
    if not email:
        return None
    email = email.strip().lower()
    return email or None


def twin_key(last_words: Sequence[str], first_words: Sequence[str], birthday: object) -> int | None:
    """Same normalised last name, first name and birthday -> same signed 64-bit key."""
    if not birthday or not last_words or not first_words:
        return None
    text = f"{' '.join(last_words)}\x1f{' '.join(first_words)}\x1f{str(birthday)[:10]}"
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


@lru_cache(maxsize=65536)  # names repeat: a store's 100,000 clients have a few thousand distinct ones
def _name_part_words(text: str | None) -> tuple[str, ...]:
    return tuple(translit.words(text))


def name_words(client: ClientFields) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    return (
        _name_part_words(client.get("last_name")),
        _name_part_words(client.get("first_name")),
        _name_part_words(client.get("middle_name")),
    )


def name_terms(last: Sequence[str], first: Sequence[str], middle: Sequence[str]) -> list[str]:
    """Every searchable word of a name: normalised words first, then their Latin keys."""
    out: list[str] = []
    seen: set[str] = set()
    for w in (*last, *first, *middle):
        if w not in seen:
            seen.add(w)
            out.append(w)
    for w in (*last, *first, *middle):
        k = translit.latin_key(w)
        if k and k not in seen:
            seen.add(k)
            out.append(k)
    return out


def deletes(term: str) -> set[str]:
    """The term with each one of its letters deleted (its SymSpell neighbourhood)."""
    return {term[:i] + term[i + 1 :] for i in range(len(term))}


# --- writing --------------------------------------------------------------------------


def _doc_row(client: ClientFields) -> tuple[tuple, list[str]]:
    last, first, middle = name_words(client)
    terms = name_terms(last, first, middle)
    row = (
        str(client["id"]),
        " ".join(terms),
        phones.phone_key(norm_phone(client.get("phone"))),
        norm_card(client.get("card_number")),
        norm_email(client.get("email")),
        twin_key(last, first, client.get("birthday")),
    )
    return row, terms


def _chunks(items: list, size: int = _CHUNK) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _add_terms(db: Database, terms: set[str]) -> None:
    terms_l = sorted(t for t in terms if len(t) >= VOCAB_MIN_LEN)
    known: set[str] = set()
    for chunk in _chunks(terms_l):
        marks = ",".join("?" * len(chunk))
        known.update(r[0] for r in db.execute(f"SELECT term FROM search_vocab WHERE term IN ({marks})", chunk))
    new = [t for t in terms_l if t not in known]
    if not new:
        return
    db.conn.executemany("INSERT OR IGNORE INTO search_vocab (term) VALUES (?)", [(t,) for t in new])
    db.conn.executemany(
        "INSERT OR IGNORE INTO search_deletes (del, term) VALUES (?, ?)",
        [(d, t) for t in new if len(t) >= FUZZY_MIN_LEN for d in deletes(t)],
    )


def index_clients(db: Database, clients: Iterable[ClientFields]) -> None:
    """Upsert search rows for these clients, inside the caller's transaction.

    Each is a whole client (clients table columns or sync.models.Client fields);
    `id` is required, everything else may be missing or None.
    """
    rows: list[tuple] = []
    terms: set[str] = set()
    for client in clients:
        row, words = _doc_row(client)
        rows.append(row)
        terms.update(words)
    if rows:
        db.conn.executemany(_UPSERT, rows)
        _add_terms(db, terms)


def unindex_clients(db: Database, ids: Iterable[str]) -> None:
    """Drop search rows of these clients.

    Words stay in the typo vocabulary: a stale word only proposes a candidate that
    matches no client, and the vocabulary grows with distinct names, not clients.
    """
    for chunk in _chunks([str(i) for i in ids]):
        marks = ",".join("?" * len(chunk))
        db.execute(f"DELETE FROM search_doc WHERE client_id IN ({marks})", chunk)


def forget_clients(db: Database, ids: Iterable[str]) -> None:
    """Drop these clients' search rows and the name words no other client has (an erasure:
    a rare surname left in the typo vocabulary would still say she was here)."""
    ids = [str(i) for i in ids]
    terms: set[str] = set()
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        for (names,) in db.execute(f"SELECT names FROM search_doc WHERE client_id IN ({marks})", chunk):
            terms.update(names.split())
    unindex_clients(db, ids)
    for term in sorted(terms):
        phrase = '"' + term.replace('"', '""') + '"'
        if db.execute("SELECT 1 FROM search_names WHERE search_names MATCH ? LIMIT 1", [phrase]).fetchone():
            continue
        db.execute("DELETE FROM search_vocab WHERE term = ?", [term])
        db.execute("DELETE FROM search_deletes WHERE term = ?", [term])


def reindex_all(db: Database, batch: int = 5000) -> int:
    """Rebuild the search rows of every cached client (repair tool); returns the count."""
    cols = ("id", "last_name", "first_name", "middle_name", "phone", "email", "birthday", "card_number")
    db.execute("DELETE FROM search_doc")
    n, last_id = 0, ""
    while True:
        rows = db.execute(
            f"SELECT {', '.join(cols)} FROM clients WHERE id > ? ORDER BY id LIMIT ?", [last_id, batch]
        ).fetchall()
        if not rows:
            return n
        index_clients(db, [dict(zip(cols, r, strict=True)) for r in rows])
        n += len(rows)
        last_id = rows[-1][0]


def rebuild_names(db: Database) -> None:
    """Rebuild the name index from search_doc (after a bulk load that bypassed its triggers)."""
    db.execute("INSERT INTO search_names (search_names) VALUES ('rebuild')")
    optimize(db)


def optimize(db: Database) -> None:
    """Merge the FTS5 segments into one (worth it after a large initial sync)."""
    db.execute("INSERT INTO search_names (search_names) VALUES ('optimize')")
