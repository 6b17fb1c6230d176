"""The loyalty figures a profile shows, never ones the app knows are past.

The hub owns the figures and republishes them when time changes them (sync.hub.schedule),
but a device may be offline, or not have pulled yet: a pending amount whose unlock date
has passed is then shown as available "as of" the hub's time, until the hub's own
account confirms it. The hub's time is estimated as the later of this device's clock and
the account's `as_of` (a device whose clock is behind the hub's still moves forward).
Pure: no cache, no widgets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.cache.queries import Account, PointsOn


@dataclass(frozen=True, slots=True)
class Figures:
    balance: int
    pending: tuple[PointsOn, ...]
    """Still locked at `as_of`, soonest first."""
    unlocked: int = 0
    """Points the hub lists as pending whose date has passed: counted in `balance`, to be
    confirmed by the hub."""
    expiring: tuple[PointsOn, ...] = ()
    """Available points still to expire after `as_of`."""
    expired: int = 0
    """Points the hub lists as expiring whose date has passed: left out of `balance`."""
    as_of: dt.datetime | None = None
    """The hub's time the figures are worked out for (set when the hub's differ)."""

    @property
    def estimated(self) -> bool:
        return bool(self.unlocked or self.expired)


def _parse(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def hub_now(account: Account | None, device_now: dt.datetime) -> dt.datetime:
    """The hub's time as well as this device can tell."""
    as_of = _parse(account.as_of) if account else None
    return max(device_now, as_of) if as_of else device_now


def figures(account: Account | None, balance: int, device_now: dt.datetime) -> Figures:
    """The balance and pending points to show; `balance` is the hub's (or the client
    record's when there is no account yet)."""
    if account is None:
        return Figures(balance, ())
    now = hub_now(account, device_now)

    def split(items: tuple[PointsOn, ...]) -> tuple[int, tuple[PointsOn, ...]]:
        past = [p for p in items if (at := _parse(p.at)) is not None and at <= now]
        return sum(p.points for p in past), tuple(p for p in items if p not in past)

    unlocked, pending = split(account.pending)
    expired, expiring = split(account.expiring)
    shown = max(0, balance + unlocked - expired)
    return Figures(shown, pending, unlocked, expiring, expired, now if unlocked or expired else None)
