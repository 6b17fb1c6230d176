"""The ASGI middleware in front of the hub's API (plain ASGI: a few microseconds a request).

- A request-size limit, answered 413 before the body is read: a Content-Length above the
  limit is refused from the headers alone, and a body without one (chunked) is counted as
  it streams and cut off at the limit. FastAPI parses a body before any dependency runs
  (the bearer-token check included), so without this anyone could make the hub buffer
  and parse any amount of JSON without logging in.
- Security headers on every answer (see `SecurityHeaders`).
- An unexpected error answered as problem details (500) and logged by its type and stack
  only, without its message (problems.unexpected_response); Starlette's own error middleware
  would re-raise it to the server, which logs the message (it may quote personal data).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from starlette.exceptions import HTTPException

from sync.hub.problems import problem_response, unexpected_response
from sync.models import MAX_REQUEST_BYTES

log = logging.getLogger("vitrine.hub")

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

# A JSON request at most (a device's push is cut to 1 MiB by the engine, app.sync_engine.engine.PUSH_BYTES;
# a till's batch of receipts is the biggest body there is).
MAX_BODY = MAX_REQUEST_BYTES
DOCS_PATHS = ("/docs", "/redoc")


@dataclass(frozen=True)
class BodyLimits:
    default: int = MAX_BODY
    by_prefix: dict[str, int] = field(default_factory=dict)  # e.g. blob uploads: their own cap

    def for_path(self, path: str) -> int:
        for prefix, limit in self.by_prefix.items():
            if path.startswith(prefix):
                return limit
        return self.default


class BodyTooLarge(HTTPException):
    """Raised to the endpoint reading a body past the limit (FastAPI re-raises an HTTPException
    met while parsing a body, where any other error would become a 400)."""

    def __init__(self, limit: int):
        super().__init__(413, f"The request body is larger than {limit} bytes.")
        self.limit = limit


def _header(name: str, value: str) -> tuple[bytes, bytes]:
    return name.lower().encode("latin-1"), value.encode("latin-1")


class SecurityHeaders:
    """The headers every answer carries (unless the endpoint set its own):

    X-Content-Type-Options: nosniff (a browser never runs an answer as another type),
    Referrer-Policy: no-referrer, X-Frame-Options and CSP frame-ancestors (never framed),
    a CSP that lets an API answer load nothing (the interactive docs and a mounted web UI,
    `ui_prefixes`, need their scripts: Flutter's, the CanvasKit wasm),
    Cache-Control: no-store on /v1/ (tokens and personal data stay out of caches), and
    Strict-Transport-Security when the request came over HTTPS."""

    def __init__(self) -> None:
        common = [
            _header("X-Content-Type-Options", "nosniff"),
            _header("Referrer-Policy", "no-referrer"),
            _header("X-Frame-Options", "DENY"),
        ]
        self.docs = [*common, _header("Content-Security-Policy", "frame-ancestors 'none'")]
        self.other = [*common, _header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")]
        self.api = [*self.other, _header("Cache-Control", "no-store")]
        self.hsts = _header("Strict-Transport-Security", "max-age=31536000")

    def for_scope(
        self, scope: MutableMapping[str, Any], ui_prefixes: tuple[str, ...] = ()
    ) -> list[tuple[bytes, bytes]]:
        path: str = scope["path"]
        page = path.startswith(DOCS_PATHS) or (bool(ui_prefixes) and path.startswith(ui_prefixes))
        chosen = self.api if path.startswith("/v1/") else self.docs if page else self.other
        return [*chosen, self.hsts] if scope.get("scheme") == "https" else chosen


class HTTPGuard:
    def __init__(self, app: ASGIApp, limits: BodyLimits | None = None, ui_prefixes: tuple[str, ...] = ()):
        self.app = app
        self.limits = limits or BodyLimits()
        self.headers = SecurityHeaders()
        self.ui_prefixes = ui_prefixes

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers.for_scope(scope, self.ui_prefixes)
        limit = self.limits.for_path(scope["path"])
        state = {"started": False, "exceeded": False, "replaced": False}

        async def send_guarded(message: Message) -> None:
            if state["replaced"]:
                return  # our 413 went out instead of the app's answer
            if message["type"] == "http.response.start":
                if state["exceeded"] and message.get("status") != 413:
                    # the app turned the cut-off body into another error: the answer is a 413
                    state["replaced"] = True
                    await self._too_large(scope, send_plain, limit)
                    return
                state["started"] = True
                present = {name.lower() for name, _ in message.get("headers", [])}
                message = {
                    **message,
                    "headers": [*message.get("headers", []), *(h for h in extra if h[0] not in present)],
                }
            await send(message)

        async def send_plain(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._too_large(scope, send_plain, limit)  # the body is never read
            return

        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    state["exceeded"] = True
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, receive_limited, send_guarded)
        except Exception as e:  # noqa: BLE001 - answered here, logged without its message
            if state["exceeded"]:
                if not state["started"] and not state["replaced"]:
                    await self._too_large(scope, send_plain, limit)
                return
            response = unexpected_response(scope["path"], e)
            if not state["started"] and not state["replaced"]:
                await response(scope, receive, send_plain)

    @staticmethod
    async def _too_large(scope: MutableMapping[str, Any], send: Send, limit: int) -> None:
        # Connection: close - the rest of the body is never read, so the connection cannot be reused.
        response = problem_response(
            413,
            "Request too large",
            f"The request body must be at most {limit} bytes.",
            "urn:vitrine:too-large",
            instance=scope["path"],
            headers={"Connection": "close"},
            limit=limit,
        )

        async def nothing() -> Message:
            return {"type": "http.disconnect"}

        await response(scope, nothing, send)


def _content_length(scope: MutableMapping[str, Any]) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None
