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
SPEND = "json_extract(data, '$.spend_12m')"
CONSENT = "json_extract(data, '$.consents.processing.granted')"
GENDER = "json_extract(data, '$.gender')"

# Each index covers its rule's query (the names and id included), so a rule never reads a
# client's row: her JSON spans overflow pages, each decrypted on read (SQLCipher), and
# SQLite takes an indexed expression's value from the index instead of computing it.
INDEXES = {
    "clients_today_birthday": (
        f"CREATE INDEX clients_today_birthday ON clients(consultant_id, {BIRTHDAY_MD}, birthday,"
        " last_name, first_name, id)"
    ),
    "clients_today_visit": (
        f"CREATE INDEX clients_today_visit ON clients(consultant_id, last_visit, tier, {SPEND},"
        " last_name, first_name, id)"
    ),
    "clients_today_profile": (
        f"CREATE INDEX clients_today_profile ON clients(consultant_id, {CONSENT}, {GENDER}, email, birthday,"
        " last_name, first_name, id)"
    ),
    "clients_today_owner": "CREATE INDEX clients_today_owner ON clients(id, consultant_id, last_name, first_name)",
    "entities_today_expiry": (
        f"CREATE INDEX entities_today_expiry ON entities({FIRST_EXPIRY}, id) WHERE entity = 'account'"
    ),
}
BULK_DROPPED = tuple(INDEXES)
"""Set aside during a big pull like the other indexes (app.cache.bulk_load)."""


def create_indexes(db: Database) -> None:
    for ddl in INDEXES.values():
        db.execute(ddl)
