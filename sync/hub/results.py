"""What the work brought (GET /v1/reports/results), per consultant over a period [start, end).

The identified-receipt figures are sync.hub.reports' (registrations, consents recorded and
signed, receipts linked, her share of identified receipts); to them this adds the contacts
she made (contact_log, by channel) and the purchases attributed to them: a sale of the
contacted client within the brand's attribution window after the contact, to the latest
contact before it (sync.rules.attribution). Visits are contacts made, not outreach: they
are not attributed a purchase (she was already in the boutique).

Contacts of the period may bring purchases after it (up to the window), and a purchase in
the period may be owed to a later contact than one of the period, so both are read with
the window's margin on either side.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from sync.hub import reports
from sync.hub.storage import sql
from sync.rules.attribution import Purchase, Touch, attribute

SALE = 1
OUTREACH_CHANNELS = ("sms", "email", "messengers", "calls")
KEY = "%Y-%m-%dT%H:%M:%S"
CHUNK = 500


def _time(key: str) -> dt.datetime:
    return dt.datetime.strptime(key[:19], KEY).replace(tzinfo=dt.UTC)


def _key(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime(KEY)


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def _chunks(items: Sequence[str]) -> list[Sequence[str]]:
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


def results(
    conn: Connection, store_ids: list[str], start: str, end: str, window_days: int, consultant_id: str | None = None
) -> dict[str, Any]:
    """Per consultant of `store_ids` (only `consultant_id` when given), and the totals."""
    ident = reports.identified(conn, store_ids, start, end)
    people = {
        p["consultant_id"]: p
        for p in ident["consultants"]
        if consultant_id is None or p["consultant_id"] == consultant_id
    }
    rows: dict[str, dict[str, Any]] = {
        aid: {
            "consultant_id": aid,
            "consultant": p["consultant"],
            "store_id": p["store_id"],
            "registrations": p["registrations"],
            "consents_recorded": p["consents_recorded"],
            "consents_signed": p["consents_signed"],
            "linked": p["linked"],
            "served": p["net_served"],
            "identified": p["net_identified"],
            "share": p["share"],
            "contacts": 0,
            "contacts_by_channel": {},
            "attributed_purchases": 0,
            "attributed_amount": 0,
        }
        for aid, p in people.items()
    }
    ids = list(rows)
    window = dt.timedelta(days=window_days)
    if ids:
        by_channel: dict[str, dict[str, int]] = defaultdict(dict)
        for chunk in _chunks(ids):
            for aid, channel, n in sql(
                conn,
                "SELECT author_id, channel, COUNT(*) FROM contact_log"
                f" WHERE author_id IN ({_marks(len(chunk))}) AND at >= ? AND at < ? GROUP BY author_id, channel",
                [*chunk, start, end],
            ).fetchall():
                by_channel[aid][channel] = n
        for aid, counts in by_channel.items():
            rows[aid]["contacts_by_channel"] = dict(sorted(counts.items()))
            rows[aid]["contacts"] = sum(counts.values())
        _attribute(conn, rows, start, end, window)
    listed = sorted(rows.values(), key=lambda r: (r["store_id"], r["consultant"] or ""))
    return {"attribution_days": window_days, "consultants": listed, "totals": _totals(listed)}


def _attribute(conn: Connection, rows: dict[str, dict[str, Any]], start: str, end: str, window: dt.timedelta) -> None:
    """Each row's attributed purchases: those whose contact (the latest before them, whoever
    made it) is one of hers in the period."""
    lo, hi = _key(_time(start) - window), _key(_time(end) + window)
    outreach = _marks(len(OUTREACH_CHANNELS))
    clients: set[str] = set()
    for chunk in _chunks(list(rows)):
        clients.update(
            r[0]
            for r in sql(
                conn,
                f"SELECT DISTINCT client_id FROM contact_log WHERE author_id IN ({_marks(len(chunk))})"
                f" AND at >= ? AND at < ? AND channel IN ({outreach})",
                [*chunk, start, end, *OUTREACH_CHANNELS],
            ).fetchall()
        )
    touches: list[Touch] = []
    purchases: list[Purchase] = []
    for chunk in _chunks(sorted(clients)):
        marks = _marks(len(chunk))
        touches += [
            Touch(cid, client, _time(at), author)
            for cid, client, at, author in sql(
                conn,
                f"SELECT id, client_id, at, author_id FROM contact_log WHERE client_id IN ({marks})"
                f" AND at >= ? AND at < ? AND channel IN ({outreach})",
                [*chunk, lo, hi, *OUTREACH_CHANNELS],
            ).fetchall()
        ]
        purchases += [
            Purchase(rid, client, _time(at), int(json.loads(data).get("total") or 0))
            for rid, client, at, data in sql(
                conn,
                f"SELECT id, client_id, at, data FROM receipts WHERE client_id IN ({marks})"
                " AND kind = ? AND at >= ? AND at < ?",
                [*chunk, SALE, start, hi],
            ).fetchall()
        ]
    period = (_time(start), _time(end))
    amounts = {p.id: p.amount for p in purchases}
    for pid, touch in attribute(touches, purchases, window).items():
        row = rows.get(touch.author_id or "")
        if row is None or not period[0] <= touch.at < period[1]:
            continue  # owed to someone else's contact, or to one outside the period
        row["attributed_purchases"] += 1
        row["attributed_amount"] += amounts[pid]


def _totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    keys = (
        "registrations",
        "consents_recorded",
        "consents_signed",
        "linked",
        "served",
        "identified",
        "contacts",
        "attributed_purchases",
        "attributed_amount",
    )
    out: dict[str, Any] = {k: sum(r[k] for r in rows) for k in keys}
    out["share"] = round(out["identified"] / out["served"], 4) if out["served"] > 0 else 0.0
    channels: dict[str, int] = defaultdict(int)
    for r in rows:
        for ch, n in r["contacts_by_channel"].items():
            channels[ch] += n
    out["contacts_by_channel"] = dict(sorted(channels.items()))
    return out
