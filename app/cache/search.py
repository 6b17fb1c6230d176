"""Client lookup over the local cache: whatever the consultant was given, best match first.

`search(db, query)` reads what was typed and runs a short list of indexed queries
("passes") from the most to the least certain, stopping once it has `limit` hits:

* digits (any phone format, 4+ digits, a card number): the whole phone, the card
  number (exact), then every phone ending in those digits, then card numbers
  starting with them;
* an email, or the start of one;
* name words in any order, Cyrillic or Latin, the last one possibly unfinished
  ("Анна И", "Ivanova", "иванова анна п"): all words whole, then the last as a
  prefix, then all as prefixes; then the same words with one typo; then, for Cyrillic
  input, the same words by their Latin keys (finds names stored in Latin);
* name words plus 4+ digits ("Иванова 4567") narrow the names to phones ending so.

Every pass is one SQL statement on an index of `search_doc` (see search_index), joined
to `clients` by primary key for the row shown; no pass scans a table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel
from rapidfuzz.distance import OSA
from sqlite_utils import Database

from app.cache import search_index
from app.cache.search_index import FUZZY_MIN_LEN, PREFIX_INDEXED, norm_email
from app.services import phones, translit
from sync.rules.contacts import normalise_phone

Match = Literal["exact", "prefix", "fuzzy"]

MIN_DIGITS = 4
"""Fewer digits than this match nothing: four is "the last four of the phone"."""
MIN_CARD_DIGITS = 6
MAX_WORDS = 4
MAX_TYPO_CANDIDATES = 12

SCORE_EXACT = 3.0
SCORE_PREFIX = 2.0
SCORE_FUZZY = 1.0


class SearchHit(BaseModel):
    """One row of the lookup list: enough to tell namesakes apart."""

    id: str
    last_name: str
    first_name: str
    middle_name: str | None = None
    phone: str | None = None
    masked_phone: str | None = None
    email: str | None = None
    tier: str | None = None
    last_visit: str | None = None
    store_id: str | None = None
    points_balance: int = 0
    match: Match
    score: float
    duplicate: bool = False
    """Another cached client has the same phone, or the same name and birthday."""


_SELECT = """
SELECT c.id, c.last_name, c.first_name, c.middle_name, c.phone, c.email, c.tier,
       c.last_visit, c.store_id, c.points_balance,
       (d.phone_key IS NOT NULL AND EXISTS (
            SELECT 1 FROM search_doc o WHERE o.phone_key = d.phone_key AND o.doc <> d.doc))
    OR (d.twin_key IS NOT NULL AND EXISTS (
            SELECT 1 FROM search_doc o WHERE o.twin_key = d.twin_key AND o.doc <> d.doc))
FROM search_doc d CROSS JOIN clients c ON c.id = d.client_id
WHERE {where}
LIMIT ?
"""

_FTS_IN = "d.doc IN (SELECT rowid FROM search_names WHERE search_names MATCH ? LIMIT ?)"
_FTS_EXISTS = "EXISTS (SELECT 1 FROM search_names WHERE search_names MATCH ? AND rowid = d.doc)"

_SPLIT = re.compile(r"[\s,;]+")
_EMAILISH = re.compile(r"^[a-z0-9._%+\-]+$")


@dataclass(frozen=True, slots=True)
class _Pass:
    where: str
    params: tuple
    match: Match
    score: float
    fts: bool = False  # the FTS subquery takes the row limit too
    final: bool = False  # a hit here answers the query: skip the passes after it


def _rows(db: Database, sql: str, params: list) -> list[tuple]:
    """Every statement of a search runs here (tests wrap it to check query plans)."""
    return db.conn.execute(sql, params).fetchall()


def search(db: Database, query: str, limit: int = 20) -> list[SearchHit]:
    """Clients matching `query`, best first: exact, then prefix, then fuzzy matches."""
    if limit <= 0:
        return []
    hits: dict[str, SearchHit] = {}
    for p in _plan(db, query):
        want = limit + len(hits)  # a pass may return again what an earlier one found
        params = [*p.params, want, want] if p.fts else [*p.params, want]
        rows = _rows(db, _SELECT.format(where=p.where), params)
        for r in rows:
            if r[0] not in hits:
                hits[r[0]] = _hit(r, p.match, p.score)
                if len(hits) >= limit:
                    break
        if len(hits) >= limit or (p.final and rows):
            break
    return sorted(hits.values(), key=lambda h: -h.score)


def _hit(r: tuple, match: Match, score: float) -> SearchHit:
    return SearchHit.model_construct(
        id=r[0],
        last_name=r[1],
        first_name=r[2],
        middle_name=r[3],
        phone=r[4],
        masked_phone=phones.mask_phone(r[4]) if r[4] else None,
        email=r[5],
        tier=r[6],
        last_visit=r[7],
        store_id=r[8],
        points_balance=r[9] or 0,
        match=match,
        score=score,
        duplicate=bool(r[10]),
    )


# --- reading the query ----------------------------------------------------------------


def _after(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix`."""
    nxt = ord(prefix[-1]) + 1
    if 0xD800 <= nxt <= 0xDFFF:  # surrogates cannot be bound; the next character can
        nxt = 0xE000
    if nxt > 0x10FFFF:
        return prefix + "\U0010ffff"
    return prefix[:-1] + chr(nxt)


