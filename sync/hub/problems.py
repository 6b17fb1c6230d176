"""RFC 9457 problem details for every error the hub returns."""

from __future__ import annotations

import logging
import traceback

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("vitrine.hub")
PROBLEM = "application/problem+json"


class Problem(Exception):
    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        type_: str = "about:blank",
        headers: dict[str, str] | None = None,
        **extra: object,
    ):
        self.status, self.title, self.detail, self.type, self.extra = status, title, detail, type_, extra
        self.headers = headers
        super().__init__(detail or title)


def log_unexpected(logger: logging.Logger, what: str, exc: BaseException) -> None:
    """Log an unexpected error by its type and stack only. Its message may quote the data
    it failed on (a phone, a name, an SQL parameter), which must not reach a log."""
    stack = "".join(traceback.format_tb(exc.__traceback__))
    logger.error("%s: %s.%s\n%s", what, type(exc).__module__, type(exc).__qualname__, stack.rstrip())


def problem_response(
    status: int,
    title: str,
    detail: str | None = None,
    type_: str = "about:blank",
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: object,
) -> JSONResponse:
    body: dict[str, object] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extra)
    headers = {**({"WWW-Authenticate": "Bearer"} if status == 401 else {}), **(headers or {})}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def transient(e: BaseException) -> bool:
    """A database that failed or went away (lost connection, deadlock, serialization failure,
    a lock wait given up): nothing wrong with the request, a retry will do it."""
    return isinstance(e, (OperationalError, InterfaceError)) or (isinstance(e, DBAPIError) and e.connection_invalidated)


def unexpected_response(path: str, exc: BaseException) -> JSONResponse:
    """The answer to an error no handler expected: 503 to retry when the database went away
    (nothing is wrong with the request), else 500; logged without the exception's message."""
    if transient(exc):
        log.warning("database unavailable on %s: %s", path, type(exc).__name__)
        return problem_response(
            503,
            "Database unavailable",
            "The hub's database did not answer; the request can be retried.",
            instance=path,
            headers={"Retry-After": "1"},
        )
    log_unexpected(log, f"unhandled error on {path}", exc)
    return problem_response(500, "Internal error", "The hub failed; the request can be retried.", instance=path)


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return problem_response(exc.status, exc.title, exc.detail, exc.type, request.url.path, exc.headers, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return problem_response(exc.status_code, _title(exc.status_code), str(exc.detail), instance=request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", "")} for e in exc.errors()]
        return problem_response(
            422, "Invalid request", "The request does not match the schema.", instance=request.url.path, errors=errors
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        return unexpected_response(request.url.path, exc)


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
