"""Sessions and devices: short-lived access tokens, rotating refresh tokens, the device registry.

A login opens a session bound to one device. The device id is the hub's: issued at the
device's first login with a key (kept in the device's secret store) that lets a later login
on the same tablet keep the id, so its queued mutations stay exactly-once across logins.
Only SHA-256 hashes of tokens and keys are stored: a copy of the database hands out nothing.

- The access token lives `Lifetimes.access` seconds; the device renews it with the refresh
  token, which rotates on every use. A rotated (spent) refresh token presented again means
  it was copied: the whole session is revoked, the thief's and the device's tokens alike.
- Logout revokes the session; a revoked device has every session revoked, and each of its
  requests answers `DEVICE_REVOKED` so the app wipes itself.

Times are epoch seconds from the caller's clock (the API's `clock`), so tests can move them.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from sync.hub.auth import Account
from sync.hub.storage import schema, sql
from sync.models import new_id


@dataclass(frozen=True)
class Lifetimes:
    """Seconds an access token and a refresh token live (`serve --access-minutes`,
    `--refresh-days`, or VITRINE_ACCESS_MINUTES / VITRINE_REFRESH_DAYS)."""

    access: float = 15 * 60
    refresh: float = 30 * 24 * 3600

    @classmethod
    def of(cls, access_minutes: float, refresh_days: float) -> Lifetimes:
        return cls(access=access_minutes * 60, refresh=refresh_days * 24 * 3600)

    @classmethod
    def from_env(cls) -> Lifetimes:
        return cls.of(float(os.environ.get(ACCESS_ENV, "15")), float(os.environ.get(REFRESH_ENV, "30")))


ACCESS_ENV, REFRESH_ENV = "VITRINE_ACCESS_MINUTES", "VITRINE_REFRESH_DAYS"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Issued:
    access_token: str
    refresh_token: str
    expires_in: int
    device_id: str
    device_key: str | None = None  # only at login


class DeviceRevoked(Exception):
    """The device was revoked by a manager: it must wipe what it holds."""


class TokenExpired(Exception):
    """A known access token past its lifetime: the device renews it with its refresh token."""


class SessionEnded(Exception):
    """Unknown, logged out, revoked or expired beyond refresh: log in again."""

    def __init__(self, reused_by: str | None = None):
        self.reused_by = reused_by  # a spent refresh token came back: this session is revoked
        super().__init__("refresh token reused" if reused_by else "session ended")


# --- login -----------------------------------------------------------------------------------


def claimed_device(conn: Connection, account: Account, device_id: str | None, key: str | None) -> str | None:
    """The device id a login may keep: the one it names, when its key matches and the device
    is of the account's store. Revoked: DeviceRevoked (the tablet must wipe before anything
    else). Anything else (unknown id, wrong key, another store): None, a new device."""
    if not device_id or not key:
        return None
    d = schema.devices
    row = conn.execute(select(d.c.store_id, d.c.key_hash, d.c.revoked_at).where(d.c.id == device_id)).first()
    if row is None or not secrets.compare_digest(row.key_hash, _hash(key)) or row.store_id != account.store_id:
        return None
    if row.revoked_at is not None:
        raise DeviceRevoked()
    return device_id


def start(
    conn: Connection, account: Account, device_id: str | None, label: str | None, now: float, life: Lifetimes
) -> Issued:
    """A new session for `account` on `device_id` (None: a new device), in a write transaction.
    The device's key is issued anew at each login (only its hash is kept)."""
    d = schema.devices
    key = secrets.token_urlsafe(32)
    if device_id is None:
        device_id = new_id()
        conn.execute(
            insert(d).values(
                id=device_id,
                store_id=account.store_id,
                account_id=account.id,
                label=label,
                key_hash=_hash(key),
                created_at=now,
                last_seen=now,
            )
        )
    else:
        values: dict = {"account_id": account.id, "key_hash": _hash(key), "last_seen": now}
        if label:
            values["label"] = label
        conn.execute(update(d).where(d.c.id == device_id).values(**values))
    access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    conn.execute(
        insert(schema.sessions).values(
            id=new_id(),
            account_id=account.id,
            device_id=device_id,
            access_hash=_hash(access),
            access_expires=now + life.access,
            refresh_hash=_hash(refresh),
            refresh_expires=now + life.refresh,
            created_at=now,
        )
    )
    return Issued(access, refresh, int(life.access), device_id, key)


