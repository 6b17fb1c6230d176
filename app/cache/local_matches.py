"""Clients on this device a registration being typed may be (same phone, e-mail, or name + birthday).

Read while the consultant types, so each is one indexed lookup or a short scan of namesakes.
The brand-wide lookup on the hub is the duplicates work's (app.state.duplicates).
"""

from __future__ import annotations

from sqlite_utils import Database

from app.cache.queries import LIST_COLUMNS, ClientRow


def _rows(db: Database, where: str, args: list, exclude: str | None) -> list[ClientRow]:
    sql = f"SELECT {LIST_COLUMNS} FROM clients WHERE {where} AND id != ? LIMIT 5"
    return [ClientRow(*r) for r in db.execute(sql, [*args, exclude or ""]).fetchall()]


def matches(
    db: Database,
    phone: str | None,
    email: str | None,
    names: tuple[str, str] | None,
    birthday: str | None,
    exclude: str | None = None,
) -> list[tuple[str, ClientRow]]:
    """(what matched: phone | email | name_birthday, the client), each client once, phone first."""
    found: list[tuple[str, ClientRow]] = []
    seen: set[str] = set()

    def add(why: str, rows: list[ClientRow]) -> None:
        for r in rows:
            if r.id not in seen:
                seen.add(r.id)
                found.append((why, r))

    if phone:
        add("phone", _rows(db, "phone = ?", [phone], exclude))
    if email:
        add("email", _rows(db, "email = ?", [email.lower()], exclude))
    if names and birthday and all(names):
        # SQLite's lower() folds ASCII only: Cyrillic names are compared here.
        last, first = names[0].strip().casefold(), names[1].strip().casefold()
        sql = f"SELECT {LIST_COLUMNS} FROM clients WHERE birthday = ? AND id != ?"
        same = [ClientRow(*r) for r in db.execute(sql, [birthday, exclude or ""]).fetchall()]
        add("name_birthday", [r for r in same if (r.last_name.casefold(), r.first_name.casefold()) == (last, first)])
    return found