def _range(column: str, prefix: str) -> tuple[str, tuple]:
    return f"d.{column} >= ? AND d.{column} < ?", (prefix, _after(prefix))


def _plan(db: Database, query: str) -> Iterator[_Pass]:
    q = (query or "").strip()
    if not q:
        return
    if "@" in q:
        yield from _email_passes(q)
    elif phones.looks_like_phone(q):
        yield from _digit_passes(q)
    else:
        yield from _text_passes(db, q)


def _email_passes(q: str) -> Iterator[_Pass]:
    e = norm_email(q.replace(" ", ""))
    if not e:
        return
    yield _Pass("d.email = ?", (e,), "exact", SCORE_EXACT, final=True)
    where, params = _range("email", e)
    yield _Pass(where, params, "prefix", SCORE_PREFIX)


def _digit_passes(q: str) -> Iterator[_Pass]:
    d = phones.digits(q)
    if len(d) < MIN_DIGITS:
        return
    full = normalise_phone(q) if (len(d) >= 10 or q.startswith("+")) else None
    if full:
        # The number itself; a hit is the answer (two hits: a duplicate, both shown).
        yield _Pass("d.phone_key = ?", (phones.phone_key(full),), "exact", SCORE_EXACT, final=True)
    if len(d) >= MIN_CARD_DIGITS:
        yield _Pass("d.card = ?", (d,), "exact", SCORE_EXACT, final=True)
    if not (full and len(d) >= 10):  # otherwise the suffix is the number just tried
        where, params = _range("phone_key", phones.suffix_key(d))
        yield _Pass(where, params, "prefix", SCORE_PREFIX)
    if len(d) >= MIN_CARD_DIGITS:
        where, params = _range("card", d)
        yield _Pass(where, params, "prefix", SCORE_PREFIX - 0.2)


def _quoted(word: str) -> str:
    return f'"{word}"'


class _Prefixes:
    """FTS5 expressions for "a word starting with ...", memoised for one search.

    Up to PREFIX_INDEXED letters FTS5 has a prefix index. A longer prefix is expanded
    through search_vocab into the whole words it can end as, OR-ed: FTS5 reads those
    doclists lazily and stops at the row limit, where `"word"*` would first merge the
    doclists of every matching word (milliseconds for a common surname).
    """

    MAX_TERMS = 48

    def __init__(self, db: Database):
        self.db = db
        self.memo: dict[str, str | None] = {}

    def expr(self, word: str) -> str | None:
        """The expression, or None when no indexed word starts with `word`."""
        if word not in self.memo:
            self.memo[word] = self._expr(word)
        return self.memo[word]

    def _expr(self, word: str) -> str | None:
        if len(word) <= PREFIX_INDEXED:
            return _quoted(word) + "*"
        rows = _rows(
            self.db,
            "SELECT term FROM search_vocab WHERE term >= ? AND term < ? LIMIT ?",
            [word, _after(word), self.MAX_TERMS + 1],
        )
        if len(rows) > self.MAX_TERMS:
            return _quoted(word) + "*"
        if not rows:
            return None
        return _any([_quoted(r[0]) for r in rows])


def _any(alternatives: list[str]) -> str:
    return alternatives[0] if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")"


def _all(groups: list[str | None]) -> str | None:
    """AND of the groups; None (the pass cannot match) when a group has no word."""
    if any(g is None for g in groups):
        return None
    return " AND ".join(groups)  # type: ignore[arg-type]


