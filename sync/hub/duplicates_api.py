"""The duplicates endpoints: brand-wide lookup, sharing a client into a store, duplicate pairs.

    POST /v1/clients/lookup            consultant, manager   masked matches in the brand
    POST /v1/clients/{id}/share        consultant, manager   serve her in this store
    GET  /v1/duplicates                manager               the store's open (or other) pairs
    POST /v1/duplicates/{id}/merge     manager               merge into the survivor
    POST /v1/duplicates/{id}/dismiss   manager               not the same person

Lookups are rate-limited per account (sync.hub.throttle's table, key "lookup:<account>")
and every match shown is audited, as are a share and a merge.
"""

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI
from fastapi import Path as Path_
from fastapi.concurrency import run_in_threadpool

from sync.hub import audit, duplicates, merge, sharing, throttle
from sync.hub.auth import Account
from sync.hub.errors import Rejected
from sync.hub.problems import Problem
from sync.hub.storage import HubDB
from sync.models import (
    ClientLookup,
    DuplicatePair,
    LookupMatch,
    LookupResult,
    MergeRequest,
    MergeResult,
    ShareResult,
)
from sync.rules.contacts import normalise_phone

LOOKUP_LIMIT = throttle.Limit(failures=60, window=60, lock=60)
"""Lookups per account: a consultant typing a form sends a few (the app debounces); a
script reading the brand's phones one by one is stopped at one a second."""

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_STATUS = {"unknown_client": 404, "unknown_pair": 404, "pair_closed": 409, "client_gone": 409}


def _problem(r: Rejected) -> Problem:
    status = _STATUS.get(r.code, 422)
    title = {404: "Not found", 409: "Conflict"}.get(status, "Invalid request")
    return Problem(status, title, r.reason, f"urn:vitrine:{r.code.replace('_', '-')}")