# --- using a session ------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    account: Account  # with its session and device
    expires: float  # when the access token stops working (epoch seconds)


def account_for_access(conn: Connection, token: str, now: float) -> Found:
    """The account behind an access token, or DeviceRevoked / TokenExpired / SessionEnded.
    A plain driver statement (storage.sql): it runs on every session-cache miss."""
    row = sql(
        conn,
        "SELECT a.id, a.store_id, a.login, a.name, a.role, st.brand_id, s.id, s.device_id, s.access_expires, "
        "s.revoked_at, d.revoked_at, a.disabled_at FROM sessions s JOIN accounts a ON a.id = s.account_id "
        "JOIN stores st ON st.id = a.store_id JOIN devices d ON d.id = s.device_id WHERE s.access_hash = ?",
        (_hash(token),),
    ).fetchone()
    if row is None:
        raise SessionEnded()
    (acc_id, store_id, login, name, role, brand_id, session_id, device_id, expires, revoked_at, device_revoked_at,
     disabled_at) = row  # fmt: skip
    if device_revoked_at is not None:
        raise DeviceRevoked()
    if revoked_at is not None or disabled_at is not None:
        raise SessionEnded()
    if expires <= now:
        raise TokenExpired()
    return Found(Account(acc_id, store_id, login, name, role, brand_id, session_id, device_id), expires)


def refresh(conn: Connection, token: str, now: float, life: Lifetimes) -> tuple[Issued, str]:
    """Rotate: a new access and refresh token for the session whose current refresh token this
    is (write transaction); also returns the access hash it replaces, for the caller's cache.
    A spent one revokes the session and raises SessionEnded naming it: the caller commits
    that revocation before passing the error on."""
    s, d, a = schema.sessions, schema.devices, schema.accounts
    h = _hash(token)
    row = conn.execute(
        select(
            s.c.id,
            s.c.device_id,
            s.c.access_hash,
            s.c.refresh_expires,
            s.c.revoked_at,
            d.c.revoked_at.label("dr"),
            a.c.disabled_at,
        )
        .join(d, d.c.id == s.c.device_id)
        .join(a, a.c.id == s.c.account_id)
        .where(s.c.refresh_hash == h)
    ).first()
    if row is None:
        spent = conn.execute(
            select(schema.spent_refresh_tokens.c.session_id).where(schema.spent_refresh_tokens.c.token_hash == h)
        ).first()
        if spent is None:
            raise SessionEnded()
        conn.execute(update(s).where(s.c.id == spent.session_id, s.c.revoked_at.is_(None)).values(revoked_at=now))
        raise SessionEnded(reused_by=spent.session_id)
    if row.dr is not None:
        raise DeviceRevoked()
    if row.revoked_at is not None or row.refresh_expires <= now or row.disabled_at is not None:
        raise SessionEnded()
    access, new_refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    conn.execute(insert(schema.spent_refresh_tokens).values(token_hash=h, session_id=row.id, spent_at=now))
    conn.execute(
        update(s)
        .where(s.c.id == row.id)
        .values(
            access_hash=_hash(access),
            access_expires=now + life.access,
            refresh_hash=_hash(new_refresh),
            refresh_expires=now + life.refresh,
        )
    )
    conn.execute(update(d).where(d.c.id == row.device_id).values(last_seen=now))
    return Issued(access, new_refresh, int(life.access), row.device_id), row.access_hash


