"""Indexes Today's rules read (app.cache.today), so a 100,000-client store answers each rule
from a few index ranges instead of reading every client's JSON.

- clients by consultant and birthday month-day ("MM-DD"): the birthdays of the next days;
- clients by consultant and last visit: purchase follow-ups and top clients not seen;
- accounts by their soonest expiry (the hub lists expiring points soonest first).
The expressions here must be written the same way in the queries for SQLite to use them.
"""

from __future__ import annotations

from sqlite_utils import Database

BIRTHDAY_MD = "substr(birthday, 6, 5)"
FIRST_EXPIRY = "json_extract(data, '$.expiring[0].at')"

INDEXES = {
    "clients_today_birthday": f"CREATE INDEX clients_today_birthday ON clients(consultant_id, {BIRTHDAY_MD})",
    "clients_today_visit": "CREATE INDEX clients_today_visit ON clients(consultant_id, last_visit)",
    "entities_today_expiry": (
        f"CREATE INDEX entities_today_expiry ON entities({FIRST_EXPIRY}) WHERE entity = 'account'"
    ),
}
BULK_DROPPED = tuple(INDEXES)
"""Set aside during a big pull like the other indexes (app.cache.bulk_load)."""


def create_indexes(db: Database) -> None:
    for ddl in INDEXES.values():
        db.execute(ddl)
