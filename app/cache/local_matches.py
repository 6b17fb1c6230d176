"""Clients on this device a registration being typed may be (same phone, e-mail, or name + birthday).

Read while the consultant types, so each is one indexed lookup. One query for the register
screen's own list and the duplicates check (app.state.duplicates), which adds the brand's.
"""

from __future__ import annotations

from sqlite_utils import Database

from app.cache.queries import ClientRow, client_by_phone, clients_by_email, clients_by_name_birthday


def matches(
    db: Database,
    phone: str | None,
    email: str | None,
    names: tuple[str, str] | None,
    birthday: str | None,
    exclude: str | None = None,
) -> list[tuple[ClientRow, tuple[str, ...]]]:
    """Each client once with what matched (phone | email | name_birthday), phone matches first."""
    found: dict[str, tuple[ClientRow, list[str]]] = {}

    def add(rows: list[ClientRow], why: str) -> None:
        for r in rows:
            if r.id != exclude:
                found.setdefault(r.id, (r, []))[1].append(why)

    if phone:
        hit = client_by_phone(db, phone)
        add([hit] if hit else [], "phone")
    if email:
        add(clients_by_email(db, email), "email")
    if names and birthday and all(names):
        add(clients_by_name_birthday(db, names[0], names[1], birthday), "name_birthday")
    return [(r, tuple(why)) for r, why in found.values()]
