"""Import till receipts from a 1C export (CSV, one row per receipt line).

Columns (header row required; `;` or `,` separated, UTF-8 with or without BOM):
    store, fn, i, fp, date, sum, type, sku, name, price, qty, sale, phone, card
`store` is a store id or name; `date` ISO or DD.MM.YYYY HH:MM[:SS]; `sum` and `price` in
roubles with `,` or `.` for kopecks; `sale` 1/0/да/нет; `phone`/`card` optional.
Rows of one receipt (same fn, i, fp) are grouped; each receipt goes through the same
ingestion as POST /v1/pos/receipts, so re-importing a file changes nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import select

from sync.hub import handlers
from sync.hub.storage import HubDB, schema
from sync.models import PosReceipt, ReceiptLine

MOSCOW = ZoneInfo("Europe/Moscow")
TRUE = {"1", "true", "да", "yes", "y", "д"}


@dataclass
class ImportReport:
    receipts: int = 0
    duplicates: int = 0
    identified: int = 0
    errors: list[str] = field(default_factory=list)


def _kopecks(text: str) -> int:
    try:
        return int((Decimal(text.replace(" ", "").replace(",", ".")) * 100).to_integral_value())
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None


def _when(text: str) -> datetime:
    text = text.strip()
    for fmt in ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=MOSCOW)
        except ValueError:
            pass
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=MOSCOW)


def parse(text: str, store_ids: dict[str, str]) -> tuple[list[PosReceipt], list[str]]:
    """Receipts from CSV text, and one readable error per bad row or receipt."""
    text = text.lstrip("\ufeff")
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=";,") if text.strip() else csv.excel
    rows = csv.DictReader(io.StringIO(text), dialect=dialect)
    grouped: dict[tuple[str, str, str], dict] = {}
    errors: list[str] = []
    for n, row in enumerate(rows, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        try:
            key = (row["fn"], row["i"], row["fp"])
            store = store_ids.get(row["store"]) or store_ids.get(row["store"].lower())
            if store is None:
                raise ValueError(f"unknown store {row['store']!r}")
            r = grouped.setdefault(
                key,
                {
                    "store_id": store,
                    "fn": row["fn"],
                    "i": row["i"],
                    "fp": row["fp"],
                    "at": _when(row["date"]),
                    "total": _kopecks(row["sum"]),
                    "type": int(row.get("type") or 1),
                    "lines": [],
                    "client_phone": row.get("phone") or None,
                    "client_card": row.get("card") or None,
                },
            )
            if row.get("sku"):
                r["lines"].append(
                    ReceiptLine(
                        sku=row["sku"],
                        name=row.get("name") or row["sku"],
                        price=_kopecks(row.get("price") or "0"),
                        qty=int(row.get("qty") or 1),
                        sale=(row.get("sale") or "").lower() in TRUE,
                    )
                )
        except (KeyError, ValueError, ValidationError) as e:
            errors.append(f"line {n}: {e}")
    out = []
    for key, r in grouped.items():
        try:
            out.append(PosReceipt(**r))
        except ValidationError as e:
            errors.append(f"receipt fn={key[0]} i={key[1]}: {e.errors()[0]['loc']} {e.errors()[0]['msg']}")
    return out, errors


def import_file(db: HubDB, path: Path) -> ImportReport:
    with db.read() as conn:
        store_ids = {}
        for sid, name in conn.execute(select(schema.stores.c.id, schema.stores.c.name)):
            store_ids[sid] = sid
            store_ids[name] = sid
            store_ids[name.lower()] = sid
    parsed, errors = parse(path.read_text(encoding="utf-8-sig"), store_ids)
    report = ImportReport(errors=errors)
    for r in parsed:
        with db.write() as conn:
            result = handlers.ingest_receipts(conn, [r])[0]
        report.receipts += 1
        report.duplicates += result["duplicate"]
        report.identified += result["client_id"] is not None
    return report
