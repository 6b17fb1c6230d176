"""GET /v1/reports/results: what the work brought over a period (sync.hub.results).

A consultant sees her own row only (asking for another's is a 403); a manager her store's
consultants (one with `consultant=`); an admin every store of its brand. Bad dates are
problem details (a 422), never a 500.
"""

import datetime as dt
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel, Field

from sync.hub import auth, loyalty_service, outreach, reports, results
from sync.hub.auth import Account
from sync.hub.problems import Problem
from sync.hub.storage import HubDB

MAX_DAYS = 366
DEFAULT_DAYS = 7
READERS = frozenset({auth.CONSULTANT, auth.MANAGER, auth.ADMIN})


class ResultsRow(BaseModel):
    registrations: int = Field(description="Clients registered in the period")
    consents_recorded: int = Field(description="Clients whose granted consent was recorded")
    consents_signed: int = Field(description="Of those, from a signed form")
    linked: int = Field(description="Receipts of the period linked to a client")
    served: int = Field(description="Receipts served, net of returns (sync.hub.reports)")
    identified: int = Field(description="Of those, with a known client")
    share: float = Field(description="identified / served (0 when none)")
    contacts: int = Field(description="Contacts made (contact.log), every channel")
    contacts_by_channel: dict[str, int]
    attributed_purchases: int = Field(description="Sales attributed to a contact of the period")
    attributed_amount: int = Field(description="Their total, kopecks")


class ConsultantResults(ResultsRow):
    consultant_id: str
    consultant: str | None
    store_id: str


class Results(BaseModel):
    period_from: dt.date = Field(description="First day, inclusive (the program's local time)")
    period_to: dt.date = Field(description="Last day, inclusive")
    attribution_days: int = Field(description="A purchase counts up to this many days after its contact")
    consultants: list[ConsultantResults]
    totals: ResultsRow


def add_results_routes(app: FastAPI, db: HubDB, allowed: Any) -> None:
    """`allowed(roles, what)`: the API's role dependency factory (sync.hub.api.create_app)."""
    reader = allowed(READERS, "The results")

    @app.get("/v1/reports/results", response_model=Results, tags=["receipts"])
    def results_report(
        acc: Annotated[Account, Depends(reader)],
        period_from: Annotated[str | None, Query(alias="from", description="YYYY-MM-DD; 7 days back")] = None,
        period_to: Annotated[str | None, Query(alias="to", description="YYYY-MM-DD; default today")] = None,
        consultant: Annotated[str | None, Query(max_length=36, description="one consultant's id")] = None,
    ) -> Results:
        """Registrations, consents, linked and identified receipts, contacts and the purchases
        attributed to them, per consultant (see sync.hub.results)."""
        tz = loyalty_service.program().tz
        start, end, lo, hi = reports.period(
            _day(period_from, "from"), _day(period_to, "to"), tz, DEFAULT_DAYS, MAX_DAYS
        )
        if acc.role == auth.CONSULTANT:
            if consultant not in (None, acc.id):
                raise Problem(403, "Not allowed", "A consultant sees her own results.", "urn:vitrine:forbidden")
            consultant = acc.id
        with db.read() as conn:
            stores = auth.brand_stores(conn, acc.brand_id) if acc.may(auth.BRAND_WIDE) else [acc.store_id]
            data = results.results(conn, stores, lo, hi, outreach.attribution_days(conn, acc.brand_id), consultant)
        return Results(period_from=start, period_to=end, **data)


def _day(text: str | None, name: str) -> dt.date | None:
    """A YYYY-MM-DD query value; a problem naming the parameter otherwise."""
    if text is None or text == "":
        return None
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else _bad(name)
    except ValueError:
        return _bad(name)


def _bad(name: str) -> dt.date:
    raise Problem(422, "Bad report period", f"`{name}` is a day written YYYY-MM-DD.", "urn:vitrine:bad-period")
