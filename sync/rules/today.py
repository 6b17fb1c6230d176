"""Today's task rules: which clients a consultant should contact today, and why.

Pure functions of dates and a client's facts, so both ends (the device computing Today from
its cache, the hub checking a task outcome) apply the same rule and tests need no I/O.
The rules' switches and day counts are brand settings (`TaskSettings`, data kept by the hub
and published to each store's devices as the `task_rules` entity), never constants here;
`DEFAULT_RULES` is what a brand starts with.

Every day is the store's calendar day (`local_today` in the brand's time zone,
Europe/Moscow unless the brand says otherwise). A task is keyed by rule, client and
occasion (`task_key`: the birthday's year, the expiry date, the receipt, the diary entry,
the list), so done/snoozed/dismissed applies to that occasion only: next year's birthday
is a new task.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

BIRTHDAY = "birthday"
POINTS = "points_expiring"
PURCHASE = "purchase_follow_up"
DIARY = "diary_follow_up"
TOP = "top_not_seen"
PROFILE = "profile_incomplete"
LIST = "list"
RULES = (LIST, DIARY, BIRTHDAY, POINTS, PURCHASE, TOP, PROFILE)
"""Every rule, in the order Today shows their groups."""

DEFAULT_TZ = "Europe/Moscow"
DEFAULT_RULES: dict[str, tuple[bool, int]] = {
    BIRTHDAY: (True, 7),  # birthdays in the next 7 days (today included)
    POINTS: (True, 14),  # points expiring within 14 days
    PURCHASE: (True, 3),  # a call 3 days after a purchase
    DIARY: (True, 0),  # diary follow-ups due today or overdue (days: unused)
    TOP: (True, 60),  # top clients not seen for 60 days
    PROFILE: (True, 0),  # no signed processing consent, or an unfinished quick card
    LIST: (True, 0),  # a manager's campaign lists
}
DEFAULT_TOP_TIERS = ("Gold", "Platinum")
DEFAULT_TOP_SPEND = 30_000_000  # kopecks in 12 months: 300 000 ₽
PURCHASE_WINDOW = 7
"""A purchase follow-up stays on Today this many days after it falls due (then it is late news)."""
MAX_DAYS = 366

PROFILE_ANSWERS = ("email", "birthday", "gender")
"""What a quick card leaves for the questionnaire (the registration's QUESTIONNAIRE beyond
name and phone, which a quick card has)."""

OUTCOMES = ("done", "snoozed", "dismissed")
FINAL = frozenset({"done", "dismissed"})


class TaskRuleError(ValueError):
    """A setting or outcome that breaks a rule; `code` is the hub's rejection code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Rule:
    enabled: bool
    days: int


@dataclass(frozen=True, slots=True)
class TaskSettings:
    """A brand's Today: each rule on or off with its N, the top clients' bar, the time zone."""

    rules: Mapping[str, Rule] = field(default_factory=lambda: {k: Rule(*v) for k, v in DEFAULT_RULES.items()})
    tz: str = DEFAULT_TZ
    top_tiers: tuple[str, ...] = DEFAULT_TOP_TIERS
    top_spend: int = DEFAULT_TOP_SPEND

    def rule(self, name: str) -> Rule:
        return self.rules.get(name) or Rule(*DEFAULT_RULES[name])

    def on(self, name: str) -> bool:
        return self.rule(name).enabled

    def days(self, name: str) -> int:
        return self.rule(name).days

    def to_data(self) -> dict[str, Any]:
        return {
            "tz": self.tz,
            "top_tiers": list(self.top_tiers),
            "top_spend": self.top_spend,
            "rules": {k: {"enabled": self.rule(k).enabled, "days": self.rule(k).days} for k in RULES},
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | None) -> TaskSettings:
        """Settings as stored or published; what is missing or unreadable takes its default."""
        data = data or {}
        rules: dict[str, Rule] = {}
        given = data.get("rules") if isinstance(data.get("rules"), dict) else {}
        for k, (on, days) in DEFAULT_RULES.items():
            r = given.get(k) if isinstance(given, dict) else None
            r = r if isinstance(r, dict) else {}
            d = r.get("days", days)
            rules[k] = Rule(bool(r.get("enabled", on)), d if isinstance(d, int) and 0 <= d <= MAX_DAYS else days)
        tz = data.get("tz")
        tiers = data.get("top_tiers")
        spend = data.get("top_spend")
        return cls(
            rules=rules,
            tz=tz if isinstance(tz, str) and valid_tz(tz) else DEFAULT_TZ,
            top_tiers=tuple(str(x) for x in tiers) if isinstance(tiers, list) else DEFAULT_TOP_TIERS,
            top_spend=spend if isinstance(spend, int) and spend >= 0 else DEFAULT_TOP_SPEND,
        )

    def changed(self, rule: str, *, enabled: bool | None = None, days: int | None = None) -> TaskSettings:
        """These settings with one rule changed; TaskRuleError for an unknown rule or a bad N."""
        if rule not in DEFAULT_RULES:
            raise TaskRuleError("unknown_rule", f"Unknown rule '{rule}'; the rules are: {', '.join(RULES)}.")
        if days is not None and not 0 <= days <= MAX_DAYS:
            raise TaskRuleError("bad_days", f"The number of days must be between 0 and {MAX_DAYS}.")
        old = self.rule(rule)
        new = Rule(old.enabled if enabled is None else enabled, old.days if days is None else days)
        return TaskSettings({**self.rules, rule: new}, self.tz, self.top_tiers, self.top_spend)


