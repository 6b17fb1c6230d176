"""Import members from another loyalty system's export: `python -m sync.hub import-members`.

A brand moving to Vitrine brings its clients, cards, point balances (with their expiry
dates and the pending part), tiers and consents, "without loss". The export is a CSV or
XLSX file with one row per member; a mapping file (TOML, see docs/loyalty.md "Importing
members") names the columns and translates tier names:

    source = "loymax"              # the other system: external ids are unique within it
    store = "Петровка"             # members' store when the file has no store column
    [columns]
    external_id = "ID"             # required
    last_name = "Фамилия"  ...     # the other fields, see FIELDS
    [tiers]
    "Серебро" = "Silver"
    [consents]
    processing = "Согласие ПДн"    # a consent purpose -> its column (да/нет, 1/0, ...)

Rows are read as a stream and written in batches (memory stays flat for a million
members). Each member becomes a client with a deterministic id (from the source and the
external id) and up to two ledger buckets: her available points (expiring when the file
says, else after the program's life) and her pending points (unlocking when the file
says). `member_imports` remembers each external id: a re-run skips what is there.

The dry run does the same work inside one transaction that is rolled back, so its report
(rows read, imported, rejected with reasons, points in the file and in the hub's ledger)
is the real run's. The point totals are reconciled against the ledger itself.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import re
import tomllib
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError
from sqlalchemy import select

from sync.hub import feed, loyalty_service
from sync.hub import loyalty as rules
from sync.hub.storage import HubDB, schema, sql
from sync.models import CONSENT_PURPOSES, Client, new_id, utcnow
from sync.rules.contacts import normalise_email, normalise_phone

NS = uuid.UUID("0b7d6a1e-6c55-5b7e-9a43-52b1d5f0c8a1")
"""Namespace of imported client and entry ids. Never change it: a re-run must find them."""

BATCH = 1000
FIELDS = (
    "external_id",
    "last_name",
    "first_name",
    "middle_name",
    "phone",
    "email",
    "birthday",
    "gender",
    "card_number",
    "store",
    "registered_at",
    "tier",
    "points",
    "points_expire",
    "pending_points",
    "pending_unlock",
    "pending_expire",
)
TRUE = {"1", "true", "yes", "y", "да", "д", "+"}
FALSE = {"0", "false", "no", "n", "нет", "н", "-"}
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


class MappingError(ValueError):
    """A mapping file (or an export's header) that cannot be used; nothing was imported."""


@dataclass(frozen=True)
class Mapping:
    source: str
    columns: dict[str, str]
    tiers: dict[str, str] = field(default_factory=dict)
    consents: dict[str, str] = field(default_factory=dict)
    store: str | None = None
    delimiter: str | None = None
    encoding: str = "utf-8-sig"
    sheet: str | None = None
    date_formats: tuple[str, ...] = DATE_FORMATS
    consent_text_version: str = "import"


def load_mapping(path: Path) -> Mapping:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise MappingError(f"{path}: cannot read the mapping: {e}") from e
    columns = data.get("columns") or {}
    unknown = set(columns) - set(FIELDS)
    if unknown:
        raise MappingError(f"{path}: unknown fields in [columns]: {', '.join(sorted(unknown))}")
    if "external_id" not in columns:
        raise MappingError(f"{path}: [columns] must name the external_id column (the other system's member id)")
    if not ({"last_name", "first_name"} <= set(columns)):
        raise MappingError(f"{path}: [columns] must name last_name and first_name")
    consents = data.get("consents") or {}
    bad = set(consents) - set(CONSENT_PURPOSES)
    if bad:
        raise MappingError(f"{path}: unknown consent purposes: {', '.join(sorted(bad))}")
    source = str(data.get("source") or "").strip()
    if not source or len(source) > 40:
        raise MappingError(f"{path}: `source` (the other system's name, up to 40 characters) is required")
    if "store" not in columns and not data.get("store"):
        raise MappingError(f"{path}: name a store column in [columns] or a default `store`")
    return Mapping(
        source=source,
        columns={k: str(v) for k, v in columns.items()},
        tiers={str(k): str(v) for k, v in (data.get("tiers") or {}).items()},
        consents={k: str(v) for k, v in consents.items()},
        store=data.get("store"),
        delimiter=data.get("delimiter"),
        encoding=data.get("encoding", "utf-8-sig"),
        sheet=data.get("sheet"),
        date_formats=tuple(data.get("date_formats") or DATE_FORMATS),
        consent_text_version=str(data.get("consent_text_version") or "import")[:40],
    )


# --- reading ----------------------------------------------------------------------------


def _csv_rows(handle: TextIO, delimiter: str | None) -> Iterator[dict[str, Any]]:
    first = handle.readline()
    if not first:
        return
    delim = delimiter or (";" if first.count(";") > first.count(",") else ",")
    header = next(csv.reader([first], delimiter=delim))
    for values in csv.reader(handle, delimiter=delim):
        if values:
            yield dict(zip(header, values, strict=False))


def _xlsx_rows(path: Path, sheet: str | None) -> Iterator[dict[str, Any]]:
    import openpyxl  # the hub extra; only an XLSX import needs it

    # read_only: rows are parsed as they are iterated (lxml-free SAX), so a million-row
    # workbook never sits in memory; data_only: a cell's value, not its formula.
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = book[sheet] if sheet else book.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = next(it, None)
        if header is None:
            return
        names = ["" if h is None else str(h).strip() for h in header]
        for values in it:
            if values and any(v is not None and v != "" for v in values):
                yield dict(zip(names, values, strict=False))
    finally:
        book.close()


def read_rows(path: Path, mapping: Mapping) -> Iterator[dict[str, Any]]:
    """The export's rows as {header: value}, streamed."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        yield from _xlsx_rows(path, mapping.sheet)
        return
    with path.open(encoding=mapping.encoding, newline="") as handle:
        yield from _csv_rows(handle, mapping.delimiter)


# --- one row --------------------------------------------------------------------------


class Reject(ValueError):
    """A row that cannot be imported, and why."""


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)  # a card or phone number that a spreadsheet stored as a number
    return str(v).strip()


def _points(v: Any, what: str) -> int:
    text = _text(v).replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not text:
        return 0
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise Reject(f"{what}: not a number") from None  # values stay out of reports: personal data
    if d != d.to_integral_value() or d < 0:
        raise Reject(f"{what}: points must be a whole number >= 0")
    if d > 10**9:
        raise Reject(f"{what}: implausibly many points")
    return int(d)


def _date(v: Any, what: str, formats: tuple[str, ...]) -> dt.datetime | None:
    """A day or moment from the file (a bare day is the start of that day, Moscow time)."""
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v if v.tzinfo else v.replace(tzinfo=MSK)
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day, tzinfo=MSK)
    text = _text(v)
    if not text:
        return None
    t = _parse_day(text, formats)
    if t is None:
        raise Reject(f"{what}: not a date")
    return t


@lru_cache(maxsize=65_536)
def _parse_day(text: str, formats: tuple[str, ...]) -> dt.datetime | None:
    """Cached: an export repeats the same few thousand dates, and strptime costs ~40 us."""
    for f in formats:
        try:
            return dt.datetime.strptime(text, f).replace(tzinfo=MSK)
        except ValueError:
            continue
    return None


MSK = dt.timezone(dt.timedelta(hours=3))
RU_E164 = re.compile(r"\+79\d{9}")


def _flag(v: Any, what: str) -> bool | None:
    text = _text(v).lower()
    if not text:
        return None
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise Reject(f"{what}: not yes/no")


@dataclass
class Member:
    external_id: str
    client: dict
    entries: list[rules.LedgerEntry]
    consents: dict[str, bool]
    points: int
    tier: str | None


def entry_id(source: str, external_id: str, part: str) -> str:
    return str(uuid.uuid5(NS, f"{source}|{external_id}|{part}"))


def member(
    row: dict[str, Any],
    mapping: Mapping,
    prog: rules.Program,
    stores: dict[str, str],
    now: dt.datetime,
) -> Member:
    """A row as the client and ledger buckets it becomes; Reject (with the reason) if it cannot."""
    col = mapping.columns

    def get(name: str) -> Any:
        return row.get(col[name]) if name in col else None

    ext = _text(get("external_id"))
    if not ext:
        raise Reject("no external id")
    if len(ext) > 100:
        raise Reject("external id longer than 100 characters")
    store_key = _text(get("store")) or (mapping.store or "")
    store_id = stores.get(store_key) or stores.get(store_key.lower())
    if store_id is None:
        raise Reject("unknown store")
    phone_raw = _text(get("phone"))
    # An export's phones are mostly E.164 already; a Russian one needs no parse (~200 us).
    phone = phone_raw if RU_E164.fullmatch(phone_raw) else normalise_phone(phone_raw) if phone_raw else None
    if phone_raw and phone is None:
        raise Reject("phone is not a phone number")
    try:
        email = normalise_email(_text(get("email")) or None)
    except ValueError:
        raise Reject("e-mail is not valid") from None
    born = _date(get("birthday"), "birthday", mapping.date_formats)
    registered = _date(get("registered_at"), "registered_at", mapping.date_formats) or now
    if born is not None and born.date() >= now.date():
        raise Reject("birthday is not in the past")
    tier_name = None
    raw_tier = _text(get("tier"))
    if raw_tier:
        tier_name = mapping.tiers.get(raw_tier, raw_tier)
        if tier_name not in {t.name for t in prog.tiers}:
            raise Reject("unknown tier")
    gender = _text(get("gender")).lower()[:1] or None
    gender = {"ж": "f", "м": "m", "f": "f", "m": "m", "w": "f"}.get(gender or "")

    client_id = entry_id(mapping.source, ext, "client")
    entries: list[rules.LedgerEntry] = []
    available = _points(get("points"), "points")
    expires = _date(get("points_expire"), "points_expire", mapping.date_formats)
    if available:
        if expires is not None and expires <= now:
            raise Reject("the points' expiry date has passed")
        entries.append(
            _bucket(client_id, entry_id(mapping.source, ext, "available"), available, now, now, expires, mapping, prog)
        )
    pending = _points(get("pending_points"), "pending_points")
    if pending:
        unlock = _date(get("pending_unlock"), "pending_unlock", mapping.date_formats)
        if unlock is None:
            raise Reject("pending points without their unlock date")
        p_expires = _date(get("pending_expire"), "pending_expire", mapping.date_formats)
        if p_expires is not None and p_expires <= max(unlock, now):
            raise Reject("the pending points expire before they unlock")
        entries.append(
            _bucket(client_id, entry_id(mapping.source, ext, "pending"), pending, now, unlock, p_expires, mapping, prog)
        )
    consents: dict[str, bool] = {}
    for purpose, column in mapping.consents.items():
        flag = _flag(row.get(column), f"consent {purpose}")
        if flag is not None:
            consents[purpose] = flag
    try:
        client = Client(
            id=client_id,
            store_id=store_id,
            created_at=registered,
            last_name=_text(get("last_name")),
            first_name=_text(get("first_name")),
            middle_name=_text(get("middle_name")) or None,
            phone=phone,
            email=email,
            birthday=born.date() if born else None,
            gender=gender,
            card_number=_text(get("card_number")) or None,
            consents={
                p: {"granted": g, "date": now.date(), "text_version": mapping.consent_text_version}
                for p, g in consents.items()
            },
        )
    except ValidationError as e:
        first = e.errors()[0]
        raise Reject(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    return Member(ext, client.model_dump(mode="json"), entries, consents, available + pending, tier_name)


def _bucket(
    client_id: str,
    id_: str,
    points: int,
    now: dt.datetime,
    unlock: dt.datetime,
    expires: dt.datetime | None,
    mapping: Mapping,
    prog: rules.Program,
) -> rules.LedgerEntry:
    what = "pending points" if unlock > now else "points"
    return rules.LedgerEntry(
        id=id_,
        client_id=client_id,
        kind="adjustment",
        points=points,
        at=now,
        available_at=unlock,
        expires_at=expires or prog.points.expire_after.after(max(unlock, now)),
        bucket_id=id_,
        ref_id=f"import:{mapping.source}",
        reason=f"Carried over from {mapping.source}: {what}",
    )


# --- the run --------------------------------------------------------------------------


@dataclass
class Report:
    source: str
    file: str
    dry_run: bool
    rows_read: int = 0
    imported: int = 0
    already: int = 0  # imported by an earlier run: skipped
    rejected: int = 0
    points_in_file: int = 0  # every row's points that could be read
    points_rejected: int = 0
    points_imported: int = 0  # this run's
    points_in_hub: int = 0  # the ledger's imported buckets of this source, counted after the run
    reasons: Counter = field(default_factory=Counter)
    rejects: list[tuple[int, str, str]] = field(default_factory=list)  # (row, external id, reason), first ones
    seconds: float = 0.0

    @property
    def points_expected(self) -> int:
        """What the hub must hold for this source: the file less the rejected rows."""
        return self.points_in_file - self.points_rejected

    @property
    def balanced(self) -> bool:
        return self.points_expected == self.points_in_hub

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "file": self.file,
            "dry_run": self.dry_run,
            "rows_read": self.rows_read,
            "imported": self.imported,
            "already_imported": self.already,
            "rejected": self.rejected,
            "points_in_file": self.points_in_file,
            "points_rejected": self.points_rejected,
            "points_expected": self.points_expected,
            "points_imported": self.points_imported,
            "points_in_hub": self.points_in_hub,
            "balanced": self.balanced,
            "reasons": dict(self.reasons.most_common()),
            "seconds": round(self.seconds, 1),
        }

    def lines(self) -> list[str]:
        head = "DRY RUN (nothing kept)" if self.dry_run else "IMPORT"
        out = [
            f"{head}: {self.file} from {self.source}",
            f"  rows read:        {self.rows_read:>12,}",
            f"  imported:         {self.imported:>12,}",
            f"  already imported: {self.already:>12,}",
            f"  rejected:         {self.rejected:>12,}",
            f"  points in file:   {self.points_in_file:>12,}",
            f"  points rejected:  {self.points_rejected:>12,}",
            f"  points expected:  {self.points_expected:>12,}  (file - rejected)",
            f"  points in hub:    {self.points_in_hub:>12,}  (ledger, this source)",
            "  totals " + ("EQUAL" if self.balanced else "DIFFER: see above"),
        ]
        for reason, n in self.reasons.most_common():
            out.append(f"  rejected {n:>8,} x {reason}")
        for row, ext, reason in self.rejects:
            out.append(f"  ! row {row} (id {ext or '-'}): {reason}")
        if self.rejected > len(self.rejects):
            out.append(f"  … {self.rejected - len(self.rejects):,} more rejected rows (use --rejects FILE)")
        return out


class _Rollback(Exception):
    pass


def _stores(db: HubDB) -> dict[str, str]:
    """Store ids by id, name and lowercased name."""
    out: dict[str, str] = {}
    with db.read() as conn:
        for sid, name in conn.execute(select(schema.stores.c.id, schema.stores.c.name)):
            out[sid] = sid
            out[name] = sid
            out[name.lower()] = sid
    return out


def _chunks(it: Iterable, n: int) -> Iterator[list]:
    it = iter(it)
    while chunk := list(itertools.islice(it, n)):
        yield chunk


def _in(n: int) -> str:
    return ", ".join("?" * n)


def _points_in_hub(conn: Any, source: str) -> int:
    ref = f"import:{source}"
    if conn.dialect.name == "sqlite":
        q = (
            "SELECT COALESCE(SUM(json_extract(l.data, '$.points')), 0) FROM member_imports m"
            " JOIN ledger l ON l.client_id = m.client_id"
            " WHERE m.source = ? AND json_extract(l.data, '$.ref_id') = ?"
        )
    else:
        q = (
            "SELECT COALESCE(SUM((l.data::jsonb ->> 'points')::bigint), 0) FROM member_imports m"
            " JOIN ledger l ON l.client_id = m.client_id"
            " WHERE m.source = ? AND l.data::jsonb ->> 'ref_id' = ?"
        )
    return int(sql(conn, q, (source, ref)).fetchone()[0])


def figures_of(
    client_id: str, entries: list[rules.LedgerEntry], tier: str | None, now: dt.datetime, memo: dict
) -> tuple[dict, dict]:
    """(client figures, account entity) of a member with these buckets and no receipts.

    The summary is the hub's own (loyalty_service.account); members with the same buckets
    (points, dates) and tier share it, so a million members cost a few thousand summaries.
    Her birthday is left out: the account shows no birthday figure today."""
    floor = loyalty_service.floor_of(tier, now)
    key = (floor, *((e.points, e.available_at, e.expires_at) for e in entries))
    found = memo.get(key)
    if found is None:
        # Bounded: an entry (an account summary) is a few KB of Python objects; at 200,000
        # entries the million-member import's RSS passed 1 GB (measured), at 20,000 it stays
        # near the dry run's.
        if len(memo) > 20_000:
            memo.clear()
        # The other system's tier is a floor for one tier window (the rule: rules.summary)
        found = memo[key] = loyalty_service.account(client_id, entries, [], now, floor=floor)
    figures, account = dict(found[0]), {**found[1], "id": client_id, "client_id": client_id}
    return figures, account


def _write_batch(
    conn: Any,
    batch: list[tuple[int, Member]],
    mapping: Mapping,
    run_id: str,
    rep: Report,
    publish: bool,
    now: dt.datetime,
    reject: Any,
    memo: dict,
) -> None:
    """Skip the members imported before, reject cards another client holds, insert the rest."""
    ids = [m.external_id for _, m in batch]
    known = {
        r[0]: r[1]
        for r in sql(
            conn,
            f"SELECT external_id, row FROM member_imports WHERE source = ? AND external_id IN ({_in(len(ids))})",
            [mapping.source, *ids],
        )
    }
    cards = [m.client["card_number"] for _, m in batch if m.client.get("card_number")]
    taken = (
        {r[0] for r in sql(conn, f"SELECT card_number FROM clients WHERE card_number IN ({_in(len(cards))})", cards)}
        if cards
        else set()
    )
    fresh: list[tuple[int, Member]] = []
    seen: set[str] = set()
    seen_cards: set[str] = set()
    for n, m in batch:
        card = m.client.get("card_number")
        if known.get(m.external_id) == n:  # this very row went in before
            rep.already += 1
            continue
        if m.external_id in seen or m.external_id in known:
            reject(n, m.external_id, "external id repeated in the file", m.points)
            continue
        if card and (card in taken or card in seen_cards):
            reject(n, m.external_id, "card number already belongs to another client", m.points)
            continue
        seen.add(m.external_id)
        if card:
            seen_cards.add(card)
        fresh.append((n, m))
    if not fresh:
        return
    client_rows, ledger_rows, consent_rows, map_rows, items, due_rows = [], [], [], [], [], []
    for n, m in fresh:
        c = m.client
        ordered = sorted(m.entries, key=lambda e: (e.at, e.id))
        account: dict = {}
        if publish:  # a dry run keeps nothing and shows no device anything: no figures needed
            figures, account = figures_of(c["id"], ordered, m.tier, now, memo)
            c.update(figures)
            # The job republishes her when time alone changes her figures (an expiry, her
            # tier floor lapsing, a birthday).
            when = rules.next_change(
                loyalty_service.program(),
                ordered,
                [],
                now,
                loyalty_service.member(c),
                tier_floor=loyalty_service.floor_of(m.tier, now),
            )
            due = loyalty_service.due_row(c["id"], when)
            if due is not None:
                due_rows.append((due["client_id"], due["due_at"]))
        client_rows.append((c["id"], c["store_id"], c.get("phone"), c.get("card_number"), feed.dumps(c)))
        ledger_rows += [
            (r["id"], r["client_id"], r["data"], r["expires_at"]) for r in loyalty_service.ledger_rows(c["id"], ordered)
        ]
        for purpose, granted in m.consents.items():
            consent_rows.append(
                (
                    str(uuid.uuid5(NS, f"{mapping.source}|{m.external_id}|consent|{purpose}")),
                    c["id"],
                    c["store_id"],
                    purpose,
                    granted,
                    mapping.consent_text_version,
                    "import",
                    "import",
                    f"import:{mapping.source}"[:100],
                    run_id,
                    now.isoformat(),
                )
            )
        map_rows.append((mapping.source, m.external_id, c["id"], run_id, n, m.points, m.tier))
        rep.imported += 1
        rep.points_imported += m.points
        if publish:
            items.append(("client", c["id"], c["store_id"], c, False))
            items.append(("account", c["id"], c["store_id"], account, False))
            items += [("ledger", e.id, c["store_id"], e.model_dump(mode="json"), False) for e in ordered]
    _many(conn, "INSERT INTO clients (id, store_id, phone, card_number, data) VALUES (?, ?, ?, ?, ?)", client_rows)
    _many(conn, "INSERT INTO ledger (id, client_id, data, expires_at) VALUES (?, ?, ?, ?)", ledger_rows)
    _many(
        conn,
        "INSERT INTO consents (id, client_id, store_id, purpose, granted, text_version, source, account_id,"
        " device_id, mutation_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        consent_rows,
    )
    _many(
        conn,
        "INSERT INTO member_imports (source, external_id, client_id, run_id, row, points, tier)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        map_rows,
    )
    _many(conn, "INSERT INTO loyalty_due (client_id, due_at) VALUES (?, ?)", due_rows)
    if items:
        feed.publish_many(conn, items)


def _many(conn: Any, statement: str, rows: list[tuple]) -> None:
    """A multi-row INSERT (one statement per 500 rows: far fewer round trips than
    executemany on PostgreSQL, and within SQLite's 32,766 parameters)."""
    if not rows:
        return
    width = len(rows[0])
    head, _, _ = statement.partition(" VALUES ")
    one = "(" + ", ".join("?" * width) + ")"
    for k in range(0, len(rows), 500):
        part = rows[k : k + 500]
        sql(conn, f"{head} VALUES {', '.join([one] * len(part))}", [v for r in part for v in r])


def run(
    db: HubDB,
    path: Path,
    mapping: Mapping,
    *,
    dry_run: bool = False,
    rejects_to: TextIO | None = None,
    keep_rejects: int = 50,
    now: dt.datetime | None = None,
) -> Report:
    """Import (or, `dry_run`, try and roll back) the members of `path`."""
    import time

    t0 = time.monotonic()
    now = now or utcnow()
    prog = loyalty_service.program()
    stores = _stores(db)
    rep = Report(source=mapping.source, file=str(path), dry_run=dry_run)
    run_id = new_id()
    memo: dict = {}
    out = csv.writer(rejects_to) if rejects_to is not None else None
    if out is not None:
        out.writerow(["row", "external_id", "reason"])

    def reject(n: int, ext: str, reason: str, pts: int) -> None:
        rep.rejected += 1
        rep.points_rejected += pts
        rep.reasons[reason] += 1
        if len(rep.rejects) < keep_rejects:
            rep.rejects.append((n, ext, reason))
        if out is not None:
            out.writerow([n, ext, reason])

    def parsed() -> Iterator[tuple[int, Member]]:
        for n, row in enumerate(read_rows(path, mapping), start=2):  # row 1 is the header
            if n == 2:
                absent = sorted(c for c in (*mapping.columns.values(), *mapping.consents.values()) if c not in row)
                if absent:
                    raise MappingError(f"{path}: the export has no column(s) {', '.join(absent)}")
            rep.rows_read += 1
            pts = 0
            try:  # the row's points count in the file's total even when the row is rejected
                for name in ("points", "pending_points"):
                    if name in mapping.columns:
                        pts += _points(row.get(mapping.columns[name]), name)
            except Reject:
                pts = 0
            rep.points_in_file += pts
            try:
                yield n, member(row, mapping, prog, stores, now)
            except Reject as e:
                reject(n, _text(row.get(mapping.columns["external_id"]))[:100], str(e), pts)

    batches = _chunks(parsed(), BATCH)
    if dry_run:
        try:
            with db.write() as conn:  # one transaction, rolled back: later batches see earlier ones
                for batch in batches:
                    _write_batch(conn, batch, mapping, run_id, rep, False, now, reject, memo)
                rep.points_in_hub = _points_in_hub(conn, mapping.source)
                raise _Rollback
        except _Rollback:
            pass
    else:
        with db.write() as conn:
            sql(
                conn,
                "INSERT INTO import_runs (id, source, file, started_at) VALUES (?, ?, ?, ?)",
                (run_id, mapping.source, str(path), now.isoformat()),
            )
        for batch in batches:
            with db.write() as conn:
                _write_batch(conn, batch, mapping, run_id, rep, True, now, reject, memo)
        with db.read() as conn:
            rep.points_in_hub = _points_in_hub(conn, mapping.source)
        rep.seconds = time.monotonic() - t0
        with db.write() as conn:
            sql(
                conn,
                "UPDATE import_runs SET finished_at = ?, report = ? WHERE id = ?",
                (utcnow().isoformat(), json.dumps(rep.as_dict(), ensure_ascii=False), run_id),
            )
    rep.seconds = time.monotonic() - t0
    return rep


def main(db: HubDB, file: str, mapping_file: str, dry_run: bool, rejects: str | None) -> int:
    """The CLI: 0 when every row went in and the totals are equal, 1 with rejected rows
    (the report says which), 2 when the totals differ or the mapping cannot be used."""
    import sys

    db.migrate()
    try:
        mapping = load_mapping(Path(mapping_file))
        if rejects:
            with open(rejects, "w", encoding="utf-8", newline="") as out:
                rep = run(db, Path(file), mapping, dry_run=dry_run, rejects_to=out)
        else:
            rep = run(db, Path(file), mapping, dry_run=dry_run)
    except (MappingError, OSError) as e:
        print(f"import-members: {e}", file=sys.stderr)
        return 2
    print("\n".join(rep.lines()))
    if not rep.balanced:
        return 2
    return 1 if rep.rejected else 0
