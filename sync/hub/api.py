"""The hub's HTTP API (FastAPI). Stateless: every request reads what it needs from the
database, so several processes can serve one PostgreSQL behind a load balancer."""

import asyncio
import datetime as dt
import gc
import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, Query, Request, Response
from fastapi import Path as Path_
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from sync import page
from sync.hub import (
    audit,
    auth,
    counter_api,
    duplicates_api,
    feed,
    handlers,
    http_guard,
    loyalty_api,
    mutations,
    page_file,
    problems,
    receipts,
    records,
    reports_api,
    results_api,
    schedule,
    sessions,
    throttle,
)
from sync.hub import clock as hub_clock
from sync.hub.auth import Account
from sync.hub.problems import Problem
from sync.hub.storage import HubDB
from sync.models import (
    DEVICE_REVOKED,
    PROTOCOL_VERSION,
    TOKEN_EXPIRED,
    Device,
    LoginRequest,
    LoginResponse,
    Me,
    MutationBatch,
    MutationResponse,
    PosReceipt,
    RefreshRequest,
    TokenPair,
)

MAX_BLOB = 20 * 1024 * 1024
SHA256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class PosBatch(BaseModel):
    receipts: list[PosReceipt] = Field(min_length=1, max_length=1000)


class PosResult(BaseModel):
    receipt_id: str
    client_id: str | None
    duplicate: bool


class PosResponse(BaseModel):
    results: list[PosResult]


class PageFileResponse(FileResponse):
    """A page file (sync.hub.page_file), deleted once sent or when the device hangs up."""

    chunk_size = 1 << 20  # the file is read in the thread pool, one hand-off per chunk (default 64 KiB)

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            Path(self.path).unlink(missing_ok=True)


def _stores_of(conn, acc: Account) -> list[str]:
    """The stores whose reports and devices `acc` manages: its brand's for an admin, else its own."""
    return auth.brand_stores(conn, acc.brand_id) if acc.may(auth.BRAND_WIDE) else [acc.store_id]


def _device_revoked() -> Problem:
    return Problem(
        401,
        "Device revoked",
        "A manager revoked this device: it must delete what it holds. Log in again to use it anew.",
        DEVICE_REVOKED,
    )


def _session_ended() -> Problem:
    return Problem(401, "Session expired", "The session is unknown, ended or revoked; log in again.")


def _when(t: float | None):
    return None if t is None else dt.datetime.fromtimestamp(t, dt.UTC)


class BlobStored(BaseModel):
    sha256: str
    created: bool


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Bad request", "content": {"application/problem+json": {}}},
    401: {"description": "Not logged in", "content": {"application/problem+json": {}}},
    403: {"description": "Not open to this account's role or store", "content": {"application/problem+json": {}}},
    413: {"description": "Request body too large", "content": {"application/problem+json": {}}},
    422: {"description": "Invalid request", "content": {"application/problem+json": {}}},
}
LOGIN_RESPONSES: dict[int | str, dict] = {
    429: {
        "description": "Too many failed logins for this account or address; see Retry-After",
        "content": {"application/problem+json": {}},
    },
    503: {
        "description": "Too many logins being checked at once; see Retry-After",
        "content": {"application/problem+json": {}},
    },
}
# Blobs are served as downloads of one fixed type, never rendered: a stored blob is bytes a
# device uploaded, and echoing its content type would let it run as a page on the hub.
BLOB_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}


class PasswordChecks:
    """At most `concurrent` argon2 checks at once (64 MiB each), the others waiting on the
    event loop rather than in a pool thread; past `queued` waiting, `busy` says so."""

    def __init__(self, concurrent: int, queued: int):
        self._slots = asyncio.Semaphore(concurrent)
        self._queued, self._waiting = queued, 0

    @property
    def busy(self) -> bool:
        return self._waiting >= self._queued

    async def run(self, check: Callable[[], tuple[Account, str] | None]) -> tuple[Account, str] | None:
        self._waiting += 1
        try:
            async with self._slots:
                return await run_in_threadpool(check)
        finally:
            self._waiting -= 1