def end(conn: Connection, session_id: str, now: float) -> None:
    """Logout: the session's access and refresh tokens stop working."""
    s = schema.sessions
    conn.execute(update(s).where(s.c.id == session_id, s.c.revoked_at.is_(None)).values(revoked_at=now))


def end_all(conn: Connection, account_id: str, now: float) -> int:
    """Every live session of an account ends (a password reset, a disabled account): how many."""
    s = schema.sessions
    done = conn.execute(update(s).where(s.c.account_id == account_id, s.c.revoked_at.is_(None)).values(revoked_at=now))
    return done.rowcount or 0


def purge(conn: Connection, now: float) -> int:
    """Drop sessions past their refresh lifetime (and their spent tokens): nothing can renew them."""
    s, spent = schema.sessions, schema.spent_refresh_tokens
    gone = select(s.c.id).where(s.c.refresh_expires <= now).scalar_subquery()
    conn.execute(spent.delete().where(spent.c.session_id.in_(gone)))
    return conn.execute(s.delete().where(s.c.refresh_expires <= now)).rowcount or 0


# --- the device registry ----------------------------------------------------------------------


def devices(conn: Connection, store_ids: Sequence[str]) -> list[dict]:
    """Devices of these stores, newest first, with who logged in last."""
    d, a = schema.devices, schema.accounts
    q = (
        select(d, a.c.name.label("account_name"))
        .join(a, a.c.id == d.c.account_id)
        .order_by(d.c.created_at.desc(), d.c.id)
    )
    return [dict(r._mapping) for r in conn.execute(q.where(d.c.store_id.in_(list(store_ids))))]


def revoke_device(conn: Connection, device_id: str, store_ids: Sequence[str], now: float) -> bool:
    """Revoke a device of one of `store_ids` and every session on it. False when no such
    device is there for the caller (unknown and another store's answer alike)."""
    d, s = schema.devices, schema.sessions
    row = conn.execute(select(d.c.revoked_at).where(d.c.id == device_id, d.c.store_id.in_(list(store_ids)))).first()
    if row is None:
        return False
    if row.revoked_at is None:
        conn.execute(update(d).where(d.c.id == device_id).values(revoked_at=now))
    conn.execute(update(s).where(s.c.device_id == device_id, s.c.revoked_at.is_(None)).values(revoked_at=now))
    return True


# --- the per-process cache ----------------------------------------------------------------------


class SessionCache:
    """Access tokens seen lately, so a busy tablet's every request does not read the sessions table.

    Per process. What this process ends (logout, refresh, a device revoked) leaves the cache at
    once; what another process ends stops working here within `ttl` seconds (10 by default:
    the window in which a token revoked elsewhere still passes). An entry never outlives its
    token's own expiry.
    """

    def __init__(self, ttl: float = 10.0, size: int = 10_000, clock: Callable[[], float] = time.time):
        self.ttl, self.size, self._clock = ttl, size, clock
        self._items: dict[str, tuple[float, Account]] = {}
        self._lock = threading.Lock()

    def get(self, token: str) -> Account | None:
        key = _hash(token)
        with self._lock:
            found = self._items.get(key)
            if found is None or found[0] <= self._clock():
                self._items.pop(key, None)
                return None
            return found[1]

    def put(self, token: str, found: Found) -> None:
        with self._lock:
            if len(self._items) >= self.size:
                self._items.clear()
            self._items[_hash(token)] = (min(self._clock() + self.ttl, found.expires), found.account)

    def forget_hash(self, token_hash: str) -> None:
        with self._lock:
            self._items.pop(token_hash, None)

    def forget(self, *, session_id: str | None = None, device_id: str | None = None) -> None:
        with self._lock:
            for key, (_, acc) in list(self._items.items()):
                if (session_id and acc.session_id == session_id) or (device_id and acc.device_id == device_id):
                    del self._items[key]
