"""Loyalty endpoints beyond the sync protocol: a stylist's own referral code.

A client's code is on her account (the change feed); a stylist (a consultant or a
manager) asks for hers here, and the hub stores it so a registration can name it. The
code gives the newcomer the program's referral discount; a stylist's reward is the
brand's to pay (docs/loyalty.md), the hub records none.

No `from __future__ import annotations`: FastAPI reads the endpoint's annotations at
run time, and `staff` (the caller's dependency) is local to add_loyalty_routes.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from pydantic import BaseModel

from sync.hub import loyalty_service
from sync.hub.auth import Account
from sync.hub.problems import Problem
from sync.hub.storage import HubDB


class ReferralCodeOut(BaseModel):
    code: str
    owner_kind: str


def add_loyalty_routes(app: FastAPI, db: HubDB, staff: Callable[..., Any]) -> None:
    @app.get("/v1/loyalty/referral-code", response_model=ReferralCodeOut, tags=["loyalty"])
    def stylist_code(acc: Annotated[Account, Depends(staff)]) -> ReferralCodeOut:
        """The logged-in stylist's referral code (made and stored on first ask)."""
        with db.write() as conn:
            code = loyalty_service.code_for(conn, acc.id, "stylist", acc.store_id)
        if code is None:
            raise Problem(404, "No referral campaign", "The brand's loyalty program runs no referral campaign.")
        return ReferralCodeOut(code=code, owner_kind="stylist")
