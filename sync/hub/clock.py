"""The hub's idea of "now" for loyalty figures, with a test/demo offset.

Every loyalty decision that depends on time (what is pending, expired, due; which tier)
reads `now()`. A browser test or a demo needs the hub some days ahead of the machine's
clock ("her points unlocked yesterday") without waiting: `VITRINE_HUB_CLOCK_OFFSET_DAYS`
shifts it, and is honoured only when `VITRINE_HUB_TEST_CLOCK=1` is set in the hub's
environment as well (a production hub never sets it). Nothing in the API can change it:
it is read from the process environment only.
"""

from __future__ import annotations

import datetime as dt
import logging
import os

from sync.models import utcnow

OFFSET_ENV = "VITRINE_HUB_CLOCK_OFFSET_DAYS"
ENABLE_ENV = "VITRINE_HUB_TEST_CLOCK"
_warned: list[bool] = []  # the ignored offset is said once, not on every reading of the clock


def offset() -> dt.timedelta:
    """The configured offset; zero unless the test clock is enabled."""
    raw = os.environ.get(OFFSET_ENV)
    if not raw:
        return dt.timedelta(0)
    if os.environ.get(ENABLE_ENV) != "1":
        if not _warned:
            _warned.append(True)
            logging.getLogger("vitrine.hub").warning(
                "%s is ignored: it needs %s=1 (tests, demos)", OFFSET_ENV, ENABLE_ENV
            )
        return dt.timedelta(0)
    return dt.timedelta(days=float(raw))


def now() -> dt.datetime:
    """The hub's time (UTC, aware): the machine's clock plus the test offset."""
    return utcnow() + offset()
