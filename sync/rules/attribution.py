"""Which contact a purchase is owed to (the "what it brought" figures, sync.hub.results).

A purchase is attributed to at most one contact: the latest contact with the same client at
or before the purchase, when the purchase falls within `window` of it (both ends included:
a purchase exactly N days after the contact still counts, one second later does not). A
contact may bring several purchases; a purchase never counts twice, however many contacts
came before it. The window is a brand setting (default DEFAULT_WINDOW_DAYS).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_WINDOW_DAYS = 14
MAX_WINDOW_DAYS = 180


@dataclass(frozen=True, slots=True)
class Touch:
    """A contact made: with whom, when (aware), by whom."""

    id: str
    client_id: str
    at: dt.datetime
    author_id: str | None = None


@dataclass(frozen=True, slots=True)
class Purchase:
    id: str
    client_id: str
    at: dt.datetime
    amount: int = 0  # kopecks


def attribute(touches: Iterable[Touch], purchases: Iterable[Purchase], window: dt.timedelta) -> dict[str, Touch]:
    """Purchase id -> the contact it is attributed to (purchases with none are absent)."""
    by_client: dict[str, list[Touch]] = defaultdict(list)
    for t in touches:
        by_client[t.client_id].append(t)
    for mine in by_client.values():
        mine.sort(key=lambda t: (t.at, t.id))
    keys = {c: [t.at for t in mine] for c, mine in by_client.items()}
    out: dict[str, Touch] = {}
    for p in purchases:
        hers = by_client.get(p.client_id)
        if not hers:
            continue
        i = bisect.bisect_right(keys[p.client_id], p.at)  # contacts at or before the purchase
        if i and p.at - hers[i - 1].at <= window:
            out[p.id] = hers[i - 1]
    return out