def _text_passes(db: Database, q: str) -> Iterator[_Pass]:
    tokens = [t for t in _SPLIT.split(q) if t]
    digit_tokens = [phones.digits(t) for t in tokens if phones.looks_like_phone(t)]
    suffix = next((d for d in reversed(digit_tokens) if len(d) >= MIN_DIGITS), None)
    if suffix and len(suffix) >= 10:  # a whole phone beside the name: "Анна 8 916 123-45-67"
        suffix = phones.digits(normalise_phone(suffix)) or suffix
    raw_words: list[str] = []
    for t in tokens:
        if not phones.looks_like_phone(t):
            raw_words.extend(translit.words(t))
    raw_words = raw_words[:MAX_WORDS]
    prefixes = _Prefixes(db)

    # "client12" or "a.ivanova": perhaps the start of an email.
    email_prefix = None
    if len(tokens) == 1 and tokens[0].isascii():
        e = tokens[0].lower()
        if _EMAILISH.match(e):
            email_prefix = e

    if not raw_words:
        if email_prefix:
            where, params = _range("email", email_prefix)
            yield _Pass(where, params, "prefix", SCORE_PREFIX - 0.2)
        elif suffix:
            yield from _digit_passes(suffix)
        return

    # A word typed in Latin is compared by its Latin key; any other as written.
    keys = [translit.latin_key(w) if w.isascii() else w for w in raw_words]
    pkeys = [translit.latin_prefix_key(w) if w.isascii() else w for w in raw_words]
    if all(keys) and all(pkeys):
        yield from _name_passes(prefixes, keys, pkeys, suffix, SCORE_EXACT, SCORE_PREFIX)
    if email_prefix:
        where, params = _range("email", email_prefix)
        yield _Pass(where, params, "prefix", SCORE_PREFIX - 0.2)
    if all(keys):
        yield from _typo_passes(prefixes, keys, suffix)
    if not all(w.isascii() for w in raw_words):
        # Cyrillic (or other script) input: also try the Latin keys, which find names
        # stored in Latin and other spellings of the same sound.
        lkeys = [translit.latin_key(w) for w in raw_words]
        lpkeys = [translit.latin_prefix_key(w) for w in raw_words]
        if all(lkeys) and all(lpkeys):
            for p in _name_passes(prefixes, lkeys, lpkeys, suffix, SCORE_FUZZY - 0.1, SCORE_FUZZY - 0.2):
                yield _Pass(p.where, p.params, "fuzzy", p.score, fts=p.fts)


def _names_where(match_expr: str, suffix: str | None) -> tuple[str, tuple, bool]:
    if suffix:
        where, params = _range("phone_key", phones.suffix_key(suffix))
        return f"{where} AND {_FTS_EXISTS}", (*params, match_expr), False
    return _FTS_IN, (match_expr,), True


def _name_passes(
    prefixes: _Prefixes, keys: list[str], pkeys: list[str], suffix: str | None, exact_score: float, prefix_score: float
) -> Iterator[_Pass]:
    """All words whole; then the last one as a prefix; then every one as a prefix."""
    steps: list[tuple[Callable[[], str | None], Match, float]] = [
        (lambda: _all([_quoted(k) for k in keys]), "exact", exact_score),
        (lambda: _all([*(_quoted(k) for k in keys[:-1]), prefixes.expr(pkeys[-1])]), "prefix", prefix_score),
    ]
    if len(keys) > 1:
        steps.append((lambda: _all([prefixes.expr(k) for k in pkeys]), "prefix", prefix_score - 0.1))
    seen = set()
    for build, match, score in steps:
        expr = build()  # built only when the passes before it left room
        if expr is None or expr in seen:
            continue
        seen.add(expr)
        where, params, fts = _names_where(expr, suffix)
        yield _Pass(where, params, match, score, fts=fts)


def _typo_candidates(db: Database, word: str) -> list[str]:
    """Indexed words within one edit (insert, delete, substitute, swap) of `word`."""
    dels = sorted(search_index.deletes(word))
    probe = [word, *dels]
    marks_probe = ",".join("?" * len(probe))
    marks_dels = ",".join("?" * len(dels))
    rows = _rows(
        db,
        f"SELECT term FROM search_deletes WHERE del IN ({marks_probe}) "
        f"UNION SELECT term FROM search_vocab WHERE term IN ({marks_dels})",
        [*probe, *dels],
    )
    found = [r[0] for r in rows if r[0] != word and OSA.distance(word, r[0], score_cutoff=1) <= 1]
    found.sort(key=lambda t: (abs(len(t) - len(word)), t))
    return found[:MAX_TYPO_CANDIDATES]


def _typo_passes(prefixes: _Prefixes, keys: list[str], suffix: str | None) -> Iterator[_Pass]:
    """Each word as typed or within one edit of an indexed word (the last also as a prefix)."""
    groups: list[str | None] = []
    any_typo = False
    for i, k in enumerate(keys):
        alts = [_quoted(a) for a in _typo_candidates(prefixes.db, k)] if len(k) >= FUZZY_MIN_LEN else []
        any_typo = any_typo or bool(alts)
        typed = prefixes.expr(k) if i == len(keys) - 1 else _quoted(k)
        options = ([typed] if typed else []) + alts
        groups.append(_any(options) if options else None)
    expr = _all(groups)
    if not any_typo or expr is None:
        return
    where, params, fts = _names_where(expr, suffix)
    yield _Pass(where, params, "fuzzy", SCORE_FUZZY, fts=fts)
