"""Change pages applied to the cache: a page and its cursor in one transaction.

JSON pages arrive as `FeedRow`s (sorted by `prepare_page`, written by `apply_page`,
several at a time by `apply_pages`); a first sync's pages arrive as SQLite files
(`apply_page_file`). Their format is sync.page's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, cast

import msgspec
import pydantic_core
from sqlite_utils import Database

from app.cache import bulk_load, diary_index, erasure, outbox
from app.cache.clients import ClientColumns, rebase_client, save_clients
from app.cache.sync_state import FILE_PULL, set_state
from sync.models import Change, utcnow
from sync.page import BadPage, FeedRow, RawPage, read_file_meta

Json = str | msgspec.Raw
"""An entity's JSON text: a str, or the hub's UTF-8 bytes as they came (bound as bytes
and stored as TEXT by `CAST(? AS TEXT)`: no decoding into a str per row, and no encoding
back to UTF-8 when SQLite binds it)."""


@dataclass(slots=True)
class PreparedPage:
    """A page of the feed sorted into what `apply_page` writes, ready to bind.

    Made by `prepare_page`, which touches no database (`apply_pages` runs it in the
    writer, just before `apply_page`; see there for why).
    """

    clients: list[tuple[ClientColumns, Json]] = field(default_factory=list)  # (columns, the hub's JSON)
    client_deletes: list[str] = field(default_factory=list)
    merged_into: dict[str, str] = field(default_factory=dict)  # a deleted client merged into: the survivor
    entity_rows: list[tuple[str, str, str | None, Json]] = field(default_factory=list)
    entity_deletes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.clients) + len(self.client_deletes) + len(self.entity_rows) + len(self.entity_deletes)


class _ClientRef(msgspec.Struct):
    client_id: str | None = None


_CLIENT_REF = msgspec.json.Decoder(_ClientRef)


class _Tombstone(msgspec.Struct):
    merged_into: str | None = None


_TOMBSTONE = msgspec.json.Decoder(_Tombstone)


def _note_merge(page: PreparedPage, client_id: str, data: Json | bytes | None) -> None:
    """A client tombstone with data is a merge (sync.hub.merge): remember her survivor."""
    raw = bytes(data) if isinstance(data, msgspec.Raw) else data
    if raw is None or raw in ("null", b"null"):  # an erasure
        return
    survivor = _TOMBSTONE.decode(raw).merged_into
    if survivor:
        page.merged_into[client_id] = survivor


_CLIENT = msgspec.json.Decoder(ClientColumns)


def _feed_row(ch: dict[str, Any] | Change) -> FeedRow:
    """A change given as a dict or a `Change` model, as the pull decodes one."""
    if not isinstance(ch, dict):
        ch = ch.model_dump(mode="json", exclude_unset=True)  # an unset client_id is read from data
    data = ch.get("data")
    return FeedRow(
        ch.get("seq", 0),
        ch["entity"],
        ch["entity_id"],
        bool(ch.get("deleted")),
        msgspec.Raw(pydantic_core.to_json(data)),
        ch.get("client_id", msgspec.UNSET),
    )


def prepare_page(changes: list[FeedRow] | list[dict[str, Any]] | list[Change]) -> PreparedPage:
    """Sort a page's changes into rows to write.

    `FeedRow`s (the engine's pull) keep each entity's JSON as the hub sent it (`Json`):
    of a client only its columns are read (`ClientColumns`); any other entity is not
    read at all, the change names its client (an older hub's does not: then only
    `client_id` is read from the entity). Dicts and `Change` models (tests, small
    callers) are turned into `FeedRow`s first.
    """
    if changes and not isinstance(changes[0], FeedRow):
        rows = [_feed_row(ch) for ch in changes]
    else:  # a page is all of one kind: its first change says which (or it has none)
        rows = cast("list[FeedRow]", changes)
    out = PreparedPage()
    for ch in rows:  # every row of a sync passes here: keep it lean
        if ch.gone:
            if ch.entity == "client":
                out.client_deletes.append(ch.entity_id)
                _note_merge(out, ch.entity_id, ch.data)
            else:
                out.entity_deletes.append((ch.entity, ch.entity_id))
        elif ch.entity == "client":
            out.clients.append((_CLIENT.decode(ch.data), ch.data))
        else:
            ref = ch.client_id
            if ref is msgspec.UNSET:  # a hub that does not name it: read it from the entity
                ref = _CLIENT_REF.decode(ch.data).client_id
            out.entity_rows.append((ch.entity, ch.entity_id, ref, ch.data))
    return out


WRITER_CACHE_KIB = 64 * 1024
"""Page cache of the writer while it applies pages: the entity indexes take random keys,
and with SQLite's default 2 MB an initial sync of a big store reads index pages back
from the OS for every insert (~15% of the apply time at 350,000 rows)."""


def apply_page(
    db: Database, changes: list[FeedRow] | list[dict[str, Any]] | list[Change] | PreparedPage, next_cursor: int
) -> dict[str, int]:
    """Apply one page of the change feed and advance the cursor, in one transaction.

    `changes` are the feed's rows (see `prepare_page`) or a page it already sorted.
    """
    page = changes if isinstance(changes, PreparedPage) else prepare_page(changes)
    if page.count >= 500:
        db.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
    patched = {
        r[0]
        for r in db.execute(
            "SELECT DISTINCT entity_id FROM outbox WHERE kind = 'client.update' AND status IN ('pending', 'waiting')"
        )
    }
    if page.client_deletes:  # the hub deletes a client when she is erased or merged into another
        erasure.forget_clients(db, page.client_deletes, page.merged_into)
    plain = [(cols, text) for cols, text in page.clients if cols.id not in patched]
    if plain:  # nothing local to replay: the hub's snapshot is the local view
        save_clients(db, [(cols, cols) for cols, _ in plain], texts=[text for _, text in plain])
    for cols, text in page.clients:
        if cols.id in patched:
            rebase_client(db, cols.id, json.loads(text if isinstance(text, str) else bytes(text)))
            outbox.mark_replayed(db, cols.id)
    if page.entity_rows:
        db.conn.executemany(
            "INSERT OR REPLACE INTO entities (entity, id, client_id, data) VALUES (?, ?, ?, CAST(? AS TEXT))",
            page.entity_rows,
        )
        diary = [(i, c, d) for e, i, c, d in page.entity_rows if e == "diary"]
        if diary:  # a revision replaces the entry's text, a tombstone (deleted) removes it
            diary_index.index_entries(db, diary)
    if page.entity_deletes:
        diary_index.unindex_entries(db, [i for e, i in page.entity_deletes if e == "diary"])
        if bulk_load.bulk_loading(db):  # no key index to find them by: deleted when it is back
            upto = db.execute("SELECT coalesce(max(rowid), 0) FROM entities").fetchone()[0]
            db.conn.executemany(
                "INSERT INTO bulk_gone (entity, id, upto) VALUES (?, ?, ?)",
                [(e, i, upto) for e, i in page.entity_deletes],
            )
        else:
            db.conn.executemany("DELETE FROM entities WHERE entity = ? AND id = ?", page.entity_deletes)
    set_state(db, "cursor", str(next_cursor))
    set_state(db, "last_pull_at", utcnow().isoformat())
    n_clients = len(page.clients) + len(page.client_deletes)
    return {"client": n_clients, "other": page.count - n_clients}


def apply_pages(db: Database, raw_pages: list[RawPage], bulk: bool) -> tuple[int, BadPage | None]:
    """Sort and apply JSON pages, the cursor after the last, in this transaction: (changes
    applied, the error of a page that could not be read).

    The pages are parsed and sorted here, in the writer, rather than in a thread of their
    own: that is pure Python, so a second thread only took turns on the GIL with this
    one, which drops and retakes it around every row it inserts (measured: one store's
    first sync ~10% slower that way). A page that cannot be read ends the batch: the
    pages before it are applied and its error is returned. With `bulk`, the indexes are
    set aside first (bulk_load.begin_bulk).
    """
    if bulk:
        bulk_load.begin_bulk(db)
    n = 0
    for page in raw_pages:
        try:
            rows = prepare_page(page.changes)
        except BadPage as e:
            return n, e
        except msgspec.MsgspecError as e:  # an entity that is not what the protocol says
            return n, BadPage(f"The hub sent a change that cannot be read: {e}")
        if rows.count:
            apply_page(db, rows, page.next_cursor)
            n += rows.count
    return n, None


_FILE_CLIENTS = 5000  # clients decoded and indexed at a time


def apply_page_file(db: Database, expect_cursor: int) -> int:
    """Apply the page attached as `page` (sync.hub.page_file) and its cursor, in this transaction.

    Live entities other than clients are copied by one INSERT … SELECT, in SQLite's C
    code; clients and deletions go through `apply_page` a few thousand at a time (their
    columns, search rows, replayed patches of this device, bulk bookkeeping). Returns
    the changes applied.
    """
    cursor_ = read_file_meta(db.execute("SELECT key, value FROM page.meta").fetchall()).next_cursor
    if cursor_ != expect_cursor:
        raise BadPage(f"the page file's cursor {cursor_} is not the {expect_cursor} the hub announced")
    db.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
    n = db.execute(
        "INSERT OR REPLACE INTO entities (entity, id, client_id, data) SELECT entity, entity_id,"
        " client_id, data FROM page.changes WHERE NOT deleted AND entity <> 'client'"
    ).rowcount
    diary_index.index_page_file(db)
    found = db.execute(
        "SELECT entity, entity_id, deleted, data FROM page.changes WHERE deleted OR entity = 'client' ORDER BY seq"
    )
    while rows := found.fetchmany(_FILE_CLIENTS):
        page = PreparedPage()
        for entity, entity_id, deleted, data in rows:
            if (deleted or data is None) and entity == "client":
                page.client_deletes.append(entity_id)
                _note_merge(page, entity_id, data)
            elif deleted or data is None:
                page.entity_deletes.append((entity, entity_id))
            else:
                page.clients.append((_CLIENT.decode(data), data))
        n += page.count
        apply_page(db, page, cursor_)
    apply_page(db, PreparedPage(), cursor_)
    set_state(db, FILE_PULL, "1")
    return n
