"""The counter panel: "what can she pay with points" for a basket typed at the counter.

Online the hub answers (its ledger, its clock: exact). Without the hub (offline, or she
was registered here and the hub does not know her yet) the same rule
(sync.rules.counter) runs on the account the hub last published into the cache, and the
answer says it is an estimate and as of when. What was typed is kept on any error.
"""

from __future__ import annotations

import logging
import re
from dataclasses import InitVar, dataclass
from decimal import Decimal, InvalidOperation

import flet as ft

from app.cache.counter import cached_account
from app.cache.queries import Account
from app.state import loyalty_view
from app.state.context import Context
from app.state.messages import Message
from app.state.sync import SyncModel
from sync.client import HubError, HubUnreachable
from sync.models import utcnow
from sync.rules import counter

log = logging.getLogger("vitrine.app.counter")

_SPACES = re.compile(r"[\s\u00a0\u202f₽]|руб\.?", re.IGNORECASE)


def kopecks(text: str) -> int | None:
    """Roubles as typed ("15 000", "15000,50", "15 000 ₽") in kopecks; None when not an amount.
    An empty field is 0."""
    cleaned = _SPACES.sub("", text or "").replace(",", ".")
    if not cleaned:
        return 0
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value > 100_000_000 or value != value.quantize(Decimal("0.01")):
        return None
    return int(value * 100)


@dataclass(frozen=True)
class CounterResult:
    quote: counter.Quote
    estimate: bool  # computed on the device from cached figures
    as_of: str | None = None  # the figures' time (the hub's publication, for an estimate)
    why: str | None = None  # why an estimate: "offline" | "not_on_hub"


@ft.observable
@dataclass(eq=False)
class CounterModel:
    ctx: InitVar[Context]
    sync: InitVar[SyncModel]
    client_id: str = ""
    total: str = ""  # typed, roubles: the basket's sum before till discounts
    sale: str = ""  # of which sale items
    discount: str = ""  # till discount on the ordinary goods
    error: Message | None = None
    result: CounterResult | None = None
    busy: bool = False

    def __post_init__(self, ctx: Context, sync: SyncModel) -> None:
        self._ctx, self._sync = ctx, sync

    def show(self, client_id: str) -> None:
        """Another client's profile: a basket is one client's."""
        if client_id != self.client_id:
            self.client_id, self.total, self.sale, self.discount = client_id, "", "", ""
            self.error, self.result = None, None

    def set_field(self, name: str, value: str) -> None:
        setattr(self, name, value)
        self.result = None  # figures of another basket would mislead

    def _basket(self) -> list[counter.BasketLine] | None:
        total, sale, discount = kopecks(self.total), kopecks(self.sale), kopecks(self.discount)
        if total is None or sale is None or discount is None:
            self.error = Message("counter.bad_sum")
            return None
        if not total:
            self.error = Message("counter.no_sum")
            return None
        try:
            return counter.basket(total, sale, discount)
        except ValueError:
            self.error = Message("counter.parts_exceed")
            return None

    async def calculate(self) -> None:
        self.error, self.result = None, None
        lines = self._basket()
        if lines is None:
            return
        self.busy = True
        try:
            result, why = await self._online(lines)
            self.result = result or await self._estimate(lines, why)
        finally:
            self.busy = False

    async def _online(self, lines: list[counter.BasketLine]) -> tuple[CounterResult | None, str]:
        """The hub's answer, or (None, why there is none)."""
        client = self._sync.client
        if client is None:
            return None, "offline"
        body = [{"price": x.full, "qty": 1, "discount": x.discount, "sale": x.sale} for x in lines]
        try:
            d = await client.counter_quote(self.client_id, body)
        except HubUnreachable:
            return None, "offline"
        except HubError as e:  # e.g. 404: registered on this device, not on the hub yet
            log.info("counter quote refused by the hub: %s", e.status)
            return None, "not_on_hub" if e.status == 404 else "offline"
        fields = {k: d[k] for k in counter.Quote.__dataclass_fields__ if k in d}
        return CounterResult(quote=counter.Quote(**fields), estimate=False, as_of=d.get("as_of")), ""

    async def _estimate(self, lines: list[counter.BasketLine], why: str) -> CounterResult | None:
        account = await self._ctx.cache.read(cached_account, self.client_id)
        if account is None or not account.get("counter"):
            self.error = Message("counter.no_figures")
            return None
        rules = counter.CounterRules.from_data(account["counter"])
        # The profile's rule, so the panel and the profile never show two balances.
        acc = Account.from_data(account)
        q = counter.quote(rules, loyalty_view.figures(acc, acc.balance or 0, utcnow()).balance, lines)
        return CounterResult(quote=q, estimate=True, as_of=account.get("as_of"), why=why)
