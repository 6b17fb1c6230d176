"""GET /v1/reports/identified: the identified-receipt share over a chosen period (sync.hub.reports)."""

import datetime as dt
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel, Field

from sync.hub import auth, loyalty_service, reports
from sync.hub.auth import Account
from sync.hub.storage import HubDB

MAX_DAYS = 731
DEFAULT_DAYS = 30


class StoreRow(BaseModel):
    store_id: str
    store: str | None
    sales: int = Field(description="Sales receipts (fiscal type 1) in the period")
    returns: int = Field(description="Sale returns (type 2): each nets out one receipt")
    identified_sales: int
    identified_returns: int
    net_receipts: int
    net_identified: int
    share: float = Field(description="net_identified / net_receipts (0 when there are none)")
    expense_receipts: int = Field(description="Types 3 and 4 (the shop paying out): not purchases, not in the share")


class ConsultantRow(BaseModel):
    consultant_id: str
    consultant: str | None
    store_id: str
    served_sales: int = Field(description="Sales she served: the till's cashier field, else her link")
    served_returns: int
    identified_sales: int
    identified_returns: int
    net_served: int
    net_identified: int
    share: float = Field(description="net_identified / net_served")
    linked: int = Field(description="Receipts of the period she linked to a client")
    registrations: int = Field(description="Clients she registered in the period")
    consents_recorded: int = Field(description="Clients whose granted consent she recorded")
    consents_signed: int = Field(description="Of those, from a signed form")


class IdentifiedReport(BaseModel):
    period_from: dt.date = Field(description="First day, inclusive (the program's local time)")
    period_to: dt.date = Field(description="Last day, inclusive")
    stores: list[StoreRow]
    consultants: list[ConsultantRow]


def add_report_routes(app: FastAPI, db: HubDB, report_reader: Any) -> None:
    """`report_reader`: the dependency admitting managers (their store) and admins (their brand)."""

    @app.get("/v1/reports/identified", response_model=IdentifiedReport, tags=["receipts"])
    def identified(
        acc: Annotated[Account, Depends(report_reader)],
        period_from: Annotated[dt.date | None, Query(alias="from", description="YYYY-MM-DD; 30 days back")] = None,
        period_to: Annotated[dt.date | None, Query(alias="to", description="YYYY-MM-DD; default today")] = None,
    ) -> IdentifiedReport:
        """Identified receipts per store and per consultant over a period (see sync.hub.reports)."""
        tz = loyalty_service.program().tz
        start, end, lo, hi = reports.period(period_from, period_to, tz, DEFAULT_DAYS, MAX_DAYS)
        with db.read() as conn:
            stores = auth.brand_stores(conn, acc.brand_id) if acc.may(auth.BRAND_WIDE) else [acc.store_id]
            data = reports.identified(conn, stores, lo, hi)
        return IdentifiedReport(period_from=start, period_to=end, **data)
