"""Applying device mutations exactly once.

Each mutation runs in its own write transaction together with the record of its answer,
keyed by (device id, mutation id): a replay finds that record and gets the first answer
back as a duplicate, so retrying a batch is always safe. A rejected mutation's partial
writes are rolled back, but its rejection is recorded like any answer.
A mutation that must wait (its blob is not uploaded yet) records nothing and is retried.
An unexpected error in one mutation (a bug, a value out of range) is recorded as its
rejection too (code `internal_error`), so one bad mutation cannot stop a device's sync;
only a database that cannot be reached fails the batch, and the device retries it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from sync.hub import audit, auth, erase, feed, handlers, members, tasks
from sync.hub.auth import Account
from sync.hub.errors import Rejected, Waiting
from sync.hub.problems import log_unexpected, transient
from sync.hub.storage import HubDB, sql
from sync.models import MUTATION_KINDS, Mutation, MutationResult, utcnow

Handler = Callable[[Connection, Mutation, Account, str], dict]


def _for(roles: frozenset[str], handler: Handler) -> Handler:
    """`handler`, run only for an account of one of `roles` (the store is each handler's
    check: it works only on clients of the account's store)."""

    def guarded(conn: Connection, m: Mutation, account: Account, device_id: str) -> dict:
        if not account.may(roles):
            raise Rejected("forbidden", f"A {account.role} account cannot send {m.kind}.")
        return handler(conn, m, account, device_id)

    return guarded


# Who may send each kind, named for each so a new kind must choose: today the store's
# staff for all (a till posts receipts, an admin manages accounts; neither writes to a client).
KIND_ROLES: dict[str, frozenset[str]] = {
    "client.register": auth.STORE_STAFF,
    "client.update": auth.STORE_STAFF,
    "diary.add": auth.STORE_STAFF,
    "diary.revise": auth.STORE_STAFF,
    "diary.delete": auth.STORE_STAFF,
    "receipt.link": auth.STORE_STAFF,
    "form.sign": auth.STORE_STAFF,
    "contact.log": auth.STORE_STAFF,
    "consent.record": auth.STORE_STAFF,
    "client.viewed": auth.STORE_STAFF,
    # A data-subject request is carried out by the store's manager, not at the counter.
    "client.erase": frozenset({auth.MANAGER}),
    # Points are money: a manager grants and deducts them, never the counter.
    "points.grant": frozenset({auth.MANAGER}),
    "points.deduct": frozenset({auth.MANAGER}),
    # Today: any of the staff settles a task; who works with whom is the manager's call.
    "task.update": auth.STORE_STAFF,
    "client.assign": frozenset({auth.MANAGER}),
    "list.create": frozenset({auth.MANAGER}),
}
assert set(KIND_ROLES) == set(MUTATION_KINDS)

HANDLERS: dict[str, Handler] = {
    kind: _for(KIND_ROLES[kind], handler)
    for kind, handler in {
        "client.register": handlers.register,
        "client.update": handlers.update,
        "diary.add": handlers.diary,
        "diary.revise": handlers.diary,
        "diary.delete": handlers.diary,
        "receipt.link": handlers.link_receipt,
        "form.sign": handlers.form,
        "contact.log": handlers.contact,
        "consent.record": handlers.consent,
        "client.viewed": handlers.viewed,
        "client.erase": erase.erase,
        "points.grant": handlers.grant_points,
        "points.deduct": handlers.deduct_points,
        "task.update": tasks.update_task,
        "client.assign": tasks.assign,
        "list.create": tasks.create_list,
    }.items()
}
assert set(HANDLERS) == set(MUTATION_KINDS)

log = logging.getLogger("vitrine.hub.mutations")
INTERNAL_ERROR = "internal_error"
INTERNAL_REASON = (
    "The hub could not apply this change because of an internal error; nothing of it was saved. "
    "Please report it with the change's id."
)


def apply_one(db: HubDB, account: Account, device_id: str, m: Mutation) -> MutationResult:
    # No savepoint around the handler: the transaction holds this one mutation, so a
    # rejection rolls all of it back and is recorded in a second transaction. Rejections
    # are rare; the savepoint's two statements ran for every mutation.
    failure: Exception | None = None  # unexpected: logged unless a replay recorded its answer first
    try:
        with db.write() as conn:
            prior = _prior(conn, device_id, m)
            if prior is not None:
                return prior
            handler = HANDLERS.get(m.kind)
            if handler is None:
                raise Rejected("unknown_kind", f"Unknown mutation kind '{m.kind}'.")
            result, applied = _handle(handler, conn, m, account, device_id)
            outcome = MutationResult(id=m.id, status="applied", result=result)
            _record(conn, device_id, m, outcome)
            client_id = audit.client_of_mutation(conn, applied)
            audit.log_mutation(conn, m, account.id, account.role, account.store_id, device_id, client_id)
            return outcome
    except Rejected as r:
        outcome = MutationResult(id=m.id, status="rejected", code=r.code, reason=r.reason)
    except Waiting as w:
        return MutationResult(id=m.id, status="waiting", code=w.code, reason=w.reason)
    except Exception as e:
        if transient(e):
            # On PostgreSQL a retry racing in another worker can abort this transaction on the
            # mutations key, and psycopg's pipeline then reports PipelineAborted, which reads as
            # transient. The winner's answer stands.
            prior = _answered(db, device_id, m)
            if prior is not None:
                return prior
            raise  # the whole batch fails and is retried; what was applied before it answers as duplicates
        # Its transaction is rolled back. The reason is fixed text: an exception's message
        # may quote the mutation's data (a phone, a name), so neither it nor the traceback
        # goes to the device, and the log gets only the type and the stack.
        failure = e
        outcome = MutationResult(id=m.id, status="rejected", code=INTERNAL_ERROR, reason=INTERNAL_REASON)
    try:
        with db.write() as conn:
            # A replay that ran in between recorded its answer first; that one stands. (On
            # PostgreSQL a retry can run in another worker at the same time: the second to
            # record fails on the mutations key, which is no error of the mutation's.)
            prior = _prior(conn, device_id, m)
            if prior is not None:
                return prior
            if failure is not None:
                log_unexpected(log, f"mutation {m.id} ({m.kind[:40]}) failed", failure)
            _record(conn, device_id, m, outcome)
            return outcome
    except IntegrityError:
        with db.read() as conn:  # the other worker's record committed between our read and insert
            prior = _prior(conn, device_id, m)
        if prior is None:
            raise
        return prior


def _answered(db: HubDB, device_id: str, m: Mutation) -> MutationResult | None:
    """The recorded answer to `m`, read in a fresh transaction; None also when the database is down."""
    try:
        with db.read() as conn:
            return _prior(conn, device_id, m)
    except SQLAlchemyError:
        return None


MAX_REDIRECTS = 3  # a survivor merged in turn into another, and so on


def _handle(handler: Handler, conn: Connection, m: Mutation, account: Account, device_id: str) -> tuple[dict, Mutation]:
    """Run the handler; a mutation naming a merged client (a tablet that wrote about her
    offline, before it heard of the merge) is applied to her survivor. Handlers look the
    client up before they write, so nothing of the first try is left to undo."""
    for _ in range(MAX_REDIRECTS):
        try:
            return handler(conn, m, account, device_id), m
        except members.Merged as e:
            m = _redirect(m, e.merged_id, e.survivor_id)
    return handler(conn, m, account, device_id), m


def _redirect(m: Mutation, merged_id: str, survivor_id: str) -> Mutation:
    payload = {**m.payload}
    if payload.get("client_id") == merged_id:
        payload["client_id"] = survivor_id
    entity_id = survivor_id if m.entity_id == merged_id else m.entity_id  # client.update, .viewed, .erase
    return m.model_copy(update={"payload": payload, "entity_id": entity_id})


# Plain driver statements (storage.sql) for the two per-mutation bookkeeping statements.


def _prior(conn: Connection, device_id: str, m: Mutation) -> MutationResult | None:
    """The first answer to this mutation, as a duplicate, if it was applied before."""
    prior = sql(conn, "SELECT response FROM mutations WHERE device_id = ? AND id = ?", (device_id, m.id)).fetchone()
    if prior is None:
        return None
    first = json.loads(prior[0])
    return MutationResult(
        id=m.id, status="duplicate", code=first.get("code"), reason=first.get("reason"), result={"first": first}
    )


def _record(conn: Connection, device_id: str, m: Mutation, outcome: MutationResult) -> None:
    sql(
        conn,
        "INSERT INTO mutations (device_id, id, kind, status, response, at) VALUES (?, ?, ?, ?, ?, ?)",
        (
            device_id,
            m.id,
            m.kind[:30],
            outcome.status,
            feed.dumps(outcome.model_dump(mode="json")),
            utcnow().isoformat(),
        ),
    )
