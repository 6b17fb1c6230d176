"""The change page: what the hub sends a device that pulls the feed, and how it is read.

One module for both ends (the hub renders pages with it, the device's client reads
them with it), so the page's format is written down once:

- `PageMeta`: where a page leads (`next_cursor`, `has_more`, `total_estimate`). Both
  forms of a page carry it in HTTP headers (`PageMeta.headers` / `PageMeta.from_headers`),
  which arrive before the body: a device asks for the next page without reading this one.
- The JSON page (GET /v1/changes): `render_json` builds its body, `ChangePage` is its
  documented model (the hub's OpenAPI, small readers), `FeedRow` / `RawPage` are how the
  device's engine reads it (msgspec, each entity's JSON left as the hub sent it). The
  body repeats the meta fields for readers that look only at the body.
- The SQLite page (GET /v1/changes.sqlite, see sync.hub.page_file): `FILE_TABLES` and
  `file_meta_rows` say what the file holds, `FILE_FORMAT` its version, `read_file_meta`
  checks a file's meta and reads its cursor; `FilePage` is a downloaded one.

The JSON page's own format is versioned with the protocol (sync.models.PROTOCOL_VERSION,
sent as X-Vitrine-Protocol); the SQLite page's with `FILE_FORMAT` in its meta table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path

import msgspec
from pydantic import Field

from sync.models import Change, Model

JSON_MEDIA_TYPE = "application/json"
JSON_MAX_ROWS = 5000
"""Most changes a JSON page holds (its `limit`)."""

FILE_MEDIA_TYPE = "application/vnd.sqlite3"
FILE_MAX_ROWS = 50_000
"""Most changes a SQLite page holds (its `limit`, and its default)."""
FILE_FORMAT = 1
"""Version of the SQLite page's layout (`FILE_TABLES`), in its meta table as `format`."""

NEXT_CURSOR_HEADER = "X-Vitrine-Next-Cursor"
HAS_MORE_HEADER = "X-Vitrine-Has-More"
TOTAL_HEADER = "X-Vitrine-Total"


class BadPage(ValueError):
    """A page that does not follow this format (the client reports it as a 502 "Bad change page")."""


@dataclasses.dataclass(frozen=True, slots=True)
class PageMeta:
    """Where a page leads: the cursor after it, whether more follow, and (on a pull's first
    page, when asked) how many changes were after the cursor it was asked from."""

    next_cursor: int
    has_more: bool
    total_estimate: int | None = None

    def headers(self) -> dict[str, str]:
        out = {NEXT_CURSOR_HEADER: str(self.next_cursor), HAS_MORE_HEADER: "true" if self.has_more else "false"}
        if self.total_estimate is not None:
            out[TOTAL_HEADER] = str(self.total_estimate)
        return out

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> PageMeta:
        try:
            has_more = headers[HAS_MORE_HEADER]
            if has_more not in ("true", "false"):
                raise ValueError(f"{HAS_MORE_HEADER}: {has_more!r}")
            total = headers.get(TOTAL_HEADER)
            return cls(int(headers[NEXT_CURSOR_HEADER]), has_more == "true", None if total is None else int(total))
        except (KeyError, ValueError) as e:
            raise BadPage(f"The page came without its cursor: {e}") from e


# --- the JSON page ---------------------------------------------------------------------


class ChangePage(Model):
    """The JSON page's body, as documented (OpenAPI); the engine reads it as a `RawPage`."""

    changes: list[Change]
    next_cursor: int
    has_more: bool
    total_estimate: int | None = Field(default=None, description="Changes left after the cursor, for progress bars")


def render_json(changes: list[bytes], meta: PageMeta) -> bytes:
    """A `ChangePage` body from its changes, each already rendered as UTF-8 JSON (the hub's
    database renders them: sync.hub.feed.page). Send it with `meta.headers()`."""
    total = b"null" if meta.total_estimate is None else str(meta.total_estimate).encode()
    return b"".join(
        (
            b'{"changes":[',
            b",".join(changes),
            b'],"next_cursor":%d,"has_more":%b,"total_estimate":%b}'
            % (meta.next_cursor, b"true" if meta.has_more else b"false", total),
        )
    )


_NULL = msgspec.Raw(b"null")


class FeedRow(msgspec.Struct, frozen=True, gc=False):
    """One change of a page (a `Change`), its entity's JSON kept as the hub sent it (not parsed here)."""

    seq: int
    entity: str
    entity_id: str
    deleted: bool = False
    data: msgspec.Raw = _NULL
    client_id: str | msgspec.UnsetType | None = msgspec.UNSET  # UNSET: an older hub did not name it

    @property
    def gone(self) -> bool:
        return self.deleted or self.data == _NULL