def create_app(
    db: HubDB,
    expiry_interval: float | None = None,
    freeze_gc: bool = False,
    *,
    docs: bool = True,
    login_limits: throttle.LoginLimits | None = None,
    clock: Callable[[], float] = time.time,
    lifetimes: sessions.Lifetimes | None = None,
    lookup_limit: throttle.Limit | None = None,
    web_ui_path: str | None = None,
) -> FastAPI:
    """The API; with `expiry_interval` (seconds) it also runs the points-expiry job.

        `freeze_gc`: for a serving process (`serve`), see the lifespan below. `docs`: serve
        /docs, /redoc and /openapi.json. `login_limits`: login throttling (sync.hub.throttle),
        on the time `clock` tells (epoch seconds), as token lifetimes are (`lifetimes`: how long
    access and refresh tokens live, sync.hub.sessions). `lookup_limit`: brand-wide client
    lookups per account (sync.hub.duplicates_api). `web_ui_path`: where `serve --web-app` mounts
    a web UI (sync.hub.web_app), whose pages get the headers a page needs."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        db.warm_up()
        task = asyncio.create_task(_expiry_loop(db, expiry_interval)) if expiry_interval else None
        if freeze_gc:
            # Everything built so far (modules, the app, pydantic and SQLAlchemy internals)
            # lives as long as the process; frozen, the collector stops walking it. Each
            # full collection took 60-100 ms of the GIL before, a stall every few seconds
            # under load; now a few ms.
            gc.collect()
            gc.freeze()
        yield
        if task:
            task.cancel()

    app = FastAPI(
        lifespan=lifespan,
        title="Vitrine hub",
        version="1",
        description="Central loyalty API: consultants, clients, points ledger, receipts, change feed. "
        "See docs/sync-protocol.md for the sync contract.",
        responses=PROBLEM_RESPONSES,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.db = db
    problems.install(app)
    # A web UI mounted under `web_ui_path` (sync.hub.web_app): its pages run scripts, and a
    # browser's photo upload there is a blob's size.
    ui = (web_ui_path.rstrip("/") + "/",) if web_ui_path else ()
    limits_by_path = {"/v1/blobs/": MAX_BLOB, **dict.fromkeys(ui, MAX_BLOB)}
    app.add_middleware(http_guard.HTTPGuard, limits=http_guard.BodyLimits(by_prefix=limits_by_path), ui_prefixes=ui)
    limits = login_limits or throttle.LoginLimits()
    checks = PasswordChecks(limits.concurrent_checks, limits.queued_checks)
    bearer = HTTPBearer(auto_error=False)
    life = lifetimes or sessions.Lifetimes()
    cache = sessions.SessionCache(clock=clock)

    # Both dependencies are `async def`: FastAPI runs a plain `def` dependency in the
    # thread pool, and a pull paid two extra thread hand-offs (and GIL round trips) for
    # a dictionary lookup and an integer comparison. Only a session-cache miss touches
    # the database, and that goes to the pool.
    def lookup(token: str) -> sessions.Found:
        with db.read() as conn:
            return sessions.account_for_access(conn, token, clock())

    async def account(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Account:
        if creds is None:
            raise Problem(401, "Not logged in", "Send the access token from /v1/auth/login as a Bearer token.")
        acc = cache.get(creds.credentials)
        if acc is None:
            try:
                found = await run_in_threadpool(lookup, creds.credentials)
            except sessions.DeviceRevoked:
                raise _device_revoked() from None
            except sessions.TokenExpired:
                raise Problem(
                    401, "Access token expired", "Renew it at /v1/auth/refresh with the refresh token.", TOKEN_EXPIRED
                ) from None
            except sessions.SessionEnded:
                raise _session_ended() from None
            cache.put(creds.credentials, found)
            acc = found.account
        return acc

    def allowed(roles: frozenset[str], what: str):
        """A dependency: the logged-in account, when its role is one of `roles`; else 403.
        (The store is each endpoint's own check: it reads and writes only the account's.)"""

        async def dep(acc: Annotated[Account, Depends(account)]) -> Account:
            if not acc.may(roles):
                raise Problem(
                    403, "Not allowed", f"{what} is not open to a {acc.role} account.", "urn:vitrine:forbidden"
                )
            return acc

        return dep

    staff = allowed(auth.STORE_STAFF, "A store's client book")
    receipt_sender = allowed(auth.RECEIPT_SENDERS, "Posting till receipts")
    report_reader = allowed(auth.REPORT_READERS, "The reports")
    device_manager = allowed(auth.DEVICE_MANAGERS, "The device registry")
    counter_api.add_counter_routes(app, db, staff)
    reports_api.add_report_routes(app, db, report_reader)
    results_api.add_results_routes(app, db, allowed)

    async def protocol(
        x_vitrine_protocol: Annotated[
            int,
            Header(
                description="Sync protocol version; others are refused with a message",
                json_schema_extra={"enum": [PROTOCOL_VERSION]},
            ),
        ],
    ) -> None:
        if x_vitrine_protocol != PROTOCOL_VERSION:
            raise Problem(
                400,
                "Unsupported protocol version",
                f"This hub speaks sync protocol {PROTOCOL_VERSION}, the app sent {x_vitrine_protocol}. Update the app.",
                "urn:vitrine:protocol-version",
            )

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict:
        with db.read() as conn:
            conn.exec_driver_sql("SELECT 1")
        return {"ok": True, "protocol": PROTOCOL_VERSION}

    def begin_attempt(counted: list[tuple[str, throttle.Limit]], now: float) -> float | None:
        with db.write() as conn:
            return throttle.begin_attempt(conn, counted, now)

    def check_password(body: LoginRequest) -> tuple[Account, str] | None:
        with db.read() as conn:
            return auth.check_password(conn, body.login, body.password)

    def login_failed(counted: list[tuple[str, throttle.Limit]], now: float) -> None:
        with db.write() as conn:
            throttle.failed(conn, counted, now)

    def claimed_device(acc: Account, body: LoginRequest) -> str | None:
        with db.read() as conn:
            return sessions.claimed_device(conn, acc, body.device_id, body.device_key)

    def login_succeeded(
        counted: list[tuple[str, throttle.Limit]], acc: Account, device_id: str | None, label: str | None
    ) -> sessions.Issued:
        with db.write() as conn:
            throttle.succeeded(conn, counted)
            sessions.purge(conn, clock())  # sessions past renewal: cheap by index, and keeps the table small
            return sessions.start(conn, acc, device_id, label, clock(), life)

    @app.post("/v1/auth/login", response_model=LoginResponse, tags=["auth"], responses=LOGIN_RESPONSES)
    async def login(body: LoginRequest, request: Request) -> LoginResponse:
        if checks.busy:
            raise Problem(
                503,
                "Hub busy",
                "Too many logins are being checked right now; try again in a moment.",
                "urn:vitrine:login-busy",
                headers={"Retry-After": "1"},
            )
        counted = throttle.keys(body.login, request.client.host if request.client else "unknown", limits)
        wait = await run_in_threadpool(begin_attempt, counted, clock())
        if wait is not None:
            raise Problem(
                429,
                "Too many login attempts",
                f"Too many wrong passwords. Try again in {max(1, round(wait / 60))} min.",
                "urn:vitrine:login-locked",
                headers={"Retry-After": throttle.retry_after(wait)},
            )
        found = await checks.run(lambda: check_password(body))
        if found is None:
            await run_in_threadpool(login_failed, counted, clock())
            raise Problem(
                401,
                "Wrong login or password",
                "Check the login and password and try again.",
                "urn:vitrine:bad-credentials",
            )
        acc, store_name = found
        try:  # a tablet a manager revoked wipes itself before anyone logs in on it again
            device_id = await run_in_threadpool(claimed_device, acc, body)
        except sessions.DeviceRevoked:
            raise _device_revoked() from None
        issued = await run_in_threadpool(login_succeeded, counted, acc, device_id, body.device_label)
        return LoginResponse(
            access_token=issued.access_token,
            expires_in=issued.expires_in,
            refresh_token=issued.refresh_token,
            device_id=issued.device_id,
            device_key=issued.device_key or "",
            consultant_id=acc.id,
            consultant_name=acc.name,
            store_id=acc.store_id,
            store_name=store_name,
        )

    def rotate(token: str) -> sessions.Issued:
        reused: sessions.SessionEnded | None = None
        with db.write() as conn:
            try:
                issued, replaced = sessions.refresh(conn, token, clock(), life)
            except sessions.SessionEnded as e:
                if e.reused_by is None:
                    raise
                reused = e  # the revocation commits with this transaction; then the refusal
            else:
                cache.forget_hash(replaced)
                return issued
        cache.forget(session_id=reused.reused_by)
        raise reused

    @app.post("/v1/auth/refresh", response_model=TokenPair, tags=["auth"])
    async def refresh(body: RefreshRequest) -> TokenPair:
        """A new access token for the refresh token, which rotates: the one sent is spent, and
        sending it again revokes the whole session (it was copied)."""
        try:
            issued = await run_in_threadpool(rotate, body.refresh_token)
        except sessions.DeviceRevoked:
            raise _device_revoked() from None
        except sessions.SessionEnded:
            raise _session_ended() from None
        return TokenPair(
            access_token=issued.access_token, expires_in=issued.expires_in, refresh_token=issued.refresh_token
        )

    def end_session(session_id: str) -> None:
        with db.write() as conn:
            sessions.end(conn, session_id, clock())
        cache.forget(session_id=session_id)

    @app.post("/v1/auth/logout", status_code=204, tags=["auth"], response_class=Response)
    async def logout(acc: Annotated[Account, Depends(account)]) -> Response:
        """End this session on the hub: its access and refresh tokens stop working."""
        if acc.session_id is not None:
            await run_in_threadpool(end_session, acc.session_id)
        return Response(status_code=204)

    @app.get("/v1/devices", response_model=list[Device], tags=["auth"])
    def list_devices(acc: Annotated[Account, Depends(device_manager)]) -> list[Device]:
        with db.read() as conn:
            rows = sessions.devices(conn, _stores_of(conn, acc))
        return [
            Device(
                id=r["id"],
                store_id=r["store_id"],
                account_id=r["account_id"],
                account_name=r["account_name"],
                label=r["label"],
                created_at=_when(r["created_at"]),
                last_seen=_when(r["last_seen"]),
                revoked_at=_when(r["revoked_at"]),
            )
            for r in rows
        ]

    @app.post(
        "/v1/devices/{device_id}/revoke",
        status_code=204,
        tags=["auth"],
        response_class=Response,
        responses={404: PROBLEM_RESPONSES[400]},
    )
    def revoke_device(
        device_id: Annotated[str, Path_(max_length=36)], acc: Annotated[Account, Depends(device_manager)]
    ) -> Response:
        """Revoke a device (a lost tablet): every session on it ends, and its next request is
        answered `device-revoked`, on which the app deletes its cache and secrets."""
        with db.write() as conn:
            done = sessions.revoke_device(conn, device_id, _stores_of(conn, acc), clock())
        if not done:  # unknown, or another store's: the same answer
            raise Problem(404, "No such device", f"No device {device_id} is registered for this store.")
        cache.forget(device_id=device_id)
        return Response(status_code=204)

    @app.get("/v1/me", response_model=Me, tags=["auth"])
    def me(acc: Annotated[Account, Depends(account)]) -> Me:
        return Me(
            id=acc.id,
            name=acc.name,
            role=acc.role,
            store_id=acc.store_id,
            brand_id=acc.brand_id,
            device_id=acc.device_id,
        )

    # The hot endpoints (pull, mutations, till receipts) are `async def` and run their
    # database work right on the event loop, not in the thread pool. A statement takes
    # microseconds (SQLite) or one loopback round trip (PostgreSQL), less than the thread
    # hand-off it replaces. Worse, every SQLite or psycopg call releases the GIL, so a
    # pool thread holding the write lock (SQLite) or the feed's advisory lock (PostgreSQL)
    # had to win the GIL back after each statement while the other threads ran: writers
    # queued for tens (SQLite) to hundreds (PostgreSQL) of ms behind a lock held by a
    # thread that was not running. On the loop one request runs at a time per process, so
    # a lock holder runs to its commit. (With PostgreSQL on another host, give `serve`
    # more --workers to cover the network waits.)

    @app.get("/v1/changes", response_model=page.ChangePage, tags=["sync"], dependencies=[Depends(protocol)])
    async def changes(
        acc: Annotated[Account, Depends(staff)],
        cursor: Annotated[int, Query(ge=0, le=2**62)] = 0,
        limit: Annotated[int, Query(ge=1, le=page.JSON_MAX_ROWS)] = 1000,
        with_total: bool = False,
    ) -> Response:
        with db.read() as conn:
            rows, next_cursor, has_more = feed.page(conn, acc.store_id, cursor, limit)
            total = feed.remaining(conn, acc.store_id, cursor) if with_total else None
        meta = page.PageMeta(next_cursor, has_more, total)
        return Response(
            page.render_json([change for _, change in rows], meta),
            media_type=page.JSON_MEDIA_TYPE,
            headers=meta.headers(),
        )

    def write_page_file(store_id: str, cursor: int, limit: int, with_total: bool, path: Path) -> page.PageMeta:
        meta, _ = page_file.write(db, store_id, cursor, limit, path)
        if not with_total:
            return meta
        with db.read() as conn:
            return page.PageMeta(meta.next_cursor, meta.has_more, feed.remaining(conn, store_id, cursor))

    @app.get(
        "/v1/changes.sqlite",
        tags=["sync"],
        dependencies=[Depends(protocol)],
        response_class=FileResponse,
        responses={
            200: {
                "description": "The same page as /v1/changes, as a SQLite file (docs/sync-protocol.md)",
                "content": {page.FILE_MEDIA_TYPE: {}},
            }
        },
    )
    async def changes_file(
        acc: Annotated[Account, Depends(staff)],
        cursor: Annotated[int, Query(ge=0, le=2**62)] = 0,
        limit: Annotated[int, Query(ge=1, le=page.FILE_MAX_ROWS)] = page.FILE_MAX_ROWS,
        with_total: bool = False,
    ) -> FileResponse:
        fd, name = tempfile.mkstemp(prefix="vitrine-page-", suffix=".sqlite")
        os.close(fd)
        path = Path(name)
        try:
            meta = await run_in_threadpool(write_page_file, acc.store_id, cursor, limit, with_total, path)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return PageFileResponse(path, media_type=page.FILE_MEDIA_TYPE, headers=meta.headers())

    @app.post("/v1/mutations", response_model=MutationResponse, tags=["sync"], dependencies=[Depends(protocol)])
    async def post_mutations(batch: MutationBatch, acc: Annotated[Account, Depends(staff)]) -> Response:
        if batch.device_id != acc.device_id:
            # The device id is the hub's, bound to the session at login: a device cannot
            # write (nor replay answers) under another's id.
            raise Problem(
                403,
                "Another device's id",
                "The batch names a device other than the one this session was issued at login.",
                "urn:vitrine:device-mismatch",
            )
        # A device back online pushes up to 500 at once; each mutation is its own
        # transaction, so let other requests run between them rather than hold the loop.
        results = []
        for m in batch.mutations:
            results.append(mutations.apply_one(db, acc, batch.device_id, m))
            await asyncio.sleep(0)
        return _json(MutationResponse(results=results))

    @app.put("/v1/blobs/{sha256}", response_model=BlobStored, tags=["sync"])
    async def put_blob(sha256: SHA256, request: Request, acc: Annotated[Account, Depends(staff)]) -> BlobStored:
        # Streamed, hashed and capped as it comes (the HTTP guard cuts the body off at
        # MAX_BLOB too); never read whole before its size is known.
        digest, body = hashlib.sha256(), bytearray()
        async for chunk in request.stream():
            if len(body) + len(chunk) > MAX_BLOB:
                raise Problem(413, "Blob too large", f"At most {MAX_BLOB // (1024 * 1024)} MB.")
            digest.update(chunk)
            body += chunk
        if digest.hexdigest() != sha256:
            raise Problem(400, "Hash mismatch", "The body's SHA-256 differs from the address.")
        with db.write() as conn:
            created = records.put_blob(conn, sha256, bytes(body), acc.store_id)
        return BlobStored(sha256=sha256, created=created)

    @app.get(
        "/v1/blobs/{sha256}",
        tags=["sync"],
        response_class=Response,
        responses={200: {"content": {records.BLOB_CONTENT_TYPE: {}}}, 404: PROBLEM_RESPONSES[400]},
    )
    def get_blob(sha256: SHA256, acc: Annotated[Account, Depends(staff)]) -> Response:
        with db.read() as conn:
            found = records.get_blob(conn, sha256, acc.store_id)
        if found is None:  # unknown, or another store's: the same answer
            raise Problem(404, "No such blob", f"No blob {sha256} has been uploaded.")
        return Response(
            found,
            media_type=records.BLOB_CONTENT_TYPE,
            headers={**BLOB_HEADERS, "Content-Disposition": f'attachment; filename="{sha256}"'},
        )

    @app.post("/v1/pos/receipts", response_model=PosResponse, tags=["receipts"])
    async def post_receipts(batch: PosBatch, acc: Annotated[Account, Depends(receipt_sender)]) -> Response:
        foreign, out_of_bounds = receipts.till_refusals(batch.receipts, acc.store_id, hub_clock.now())
        if foreign:
            raise Problem(
                403,
                "Another store's receipts",
                "A till posts receipts of its own store only; "
                f"receipts {', '.join(map(str, foreign[:20]))} name another store_id.",
                "urn:vitrine:foreign-store",
                receipts=foreign,
            )
        if out_of_bounds:
            raise Problem(
                422,
                "Receipt time out of bounds",
                "Check the till's clock; nothing of this batch was stored.",
                "urn:vitrine:receipt-bounds",
                errors=out_of_bounds,
            )
        with db.write() as conn:
            out = [PosResult(**x) for x in handlers.ingest_receipts(conn, batch.receipts)]
        return _json(PosResponse(results=out))

    audit_reader = allowed(audit.READERS, "A client's audit log")

    @app.get(
        "/v1/clients/{client_id}/audit",
        tags=["audit"],
        response_class=Response,
        responses={200: {"content": {"application/json": {}, "text/csv": {}}}, 404: PROBLEM_RESPONSES[400]},
    )
    def client_audit(
        client_id: str, acc: Annotated[Account, Depends(audit_reader)], format: Literal["json", "csv"] = "json"
    ) -> Response:
        """Who changed or viewed this client (152-FZ): ids and times only, oldest first."""
        with db.write() as conn:
            rows = audit.export(conn, client_id, acc)
        if rows is None:  # unknown, or another store's: the same answer
            raise Problem(404, "No such client", "This client is not known to the hub.")
        if format == "csv":
            return Response(
                audit.to_csv(rows),
                media_type="text/csv",
                headers={"Content-Disposition": 'attachment; filename="audit.csv"', "Cache-Control": "no-store"},
            )
        return Response(feed.dumps(rows), media_type="application/json", headers={"Cache-Control": "no-store"})

    loyalty_api.add_loyalty_routes(app, db, staff)
    duplicates_api.add_duplicate_routes(
        app, db, staff, allowed(frozenset({auth.MANAGER}), "Duplicate pairs"), clock, lookup_limit
    )
    return app


def _json(model: BaseModel) -> Response:
    """A model built here, serialized once by pydantic. Returning the model instead makes
    FastAPI validate it again against `response_model`, for a sync endpoint in one more
    thread-pool hand-off; the JSON is the same."""
    return Response(model.model_dump_json(), media_type="application/json")


async def _expiry_loop(db: HubDB, interval: float) -> None:
    """The scheduled loyalty job (sync.hub.schedule): what time made due, every `interval`
    seconds, from the first moment the hub serves (so it catches up after downtime)."""
    log = logging.getLogger("vitrine.hub.expiry")
    while True:
        try:
            done = await asyncio.to_thread(schedule.run_due, db)
            written = await asyncio.to_thread(handlers.expire_points, db)
            if done.clients or written:
                log.info("loyalty job: %d clients brought up to date, %d ledger entries", done.clients, done.entries)
        except Exception:  # another process may have run it; try next time
            log.exception("loyalty job failed")
        await asyncio.sleep(interval)
