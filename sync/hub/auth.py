"""Accounts and who may do what: argon2 password hashes (pwdlib), opaque bearer tokens, roles.

Only a token's SHA-256 is stored, so a copy of the database does not hand out sessions.
Every account belongs to one store; what each role may do is written once, below, and
the API and the mutation handlers ask these sets (rule 10: the device is trusted for none
of it).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

from pwdlib import PasswordHash
from sqlalchemy import Connection, insert, select

from sync.hub.storage import schema
from sync.models import utcnow

# --- roles ----------------------------------------------------------------------------------

CONSULTANT, MANAGER, TILL, ADMIN = "consultant", "manager", "till", "admin"
ROLES = (CONSULTANT, MANAGER, TILL, ADMIN)

STORE_STAFF = frozenset({CONSULTANT, MANAGER})
"""Work with their store's clients: pull the store's feed, send mutations for its clients,
read and upload the store's blobs (signatures, signed forms)."""
RECEIPT_SENDERS = frozenset({TILL, MANAGER})
"""Post till receipts, for their own store only (a manager may post a correction by hand)."""
REPORT_READERS = frozenset({MANAGER, ADMIN})
"""Read the reports: a manager its own store's, an admin every store's."""
ALL_STORES = frozenset({ADMIN})
"""Roles whose reports span every store. An admin manages accounts; it reads no client
data (no feed, no blobs) and writes none."""
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

    def may(self, roles: frozenset[str]) -> bool:
        return self.role in roles


def hash_password(password: str) -> str:
    return hasher.hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password(conn: Connection, login_: str, password: str) -> tuple[Account, str] | None:
    """(account, store name) when the password matches, else None. Only reads: argon2 takes
    a few hundred ms of purpose, which must not be spent inside a write transaction (on
    SQLite that held the hub's one write lock, and every writer waited)."""
    accounts, stores = schema.accounts, schema.stores
    row = conn.execute(
        select(accounts, stores.c.name.label("store_name"))
        .join(stores, stores.c.id == accounts.c.store_id)
        .where(accounts.c.login == login_.strip().lower())
    ).first()
    if row is None:
        hasher.verify(password, _DUMMY_HASH)
        return None
    if not hasher.verify(password, row.password_hash):
        return None
    return Account(row.id, row.store_id, row.login, row.name, row.role), row.store_name


def start_session(conn: Connection, account: Account) -> str:
    """A new bearer token for the account (write transaction)."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        insert(schema.sessions).values(
            token_hash=_token_hash(token), account_id=account.id, created_at=utcnow().isoformat()
        )
    )
    return token


def account_for_token(conn: Connection, token: str) -> Account | None:
    accounts, sessions = schema.accounts, schema.sessions
    row = conn.execute(
        select(accounts)
        .join(sessions, sessions.c.account_id == accounts.c.id)
        .where(sessions.c.token_hash == _token_hash(token))
    ).first()
    if row is None:
        return None
    return Account(row.id, row.store_id, row.login, row.name, row.role)


class SessionCache:
    """Tokens seen lately, so a busy tablet's every request does not read the sessions table.

    Per process and short-lived: a revoked token stops working within `ttl` seconds on
    every process, which keeps the API processes interchangeable.
    """

    def __init__(self, ttl: float = 30.0, size: int = 10_000):
        self.ttl, self.size = ttl, size
        self._items: dict[str, tuple[float, Account]] = {}
        self._lock = threading.Lock()

    def get(self, token: str) -> Account | None:
        key = _token_hash(token)
        with self._lock:
            found = self._items.get(key)
            if found is None or found[0] < time.monotonic():
                self._items.pop(key, None)
                return None
            return found[1]

    def put(self, token: str, account: Account) -> None:
        with self._lock:
            if len(self._items) >= self.size:
                self._items.clear()
            self._items[_token_hash(token)] = (time.monotonic() + self.ttl, account)