class _WirePage(msgspec.Struct):
    """`ChangePage` as the engine decodes it."""

    changes: list[FeedRow]
    next_cursor: int
    has_more: bool
    total_estimate: int | None = None


_DECODE = msgspec.json.Decoder(_WirePage)


class _LeadsOn:
    """Where a page leads, read off its `meta` (both forms of a page carry one)."""

    __slots__ = ()
    meta: PageMeta

    @property
    def next_cursor(self) -> int:
        return self.meta.next_cursor

    @property
    def has_more(self) -> bool:
        return self.meta.has_more

    @property
    def total_estimate(self) -> int | None:
        return self.meta.total_estimate


class RawPage(_LeadsOn):
    """One JSON page as the engine reads it: its meta (from the headers) and its body.

    `meta` is known at once, so the engine can ask for the next page before this one is
    read. `changes` is decoded on first use with msgspec, each entity's JSON left raw:
    the cache stores that text as it is, so a million-row sync neither builds a dict per
    row nor serialises it again (about 3x less CPU than a full parse). The body must say
    what the headers said, and its last change must be the cursor: else `BadPage`.
    """

    __slots__ = ("_changes", "body", "meta", "size")

    def __init__(self, body: bytes, meta: PageMeta):
        self.body = body
        self.size = len(body)
        self.meta = meta
        self._changes: list[FeedRow] | None = None

    @classmethod
    def from_body(cls, body: bytes) -> RawPage:
        """A page whose meta is read from its body (a hub that sent no page headers; tests)."""
        doc = _decode(body)
        page = cls(b"", PageMeta(doc.next_cursor, doc.has_more, doc.total_estimate))
        page.size = len(body)
        page._changes = doc.changes
        return page

    @property
    def changes(self) -> list[FeedRow]:
        if self._changes is None:
            doc = _decode(self.body)
            if (doc.next_cursor, doc.has_more) != (self.meta.next_cursor, self.meta.has_more):
                raise BadPage("The page's cursor does not match its headers.")
            self._changes = doc.changes
            self.body = b""  # the rows hold what is needed; let the page's bytes go
        return self._changes


def _decode(body: bytes) -> _WirePage:
    try:
        doc = _DECODE.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as e:
        raise BadPage(f"The hub sent a change page that cannot be read: {e}") from e
    if doc.changes and doc.changes[-1].seq != doc.next_cursor:
        raise BadPage("The page's last change does not match its cursor.")
    return doc


# --- the SQLite page -------------------------------------------------------------------


FILE_TABLES = (
    (
        "CREATE TABLE {schema}.changes (seq INTEGER PRIMARY KEY, entity TEXT NOT NULL,"
        " entity_id TEXT NOT NULL, client_id TEXT, deleted INTEGER NOT NULL, data TEXT)"
    ),  # data NULL when deleted
    "CREATE TABLE {schema}.meta (key TEXT PRIMARY KEY, value TEXT)",
)
"""A SQLite page's tables (`FILE_FORMAT`), in the schema the file is attached as."""

FILE_COLUMNS = "seq, entity, entity_id, client_id, deleted, data"
"""The columns of `changes`, in order."""


def file_meta_rows(meta: PageMeta, rows: int) -> list[tuple[str, str]]:
    """What a SQLite page's meta table holds."""
    return [
        ("format", str(FILE_FORMAT)),
        ("next_cursor", str(meta.next_cursor)),
        ("has_more", str(int(meta.has_more))),
        ("rows", str(rows)),
    ]


def read_file_meta(rows: Iterable[tuple[str, str]]) -> PageMeta:
    """The meta of a SQLite page from its meta table; `BadPage` if it is not `FILE_FORMAT`."""
    found = dict(rows)
    if found.get("format") != str(FILE_FORMAT):
        raise BadPage(f"page file format {found.get('format')!r}, this app reads {FILE_FORMAT}")
    try:
        return PageMeta(int(found["next_cursor"]), found["has_more"] == "1")
    except (KeyError, ValueError) as e:
        raise BadPage(f"The page file's meta cannot be read: {e}") from e


@dataclasses.dataclass(frozen=True, slots=True)
class FilePage(_LeadsOn):
    """A SQLite page downloaded to `path`, and its meta (from the headers)."""

    path: Path
    meta: PageMeta