def add_duplicate_routes(
    app: FastAPI,
    db: HubDB,
    staff: Callable,
    manager: Callable,
    clock: Callable[[], float],
    limit: throttle.Limit | None = None,
) -> None:
    """`staff`, `manager`: the API's dependencies for an account of those roles (create_app's)."""
    per_account = limit or LOOKUP_LIMIT

    def run_lookup(c: duplicates.Criteria, acc: Account) -> tuple[float | None, list[dict]]:
        with db.write() as conn:
            wait = throttle.begin_attempt(conn, [(f"lookup:{acc.id}", per_account)], clock())
            if wait is not None:
                return wait, []
            found = duplicates.lookup(conn, acc.brand_id, acc.store_id, c)
            for match in found:
                audit.log_read(conn, match["client_id"], acc.id, acc.role, acc.store_id, duplicates.LOOKUP_KIND)
        return None, found

    @app.post(
        "/v1/clients/lookup",
        response_model=LookupResult,
        tags=["duplicates"],
        responses={429: {"description": "Too many lookups; see Retry-After", **_PROBLEM}},
    )
    async def lookup_clients(body: ClientLookup, acc: Annotated[Account, Depends(staff)]) -> LookupResult:
        """Clients of the caller's brand with this phone, e-mail, or surname + name + birthday,
        masked. What is not a complete criterion (a phone that is no phone number yet, a
        surname without the name and birthday) is not asked: nothing complete, no matches
        (and no lookup counted), as a form being typed sends it."""
        phone = normalise_phone(body.phone) if body.phone else None
        c = duplicates.criteria(phone, body.email, body.last_name, body.first_name, body.birthday)
        if not (c.phone or c.email or c.name_key):
            return LookupResult(matches=[])
        wait, found = await run_in_threadpool(run_lookup, c, acc)
        if wait is not None:
            raise Problem(
                429,
                "Too many lookups",
                f"Too many client lookups from this account; try again in {throttle.retry_after(wait)} s.",
                "urn:vitrine:lookup-limit",
                headers={"Retry-After": throttle.retry_after(wait)},
            )
        return LookupResult(matches=[LookupMatch(**m) for m in found])

    def run_share(client_id: str, acc: Account) -> dict:
        with db.write() as conn:
            return sharing.share(conn, client_id, acc)

    @app.post(
        "/v1/clients/{client_id}/share",
        response_model=ShareResult,
        tags=["duplicates"],
        responses={404: {"description": "No such client in this brand", **_PROBLEM}},
    )
    async def share_client(
        client_id: Annotated[str, Path_(max_length=36)], acc: Annotated[Account, Depends(staff)]
    ) -> ShareResult:
        """Serve a client of another store of the brand here: this store's devices get her
        (and her receipts, ledger, diary, contacts, forms, consents) in their feed from now
        on, and its staff may send mutations for her. Answers her snapshot and entities."""
        try:
            out = await run_in_threadpool(run_share, client_id, acc)
        except Rejected as r:
            raise _problem(r) from None
        return ShareResult.model_validate(out)

    def list_pairs(acc: Account, status: str) -> list[dict]:
        with db.read() as conn:
            return duplicates.pairs_of_store(conn, acc.brand_id, acc.store_id, status)

    @app.get("/v1/duplicates", response_model=list[DuplicatePair], tags=["duplicates"])
    async def duplicate_pairs(
        acc: Annotated[Account, Depends(manager)], status: Literal["open", "merged", "dismissed"] = "open"
    ) -> list[DuplicatePair]:
        """The brand's duplicate pairs with a client of the manager's store, both masked."""
        rows = await run_in_threadpool(list_pairs, acc, status)
        return [DuplicatePair.model_validate({k: p[k] for k in DuplicatePair.model_fields}) for p in rows]

    def run_merge(pair_id: str, survivor_id: str, acc: Account) -> dict:
        with db.write() as conn:
            return merge.merge(conn, pair_id, survivor_id, acc)

    @app.post(
        "/v1/duplicates/{pair_id}/merge",
        response_model=MergeResult,
        tags=["duplicates"],
        responses={404: {"description": "No such pair", **_PROBLEM}, 409: {"description": "Closed", **_PROBLEM}},
    )
    async def merge_pair(
        pair_id: Annotated[str, Path_(max_length=36)], body: MergeRequest, acc: Annotated[Account, Depends(manager)]
    ) -> MergeResult:
        """Merge the pair into `survivor_id`: every receipt, ledger entry, diary entry,
        contact, consent and signed form of the other moves to her; the other becomes a
        tombstone that names her."""
        try:
            out = await run_in_threadpool(run_merge, pair_id, body.survivor_id, acc)
        except Rejected as r:
            raise _problem(r) from None
        return MergeResult.model_validate(out)

    def run_dismiss(pair_id: str, acc: Account) -> bool:
        with db.write() as conn:
            p = duplicates.pair(conn, pair_id)
            if p is None or p["brand_id"] != acc.brand_id or p["status"] != duplicates.OPEN:
                return False
            homes = {
                duplicates.summary(conn, p["client_a"]).get("store_id"),
                duplicates.summary(conn, p["client_b"]).get("store_id"),
            }
            if acc.store_id not in homes:
                return False
            duplicates.resolve(conn, pair_id, duplicates.DISMISSED, acc.id)
            for cid in (p["client_a"], p["client_b"]):
                audit.log_change(conn, cid, acc.id, acc.role, acc.store_id, "pair.dismiss", pair_id)
            return True

    @app.post(
        "/v1/duplicates/{pair_id}/dismiss",
        status_code=204,
        tags=["duplicates"],
        responses={404: {"description": "No open pair of this store", **_PROBLEM}},
    )
    async def dismiss_pair(
        pair_id: Annotated[str, Path_(max_length=36)], acc: Annotated[Account, Depends(manager)]
    ) -> None:
        """Not the same person: the pair is closed and both stay."""
        if not await run_in_threadpool(run_dismiss, pair_id, acc):
            raise Problem(
                404, "Not found", "No open duplicate pair of this store has this id.", "urn:vitrine:unknown-pair"
            )
