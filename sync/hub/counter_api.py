"""POST /v1/clients/{id}/counter-quote: what she can pay with points for a basket.

The figures are the hub's (her ledger and tier as of now, the program's caps); the rule
is sync.rules.counter, which the device runs offline on the cached account (estimate).
Read-only: nothing is redeemed here; the till's receipt does that.
"""

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sync.hub import loyalty as rules
from sync.hub import loyalty_service
from sync.hub.auth import Account
from sync.hub.problems import Problem
from sync.hub.storage import HubDB, sql
from sync.models import MAX_RECEIPT_TOTAL, utcnow
from sync.rules import counter

NOT_FOUND = {"description": "No such client in the account's store", "content": {"application/problem+json": {}}}


class QuoteLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    price: int = Field(ge=0, le=MAX_RECEIPT_TOTAL, description="Unit price in kopecks before till discounts")
    qty: int = Field(default=1, ge=1, le=10_000)
    discount: int = Field(default=0, ge=0, le=MAX_RECEIPT_TOTAL, description="Till discount on the line, kopecks")
    sale: bool = Field(default=False, description="A sale (discounted collection) item")

    @model_validator(mode="after")
    def _discount(self) -> "QuoteLine":
        if self.discount > self.price * self.qty:
            raise ValueError("the discount exceeds price x qty")
        return self


class QuoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[QuoteLine] = Field(min_length=1, max_length=500)
    redeem_points: int | None = Field(default=None, ge=0, description="Ask for fewer points than the most allowed")


class QuoteResponse(BaseModel):
    client_id: str
    as_of: dt.datetime
    estimate: bool = Field(description="Always false here: the hub's own figures")
    tier: str
    total: int
    cap_kopecks: int
    cap_points: int
    balance: int
    max_points: int
    redeem_points: int
    to_pay: int
    earn_points: int
    earn_without_points: int
    excluded_kopecks: int
    line_caps: list[int]
    max_percent: str
    point_value_kopecks: int


def quote_for(conn: Any, client: dict, body: QuoteRequest, now: dt.datetime) -> QuoteResponse:
    prog = loyalty_service.program()
    ledger = loyalty_service.entries(conn, client["id"])
    past = loyalty_service.history(conn, client["id"])
    s = rules.summary(prog, ledger, past, now, tier_floor=loyalty_service.tier_floor(conn, client["id"]))
    r = loyalty_service.counter_rules(prog, s.tier, now)
    lines = [counter.BasketLine(full=x.price * x.qty, discount=x.discount, sale=x.sale) for x in body.lines]
    q = counter.quote(r, s.balance, lines, body.redeem_points)
    return QuoteResponse(
        client_id=client["id"],
        as_of=now,
        estimate=False,
        tier=s.tier,
        max_percent=str(r.max_percent),
        point_value_kopecks=r.point_value_kopecks,
        **q.to_data(),
    )


def add_counter_routes(app: FastAPI, db: HubDB, staff: Any) -> None:
    """`staff`: the dependency admitting consultants and managers (their own store's clients)."""

    @app.post(
        "/v1/clients/{client_id}/counter-quote",
        response_model=QuoteResponse,
        tags=["loyalty"],
        responses={404: NOT_FOUND},
    )
    def counter_quote(client_id: str, body: QuoteRequest, acc: Annotated[Account, Depends(staff)]) -> QuoteResponse:
        """The most points she may pay with for this basket (the program's caps and her
        balance) and what the purchase would earn. Nothing is redeemed."""
        with db.read() as conn:
            row = sql(conn, "SELECT store_id, data FROM clients WHERE id = ?", (client_id,)).fetchone()
            if row is None or row[0] != acc.store_id:  # unknown, or another store's: the same answer
                raise Problem(404, "No such client", "This client is not known to the hub.")
            return quote_for(conn, json.loads(row[1]), body, utcnow())