def valid_tz(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_today(now: dt.datetime, tz: str = DEFAULT_TZ) -> dt.date:
    """The store's calendar day at the instant `now` (aware; a naive one is taken as UTC)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    return now.astimezone(ZoneInfo(tz if valid_tz(tz) else DEFAULT_TZ)).date()


# --- birthdays -------------------------------------------------------------------------------


def birthday_in(birthday: dt.date, year: int) -> dt.date:
    """Her birthday in `year`: 29 February is kept on 28 February in a common year."""
    if birthday.month == 2 and birthday.day == 29 and not _leap(year):
        return dt.date(year, 2, 28)
    return birthday.replace(year=year)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def next_birthday(birthday: dt.date, today: dt.date, days: int) -> dt.date | None:
    """Her birthday within [today, today + days] (across the year end too), else None."""
    for year in (today.year, today.year + 1):
        day = birthday_in(birthday, year)
        if today <= day <= today + dt.timedelta(days=days):
            return day
    return None


def birthday_keys(today: dt.date, days: int) -> list[str]:
    """The "MM-DD" of every birthday that falls in [today, today + days]: what the cache's
    month-day index is asked for. A 28 February in a common year brings 29 February too."""
    keys: list[str] = []
    for n in range(min(days, MAX_DAYS) + 1):
        d = today + dt.timedelta(days=n)
        keys.append(d.strftime("%m-%d"))
        if d.month == 2 and d.day == 28 and not _leap(d.year):
            keys.append("02-29")
    return list(dict.fromkeys(keys))


# --- points ----------------------------------------------------------------------------------


def expiring_soon(
    expiring: Iterable[tuple[int, str]], today: dt.date, days: int, tz: str
) -> tuple[int, dt.date] | None:
    """(points, day) of the soonest expiry whose store day lies in [today, today + days]; the
    points of that day summed. `expiring` is the hub's (points, ISO instant) list."""
    found: dict[dt.date, int] = {}
    for points, at in expiring:
        day = _day_of(at, tz)
        if day is not None and points > 0 and today <= day <= today + dt.timedelta(days=days):
            found[day] = found.get(day, 0) + points
    if not found:
        return None
    first = min(found)
    return found[first], first


def _day_of(at: str, tz: str) -> dt.date | None:
    try:
        t = dt.datetime.fromisoformat(at)
    except ValueError:
        return None
    return local_today(t, tz)


def expiry_bounds(today: dt.date, days: int, tz: str) -> tuple[str, str]:
    """The UTC instants [from, to) that cover store days today … today + days (ISO text, for
    the cache's index of expiry instants)."""
    zone = ZoneInfo(tz if valid_tz(tz) else DEFAULT_TZ)
    start = dt.datetime.combine(today, dt.time(), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(today + dt.timedelta(days=days + 1), dt.time(), zone).astimezone(dt.UTC)
    return start.isoformat(), end.isoformat()


# --- visits and purchases ----------------------------------------------------------------------


def purchase_due(purchase: dt.date, today: dt.date, days: int) -> bool:
    """A follow-up falls due `days` after the purchase and stays PURCHASE_WINDOW days."""
    return days <= (today - purchase).days < days + PURCHASE_WINDOW


def purchase_bounds(today: dt.date, days: int) -> tuple[dt.date, dt.date]:
    """Purchase days whose follow-up is due today (inclusive)."""
    return today - dt.timedelta(days=days + PURCHASE_WINDOW - 1), today - dt.timedelta(days=days)


def is_top(tier: str | None, spend_12m: int | None, settings: TaskSettings) -> bool:
    return (tier or "") in settings.top_tiers or (spend_12m or 0) >= settings.top_spend


def not_seen(last_visit: dt.date | None, today: dt.date, days: int) -> bool:
    """Not seen for `days` days (never seen counts: a top client without a visit here)."""
    return last_visit is None or (today - last_visit).days >= days


def not_seen_before(today: dt.date, days: int) -> dt.date:
    """The last visit must be on or before this day."""
    return today - dt.timedelta(days=days)


def diary_due(due: dt.date, today: dt.date) -> bool:
    return due <= today


def profile_gaps(client: Mapping[str, Any]) -> list[str]:
    """Why her profile needs the consultant: "consent" (no signed processing consent), "quick"
    (a quick card: questionnaire answers missing). Empty: nothing to do."""
    gaps = []
    consent = (client.get("consents") or {}).get("processing") or {}
    if not consent.get("granted"):
        gaps.append("consent")
    if any(not client.get(k) for k in PROFILE_ANSWERS):
        gaps.append("quick")
    return gaps


# --- tasks and their outcomes -------------------------------------------------------------------


def task_key(rule: str, client_id: str, occasion: str | int) -> str:
    """A task's stable key: the same rule, client and occasion on every device."""
    return f"{rule}:{client_id}:{occasion}"


_OUTCOMES_NS = uuid.UUID("5f0c2a9e-7d3b-4e61-9a0f-3c8e2b6d1a47")


def outcome_id(store_id: str, key: str) -> str:
    """The id of a task's outcome in a store (a feed entity id: a UUID, the same on both ends)."""
    return str(uuid.uuid5(_OUTCOMES_NS, f"{store_id}/{key}"))


def parse_key(key: str) -> tuple[str, str, str]:
    """(rule, client id, occasion); TaskRuleError when `key` is not a task key."""
    parts = key.split(":", 2)
    if len(parts) != 3 or parts[0] not in DEFAULT_RULES or not parts[1] or not parts[2] or len(key) > 200:
        raise TaskRuleError("bad_task", "This is not a task key (rule:client:occasion).")
    return parts[0], parts[1], parts[2]


def hidden(outcome: Mapping[str, Any] | None, today: dt.date) -> bool:
    """Whether an outcome takes its task off Today: done or dismissed for good, snoozed until
    its day comes."""
    if not outcome:
        return False
    status = outcome.get("status")
    if status in FINAL:
        return True
    if status == "snoozed":
        until = outcome.get("until")
        try:
            return isinstance(until, str) and dt.date.fromisoformat(until) > today
        except ValueError:
            return False
    return False


def settle(current: Mapping[str, Any] | None, status: str) -> bool:
    """Whether a new outcome `status` replaces `current`: the first final outcome (done,
    dismissed) wins and stays; a snooze only moves a task that is not settled.
    So two devices completing one task offline leave one outcome: the first the hub applied."""
    if status not in OUTCOMES:
        raise TaskRuleError("bad_outcome", f"A task outcome is one of: {', '.join(OUTCOMES)}.")
    return not (current and current.get("status") in FINAL)


def check_snooze(until: dt.date | None, today: dt.date) -> dt.date:
    """A snooze's day: after today, within a year."""
    if until is None or until <= today or until > today + dt.timedelta(days=MAX_DAYS):
        raise TaskRuleError("bad_snooze", "Snooze to a day after today, within a year.")
    return until


# --- a manager's campaign list ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListFilter:
    """Which of the store's clients a campaign list takes; an empty criterion takes everyone."""

    tiers: tuple[str, ...] = ()
    min_spend: int = 0  # kopecks in 12 months
    seen_since: dt.date | None = None  # last visit on or after
    not_seen_since: dt.date | None = None  # no visit since (or never)
    brand: str = ""  # among her preferred brands (case-insensitive)
    size: tuple[str, str] | None = None  # (size field, value), e.g. ("clothing", "44")
    consent: str = ""  # a purpose she granted, e.g. "sms"
    birthday_month: int = 0  # 1..12

    def matches(self, c: Mapping[str, Any]) -> bool:
        if self.tiers and (c.get("tier") or "") not in self.tiers:
            return False
        if self.min_spend and (c.get("spend_12m") or 0) < self.min_spend:
            return False
        visit = _date(c.get("last_visit"))
        if self.seen_since and (visit is None or visit < self.seen_since):
            return False
        if self.not_seen_since and visit is not None and visit >= self.not_seen_since:
            return False
        if self.brand and self.brand.casefold() not in {b.casefold() for b in c.get("preferred_brands") or ()}:
            return False
        if self.size and (c.get("sizes") or {}).get(self.size[0]) != self.size[1]:
            return False
        if self.consent and not ((c.get("consents") or {}).get(self.consent) or {}).get("granted"):
            return False
        if self.birthday_month:
            born = _date(c.get("birthday"))
            if born is None or born.month != self.birthday_month:
                return False
        return True

    def to_data(self) -> dict[str, Any]:
        return {
            "tiers": list(self.tiers),
            "min_spend": self.min_spend,
            "seen_since": self.seen_since.isoformat() if self.seen_since else None,
            "not_seen_since": self.not_seen_since.isoformat() if self.not_seen_since else None,
            "brand": self.brand,
            "size": list(self.size) if self.size else None,
            "consent": self.consent,
            "birthday_month": self.birthday_month,
        }


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


MAX_LIST_CLIENTS = 5000
"""A campaign list is for calls, not a mailing: more clients than this is refused."""
