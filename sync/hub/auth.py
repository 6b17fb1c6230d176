"""Accounts and who may do what: argon2 password hashes (pwdlib), roles.

Sessions and their tokens are sync.hub.sessions'. Every account belongs to one store, and
through it to one brand; what each role may do is written once, below, and the API and the
mutation handlers ask these sets (rule 10: the device is trusted for none of it).
"""

from __future__ import annotations

from dataclasses import dataclass

from pwdlib import PasswordHash
from sqlalchemy import Connection, select

from sync.hub.storage import schema

# --- roles ----------------------------------------------------------------------------------

CONSULTANT, MANAGER, TILL, ADMIN = "consultant", "manager", "till", "admin"
ROLES = (CONSULTANT, MANAGER, TILL, ADMIN)

STORE_STAFF = frozenset({CONSULTANT, MANAGER})
"""Work with their store's clients: pull the store's feed, send mutations for its clients,
read and upload the store's blobs (signatures, signed forms)."""
RECEIPT_SENDERS = frozenset({TILL, MANAGER})
"""Post till receipts, for their own store only (a manager may post a correction by hand)."""
REPORT_READERS = frozenset({MANAGER, ADMIN})
"""Read the reports: a manager its own store's, an admin those of every store of its brand."""
DEVICE_MANAGERS = frozenset({MANAGER, ADMIN})
"""List and revoke devices: a manager its own store's, an admin those of its brand's stores."""
BRAND_WIDE = frozenset({ADMIN})
"""Roles whose reports and device registry span their brand's stores (never another brand's).
An admin manages accounts; it reads no client data (no feed, no blobs) and writes none."""
# A till is a machine with a password typed at a counter: it posts receipts and nothing
# else (no feed, no mutations, no blobs), so a stolen till password reaches no client book.

hasher = PasswordHash.recommended()
# Verified against when the login is unknown, so both cases take the same time.
_DUMMY_HASH = hasher.hash("not-a-password")


@dataclass(frozen=True)
class Account:
    id: str
    store_id: str
    login: str
    name: str
    role: str
    brand_id: str = ""  # its store's brand; "" (no brand) spans no store at all
    session_id: str | None = None  # the session and device the request came with (sync.hub.sessions)
    device_id: str | None = None

    def may(self, roles: frozenset[str]) -> bool:
        return self.role in roles


def _account(row) -> Account:
    """An account from a row of `accounts` joined with its store's `brand_id`."""
    return Account(row.id, row.store_id, row.login, row.name, row.role, row.brand_id)


def brand_stores(conn: Connection, brand_id: str) -> list[str]:
    """The ids of the brand's stores."""
    return list(conn.scalars(select(schema.stores.c.id).where(schema.stores.c.brand_id == brand_id)))


def hash_password(password: str) -> str:
    return hasher.hash(password)


def check_password(conn: Connection, login_: str, password: str) -> tuple[Account, str] | None:
    """(account, store name) when the password matches, else None. Only reads: argon2 takes
    a few hundred ms of purpose, which must not be spent inside a write transaction (on
    SQLite that held the hub's one write lock, and every writer waited)."""
    accounts, stores = schema.accounts, schema.stores
    row = conn.execute(
        select(accounts, stores.c.name.label("store_name"), stores.c.brand_id)
        .join(stores, stores.c.id == accounts.c.store_id)
        .where(accounts.c.login == login_.strip().lower())
    ).first()
    if row is None:
        hasher.verify(password, _DUMMY_HASH)
        return None
    # a disabled account's password is checked all the same: the answer takes the same time
    if not hasher.verify(password, row.password_hash) or row.disabled_at is not None:
        return None
    return _account(row), row.store_name
