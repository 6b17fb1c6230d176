"""Login throttling: per account and per client address, kept in the hub's database.

In the database, not in memory: with several worker processes (or hosts) behind a
balancer, per-process counters would each allow the full number of tries. Every login
counts its try *before* the password is checked, in one write transaction with the
check for a lock, so a burst of parallel tries cannot slip past the limit while their
argon2 checks run; a right password then takes its try back.

- Account: after `account.failures` wrong passwords within `account.window` seconds the
  login is locked for `account.lock` seconds; even the right password is refused (429)
  until then. A right password clears the count. An unknown login is counted the same
  way, so the answers do not tell which logins exist.
- Address: after `address.failures` failed tries from one address within its window,
  that address is refused for `address.lock` seconds, whatever the login (password
  spraying across accounts). Successes do not count against it.

Behind a reverse proxy the address is the proxy's unless the server is told to trust
its X-Forwarded-For (uvicorn's --forwarded-allow-ips).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import Connection

from sync.hub.storage import sql


@dataclass(frozen=True)
class Limit:
    failures: int  # failed tries allowed in a window
    window: float  # seconds
    lock: float  # seconds locked once they are used up


@dataclass(frozen=True)
class LoginLimits:
    account: Limit = field(default_factory=lambda: Limit(failures=5, window=15 * 60, lock=15 * 60))
    address: Limit = field(default_factory=lambda: Limit(failures=100, window=15 * 60, lock=15 * 60))
    # argon2 at 64 MiB a check: at most this many run at once per process, the rest wait
    # (without holding a thread) - and past `queued_checks` waiting, a login is answered 503.
    concurrent_checks: int = 4
    queued_checks: int = 64


def keys(login: str, address: str, limits: LoginLimits) -> list[tuple[str, Limit]]:
    return [(f"account:{login.strip().lower()}"[:120], limits.account), (f"address:{address}"[:120], limits.address)]


def begin_attempt(conn: Connection, counted: list[tuple[str, Limit]], now: float) -> float | None:
    """Count a login try (write transaction). None: go on and check the password; else the
    seconds until the try may be made again (the try is refused, and not counted)."""
    rows = {key: _row(conn, key, now) for key, _ in counted}
    for key, _ in counted:
        locked_until = rows[key][2]
        if locked_until is not None and locked_until > now:
            return locked_until - now
    for key, limit in counted:
        failures, start, _ = rows[key]
        if start + limit.window <= now:
            failures, start = 0, now
        if failures >= limit.failures:  # the window's tries are used up (some may still be in flight)
            _lock(conn, key, now, limit)
            return limit.lock
        rows[key] = (failures, start, None)
    for key, limit in counted:
        failures, start, _ = rows[key]
        sql(
            conn,
            "UPDATE login_throttle SET failures = ?, window_start = ?, locked_until = NULL, expires = ? WHERE key = ?",
            (failures + 1, start, start + limit.window, key),
        )
    return None


def failed(conn: Connection, counted: list[tuple[str, Limit]], now: float) -> None:
    """The password was wrong (its try was counted by begin_attempt): lock what reached its
    limit, and drop rows nobody needs any more."""
    for key, limit in counted:
        failures, _, locked_until = _row(conn, key, now)
        if failures >= limit.failures and (locked_until is None or locked_until <= now):
            _lock(conn, key, now, limit)
    sql(conn, "DELETE FROM login_throttle WHERE expires < ?", (now,))


def succeeded(conn: Connection, counted: list[tuple[str, Limit]]) -> None:
    """The password was right: the account's count starts over; the address gets its try back."""
    (account, _), (address, _) = counted
    sql(conn, "DELETE FROM login_throttle WHERE key = ?", (account,))
    sql(conn, "UPDATE login_throttle SET failures = failures - 1 WHERE key = ? AND failures > 0", (address,))


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


def _row(conn: Connection, key: str, now: float) -> tuple[int, float, float | None]:
    """(failures, window start, locked until) of a key, its row locked until the commit
    (PostgreSQL; SQLite's write transaction holds the whole database)."""
    sql(
        conn,
        "INSERT INTO login_throttle (key, failures, window_start, locked_until, expires) "
        "VALUES (?, 0, ?, NULL, ?) ON CONFLICT (key) DO NOTHING",
        (key, now, now),
    )
    lock = "" if conn.dialect.name == "sqlite" else " FOR UPDATE"
    row = sql(
        conn, "SELECT failures, window_start, locked_until FROM login_throttle WHERE key = ?" + lock, (key,)
    ).fetchone()
    return int(row[0]), float(row[1]), None if row[2] is None else float(row[2])


def _lock(conn: Connection, key: str, now: float, limit: Limit) -> None:
    sql(
        conn,
        "UPDATE login_throttle SET failures = 0, window_start = ?, locked_until = ?, expires = ? WHERE key = ?",
        (now, now + limit.lock, now + max(limit.lock, limit.window), key),
    )
