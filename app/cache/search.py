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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel
from rapidfuzz.distance import OSA
from sqlite_utils import Database

from app.cache import search_index
from app.cache.search_index import FUZZY_MIN_LEN, norm_card, norm_email
from app.services import phones, translit

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
_PHONE_RANGE = "d.phone_key >= ? AND d.phone_key < ?"

_SPLIT = re.compile(r"[\s,;]+")
_EMAILISH = re.compile(r"^[a-z0-9._%+\-]+$")


@dataclass(frozen=True, slots=True)
class _Pass:
    where: str
    params: tuple
    match: Match
    score: float
    fts: bool = False          # the FTS subquery takes the row limit too
    final: bool = False        # a hit here answers the query: skip the passes after it


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
        id=r[0], last_name=r[1], first_name=r[2], middle_name=r[3], phone=r[4],
        masked_phone=phones.mask_phone(r[4]) if r[4] else None, email=r[5], tier=r[6],
        last_visit=r[7], store_id=r[8], points_balance=r[9] or 0, match=match, score=score,
        duplicate=bool(r[10]),
    )


# --- reading the query ----------------------------------------------------------------


def _after(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


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
    full = phones.normalise(q) if (len(d) >= 10 or q.startswith("+")) else None
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


def _fts_term(word: str, prefix: bool = False) -> str:
    return f'"{word}"*' if prefix else f'"{word}"'


def _fts_and(groups: list[str]) -> str:
    return " AND ".join(groups)


def _text_passes(db: Database, q: str) -> Iterator[_Pass]:
    tokens = [t for t in _SPLIT.split(q) if t]
    digit_tokens = [phones.digits(t) for t in tokens if phones.looks_like_phone(t)]
    suffix = next((d for d in reversed(digit_tokens) if len(d) >= MIN_DIGITS), None)
    raw_words: list[str] = []
    for t in tokens:
        if not phones.looks_like_phone(t):
            raw_words.extend(translit.words(t))
    raw_words = raw_words[:MAX_WORDS]

    # "client12" or "a.ivanova": perhaps the start of an email.
    email_prefix = None
    if len(tokens) == 1 and tokens[0].isascii():
        e = tokens[0].lower()
        if _EMAILISH.match(e):
            email_prefix = e

    if raw_words:
        # A word typed in Latin is compared by its Latin key; any other as written.
        keys = [translit.latin_key(w) if w.isascii() else w for w in raw_words]
        pkeys = [translit.latin_prefix_key(w) if w.isascii() else w for w in raw_words]
        if all(keys) and all(pkeys):
            yield from _name_passes(db, keys, pkeys, suffix, SCORE_EXACT, SCORE_PREFIX)
    if email_prefix:
        where, params = _range("email", email_prefix)
        yield _Pass(where, params, "prefix", SCORE_PREFIX - 0.2)
    if raw_words:
        if all(keys):
            yield from _typo_passes(db, keys, suffix)
        if not all(w.isascii() for w in raw_words):
            # Cyrillic (or other script) input: also try the Latin keys, which find
            # names stored in Latin and other spellings of the same sound.
            lkeys = [translit.latin_key(w) for w in raw_words]
            lpkeys = [translit.latin_prefix_key(w) for w in raw_words]
            if all(lkeys) and all(lpkeys):
                for p in _name_passes(db, lkeys, lpkeys, suffix, SCORE_FUZZY - 0.1, SCORE_FUZZY - 0.2):
                    yield _Pass(p.where, p.params, "fuzzy", p.score, fts=p.fts)
    elif suffix and not raw_words:
        yield from _digit_passes(suffix)


def _names_where(match_expr: str, suffix: str | None) -> tuple[str, tuple, bool]:
    if suffix:
        where, params = _range("phone_key", phones.suffix_key(suffix))
        return f"{where} AND {_FTS_EXISTS}", (*params, match_expr), False
    return _FTS_IN, (match_expr,), True


def _name_passes(db: Database, keys: list[str], pkeys: list[str], suffix: str | None,
                 exact_score: float, prefix_score: float) -> Iterator[_Pass]:
    exprs: list[tuple[str, Match, float]] = [
        (_fts_and([_fts_term(k) for k in keys]), "exact", exact_score),
        (_fts_and([*(_fts_term(k) for k in keys[:-1]), _fts_term(pkeys[-1], prefix=True)]),
         "prefix", prefix_score),
    ]
    if len(keys) > 1:
        exprs.append((_fts_and([_fts_term(k, prefix=True) for k in pkeys]), "prefix", prefix_score - 0.1))
    seen = set()
    for expr, match, score in exprs:
        if expr in seen:
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
    rows = _rows(db, f"SELECT term FROM search_deletes WHERE del IN ({marks_probe}) "
                     f"UNION SELECT term FROM search_vocab WHERE term IN ({marks_dels})", [*probe, *dels])
    found = [r[0] for r in rows if r[0] != word and OSA.distance(word, r[0], score_cutoff=1) <= 1]
    found.sort(key=lambda t: (abs(len(t) - len(word)), t))
    return found[:MAX_TYPO_CANDIDATES]


def _typo_passes(db: Database, keys: list[str], suffix: str | None) -> Iterator[_Pass]:
    groups, any_typo = [], False
    for i, k in enumerate(keys):
        last = i == len(keys) - 1
        alts = _typo_candidates(db, k) if len(k) >= FUZZY_MIN_LEN else []
        any_typo = any_typo or bool(alts)
        terms = [_fts_term(k, prefix=last), *(_fts_term(a) for a in alts)]
        groups.append(terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")")
    if not any_typo:
        return
    where, params, fts = _names_where(_fts_and(groups), suffix)
    yield _Pass(where, params, "fuzzy", SCORE_FUZZY, fts=fts)
