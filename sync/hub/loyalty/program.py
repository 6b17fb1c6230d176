"""The loyalty program file: a TOML document validated into a frozen `Program`.

Everything brand-specific lives in the file — tiers, accrual and redemption rules,
expiry, return window and campaigns — so the calculator has no code path per brand.
See docs/loyalty.md for the format with a full example.

Units: money in kopecks (int), points in whole points (int), percents as Decimal
(TOML floats are read as Decimal, never as binary floats), durations as strings such
as "14 days", "6 months", "1 year". Campaign dates without an offset are local to the
program's `utc_offset`; a bare date in `ends` includes that whole day.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

UTC = dt.UTC
PROGRAMS_DIR = Path(__file__).with_name("programs")
BUILTIN_PROGRAMS = ("dboutique", "intermoda", "you")


class ProgramError(ValueError):
    """A program file that cannot be read or does not validate."""


def _to_utc(v: dt.datetime) -> dt.datetime:
    return v.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware datetime, normalised to UTC. Naive datetimes are rejected."""

Percent = Annotated[Decimal, Field(ge=0, le=100)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- time arithmetic ------------------------------------------------------------------


def add_months(t: dt.datetime, months: int) -> dt.datetime:
    """Calendar month arithmetic; the day is clamped (31 Aug + 6 months = 28/29 Feb)."""
    y, m = divmod(t.month - 1 + months, 12)
    year, month = t.year + y, m + 1
    return t.replace(year=year, month=month, day=min(t.day, calendar.monthrange(year, month)[1]))


_DURATION = re.compile(r"^\s*(\d+)\s*(days?|weeks?|months?|years?)\s*$", re.IGNORECASE)
_UNITS = {"day": ("days", 1), "week": ("days", 7), "month": ("months", 1), "year": ("months", 12)}


class Duration(Frozen):
    """A span of calendar months plus days. In files: "14 days", "6 months", "1 year"."""

    months: int = Field(default=0, ge=0)
    days: int = Field(default=0, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, v: Any) -> Any:
        if isinstance(v, str):
            m = _DURATION.match(v)
            if not m:
                raise ValueError(f"duration {v!r} must look like '14 days', '2 weeks', '6 months' or '1 year'")
            field, factor = _UNITS[m[2].lower().rstrip("s")]
            return {field: int(m[1]) * factor}
        return v

    def after(self, t: dt.datetime) -> dt.datetime:
        return add_months(t, self.months) + dt.timedelta(days=self.days)

    def before(self, t: dt.datetime) -> dt.datetime:
        return add_months(t, -self.months) - dt.timedelta(days=self.days)

    def __str__(self) -> str:
        parts = []
        if self.months:
            parts.append(f"{self.months} month{'s' if self.months != 1 else ''}")
        if self.days or not parts:
            parts.append(f"{self.days} day{'s' if self.days != 1 else ''}")
        return " ".join(parts)


DurationField = Annotated[Duration, Field(description='e.g. "14 days", "6 months"')]


def parse_utc_offset(s: str) -> dt.timezone:
    """'+03:00', '+0300', 'UTC' -> a fixed-offset timezone (Russia has no DST)."""
    if s.strip().upper() in ("UTC", "Z", "+00:00"):
        return UTC
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", s.strip())
    if not m:
        raise ValueError(f"utc_offset {s!r} must look like '+03:00'")
    delta = dt.timedelta(hours=int(m[2]), minutes=int(m[3]))
    if delta > dt.timedelta(hours=14):
        raise ValueError(f"utc_offset {s!r} is out of range")
    return dt.timezone(-delta if m[1] == "-" else delta)


# --- rules ----------------------------------------------------------------------------


class Tier(Frozen):
    name: str = Field(min_length=1, max_length=40)
    min_spend_kopecks: int = Field(ge=0, description="Rolling-window spend that reaches this tier")
    accrual_percent: Percent
    benefits: str = ""


class PointsRules(Frozen):
    expire_after: DurationField = Duration(months=6)
    """Life of ordinary points, counted from the moment they become available."""
    promo_expire_after: DurationField = Duration(days=3)
    """Default life of fast-burning promotional points (grants, campaigns that say so)."""
    return_window: DurationField = Duration(days=14)
    """Accrued points stay pending this long after the purchase; returns within it are free."""
    expiring_soon_days: int = Field(default=30, ge=0)
    """How far ahead the account summary lists expiring points."""


class AccrualRules(Frozen):
    sale_items: bool = False
    """Accrue points on lines marked as sale items."""
    on_points_paid: bool = False
    """Accrue on the part of a purchase paid with points (usually not)."""


class RedemptionRules(Frozen):
    max_percent: Percent = Decimal(100)
    """Points may pay at most this share of each eligible line's full price."""
    sale_items: bool = True
    """Points may pay for sale items."""
    cap_includes_discounts: bool = True
    """Till discounts count against the cap: discount + points <= max_percent of the price."""


class CampaignBase(Frozen):
    id: Slug
    title: str = Field(min_length=1, max_length=120)
    starts: UtcDatetime | None = None
    ends: UtcDatetime | None = None
    """Exclusive end. A bare date in the file means 'through the end of that local day'."""
    tiers: list[str] = Field(default_factory=list)
    """Tiers the campaign applies to; empty means every tier."""
    expire_after: DurationField | None = None
    """Life of the points this campaign gives; default depends on the kind."""

    @model_validator(mode="after")
    def _period(self) -> CampaignBase:
        if self.starts and self.ends and self.ends <= self.starts:
            raise ValueError(f"campaign {self.id!r} ends before it starts")
        return self

    def active_at(self, t: dt.datetime) -> bool:
        return (self.starts is None or self.starts <= t) and (self.ends is None or t < self.ends)

    def applies_to(self, tier: str) -> bool:
        return not self.tiers or tier in self.tiers


class WelcomeCampaign(CampaignBase):
    """Points on registration (during the campaign period)."""

    kind: Literal["welcome"]
    points: int = Field(gt=0)


class BirthdayCampaign(CampaignBase):
    """Points once a year around the client's birthday (local date of the program)."""

    kind: Literal["birthday"]
    points: int = Field(ge=0)
    points_by_tier: dict[str, int] = Field(default_factory=dict)
    days_before: int = Field(default=0, ge=0, le=60)
    days_after: int = Field(default=7, ge=0, le=60)
    """The grant job may run late by this many days and still give the bonus."""


class MultiplierCampaign(CampaignBase):
    """'Double points': purchase points are multiplied during the period."""

    kind: Literal["multiplier"]
    factor: Decimal = Field(gt=1, le=20)


class ExtraPercentCampaign(CampaignBase):
    """Extra accrual percent during the period, e.g. +5% for a month for chosen tiers."""

    kind: Literal["extra_percent"]
    percent: Annotated[Decimal, Field(gt=0, le=100)]


class ReferralCampaign(CampaignBase):
    """A referral code (a client's or a stylist's): the newcomer gets a till discount,
    the code owner gets points once the newcomer's first purchase passes the return window."""

    kind: Literal["referral"]
    newcomer_discount_percent: Percent
    newcomer_discount_purchases: int = Field(default=1, ge=1)
    referrer_points: int = Field(default=0, ge=0)
    stylist_points: int = Field(default=0, ge=0)
    min_first_purchase_kopecks: int = Field(default=0, ge=0)


Campaign = Annotated[
    WelcomeCampaign | BirthdayCampaign | MultiplierCampaign | ExtraPercentCampaign | ReferralCampaign,
    Field(discriminator="kind"),
]


class Offer(Frozen):
    """A tier privilege with validity dates: a coupon (a till discount the client shows)
    or access to a closed sale (the first days of a sale, a private event). Shown on the
    profile of every client of its tiers while it is valid or coming; nothing is accrued."""

    id: Slug
    kind: Literal["coupon", "closed_sale"]
    title: str = Field(min_length=1, max_length=120)
    tiers: list[str] = Field(default_factory=list)
    """Tiers it is for; empty means every tier."""
    starts: UtcDatetime | None = None
    ends: UtcDatetime | None = None
    """Exclusive end; a bare date in the file includes that whole local day."""
    discount_percent: Percent | None = None
    """A coupon's till discount."""
    code: str | None = Field(default=None, max_length=40)
    """What the till is told (a coupon code, the sale's name)."""

    @model_validator(mode="after")
    def _valid(self) -> Offer:
        if self.starts and self.ends and self.ends <= self.starts:
            raise ValueError(f"offer {self.id!r} ends before it starts")
        if self.kind == "coupon" and self.discount_percent is None:
            raise ValueError(f"coupon {self.id!r} needs discount_percent")
        return self

    def applies_to(self, tier: str) -> bool:
        return not self.tiers or tier in self.tiers

    def visible_at(self, t: dt.datetime) -> bool:
        """Valid now or still to come."""
        return self.ends is None or t < self.ends


def _localise(value: Any, tz: dt.timezone, *, end: bool) -> Any:
    """Bare dates and naive datetimes in a file are local to the program."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, dt.date):
        day = value + dt.timedelta(days=1) if end else value
        return dt.datetime(day.year, day.month, day.day, tzinfo=tz)
    return value


class Program(Frozen):
    id: Slug
    name: str = Field(min_length=1, max_length=120)
    utc_offset: str = "+03:00"
    """Local time of the program: birthdays and campaign dates are read in it."""
    point_value_kopecks: int = Field(default=100, gt=0)
    """What one point pays for: 100 kopecks = 1 point is 1 RUB."""
    tier_window: DurationField = Duration(months=12)
    """Tiers are decided by the spend in this rolling window."""
    points: PointsRules = PointsRules()
    accrual: AccrualRules = AccrualRules()
    redemption: RedemptionRules = RedemptionRules()
    tiers: list[Tier] = Field(min_length=1)
    campaigns: list[Campaign] = Field(default_factory=list)
    offers: list[Offer] = Field(default_factory=list)
    """Coupons and closed sales by tier (docs/loyalty.md)."""

    @field_validator("utc_offset")
    @classmethod
    def _offset(cls, v: str) -> str:
        parse_utc_offset(v)
        return v

    @model_validator(mode="before")
    @classmethod
    def _local_dates(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        try:
            tz = parse_utc_offset(str(data.get("utc_offset", "+03:00")))
        except ValueError:
            return data  # the field validator reports it
        out = dict(data)
        for section in ("campaigns", "offers"):
            if not isinstance(data.get(section), list):
                continue
            items = []
            for c in data[section]:
                if isinstance(c, dict):
                    c = dict(c)
                    for key in ("starts", "ends"):
                        if key in c:
                            c[key] = _localise(c[key], tz, end=key == "ends")
                items.append(c)
            out[section] = items
        return out

    @model_validator(mode="after")
    def _consistent(self) -> Program:
        if self.tiers[0].min_spend_kopecks != 0:
            raise ValueError("the first tier must start at min_spend_kopecks = 0")
        for lower, upper in itertools.pairwise(self.tiers):
            if upper.min_spend_kopecks <= lower.min_spend_kopecks:
                raise ValueError("tiers must be listed by strictly growing min_spend_kopecks")
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            raise ValueError("tier names must be unique")
        ids = [c.id for c in self.campaigns]
        if len(set(ids)) != len(ids):
            raise ValueError("campaign ids must be unique")
        for c in self.campaigns:
            unknown = set(c.tiers) | set(getattr(c, "points_by_tier", {}))
            unknown -= set(names)
            if unknown:
                raise ValueError(f"campaign {c.id!r} names unknown tiers: {', '.join(sorted(unknown))}")
        offer_ids = [o.id for o in self.offers]
        if len(set(offer_ids)) != len(offer_ids):
            raise ValueError("offer ids must be unique")
        for o in self.offers:
            if set(o.tiers) - set(names):
                raise ValueError(f"offer {o.id!r} names unknown tiers: {', '.join(sorted(set(o.tiers) - set(names)))}")
        return self

    # --- lookups ------------------------------------------------------------------

    @property
    def tz(self) -> dt.timezone:
        return parse_utc_offset(self.utc_offset)

    def tier(self, name: str) -> Tier:
        for t in self.tiers:
            if t.name == name:
                return t
        raise KeyError(name)

    def tier_for(self, spend_kopecks: int) -> Tier:
        """The highest tier whose threshold the spend reaches."""
        best = self.tiers[0]
        for t in self.tiers:
            if spend_kopecks >= t.min_spend_kopecks:
                best = t
        return best

    def next_tier(self, tier: Tier) -> Tier | None:
        i = self.tiers.index(tier)
        return self.tiers[i + 1] if i + 1 < len(self.tiers) else None

    def offers_for(self, tier: str, at: dt.datetime) -> list[Offer]:
        """The tier's coupons and closed sales valid at `at` or still to come, soonest first."""
        far = dt.datetime.max.replace(tzinfo=UTC)
        return sorted(
            (o for o in self.offers if o.applies_to(tier) and o.visible_at(at)),
            key=lambda o: (o.starts or at, o.ends or far, o.id),
        )

    def active_campaigns(self, at: dt.datetime, kind: str | None = None, tier: str | None = None) -> list[Any]:
        """Campaigns running at `at`, in file order, optionally of one kind / for one tier."""
        return [
            c
            for c in self.campaigns
            if c.active_at(at) and (kind is None or c.kind == kind) and (tier is None or c.applies_to(tier))
        ]


# --- loading ---------------------------------------------------------------------------


def load_program(source: str | Path | bytes) -> Program:
    """Read a program from a path (Path, or a str ending in .toml) or from TOML text."""
    name = "<text>"
    if isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and source.strip().endswith(".toml")
    ):
        name = str(source)
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise ProgramError(f"{name}: cannot read the program file: {exc}") from exc
    elif isinstance(source, bytes):
        text = source.decode("utf-8")
    else:
        text = source
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise ProgramError(f"{name}: not valid TOML: {exc}") from exc
    try:
        return Program.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(file)'}: {e['msg']}" for e in exc.errors())
        raise ProgramError(f"{name}: invalid loyalty program: {problems}") from exc


def builtin_program(name: str) -> Program:
    """One of the example programs shipped in sync/hub/loyalty/programs/."""
    if name not in BUILTIN_PROGRAMS:
        raise ProgramError(f"no built-in program {name!r}; known: {', '.join(BUILTIN_PROGRAMS)}")
    return load_program(PROGRAMS_DIR / f"{name}.toml")
