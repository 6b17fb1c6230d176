"""Async client of the central loyalty API (the hub).

A small public surface over httpx. Transport failures become `HubUnreachable`, problem
details become `HubError` with the hub's own title and detail, so callers can show them.
Pass `transport=` to talk to an in-process app in tests.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec

from sync.models import (
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    ChangePage,
    LoginResponse,
    Mutation,
    MutationBatch,
    MutationResponse,
)


class HubError(Exception):
    """The hub answered with an error (RFC 9457 problem details)."""

    def __init__(self, status: int, title: str, detail: str | None = None, type_: str = "about:blank"):
        self.status, self.title, self.detail, self.type = status, title, detail, type_
        super().__init__(f"{status} {title}" + (f": {detail}" if detail else ""))

    @property
    def retryable(self) -> bool:
        return self.status >= 500 or self.status in (408, 429)


class HubUnreachable(HubError):
    """No answer: the network is down, the hub is off, or the connection broke."""

    def __init__(self, detail: str):
        super().__init__(0, "Hub unreachable", detail)

    @property
    def retryable(self) -> bool:
        return True


class AuthExpired(HubError):
    """401: the token is unknown or revoked; the consultant must log in again."""

    @property
    def retryable(self) -> bool:
        return False


class HubClient:
    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 15.0,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = httpx.AsyncClient(
            base_url=self.base_url, timeout=httpx.Timeout(timeout, connect=5.0), transport=transport,
            headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION)},
        )

    async def __aenter__(self) -> "HubClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    def _headers(self, headers: dict[str, str] | None = None) -> dict[str, str]:
        headers = headers or {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    async def _request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        try:
            resp = await self._http.request(method, path, headers=self._headers(kw.pop("headers", None)), **kw)
        except httpx.TransportError as e:
            raise _unreachable(e) from e
        if resp.status_code >= 400:
            raise _error(resp)
        return resp

    async def login(self, login: str, password: str) -> LoginResponse:
        resp = await self._request("POST", "/v1/auth/login", json={"login": login, "password": password})
        out = LoginResponse.model_validate_json(resp.content)
        self.token = out.access_token
        return out

    async def health(self) -> bool:
        await self._request("GET", "/healthz")
        return True

    async def changes(self, cursor: int, limit: int = 1000, with_total: bool = False) -> ChangePage:
        params = {"cursor": cursor, "limit": limit}
        if with_total:
            params["with_total"] = "true"
        resp = await self._request("GET", "/v1/changes", params=params)
        return ChangePage.model_validate_json(resp.content)

    async def pull_page(self, cursor: int, limit: int = 1000, with_total: bool = False) -> "RawPage":
        """One page of the change feed for the engine's bulk path (see RawPage).

        Same request as `changes()`, without a pydantic model per change: at a million
        rows that costs more than the parsing itself.
        """
        params = {"cursor": cursor, "limit": limit}
        if with_total:
            params["with_total"] = "true"
        resp = await self._request("GET", "/v1/changes", params=params)
        return RawPage(resp.content)

    async def pull_file(self, cursor: int, limit: int, path: Path, with_total: bool = False,
                        on_headers: Callable[["FilePage"], None] | None = None) -> "FilePage":
        """One page of the change feed as a SQLite file (GET /v1/changes.sqlite), saved at `path`.

        Streamed to the file in ~1 MB writes off the event loop. `on_headers` learns the
        page's cursor as soon as the headers arrive, before the body (so the next page
        can be asked for meanwhile). A broken download raises `HubUnreachable` and leaves
        a partial file for the caller to delete.
        """
        params = {"cursor": cursor, "limit": limit}
        if with_total:
            params["with_total"] = "true"
        try:
            async with self._http.stream("GET", "/v1/changes.sqlite", params=params, headers=self._headers()) as resp:
                if resp.status_code >= 400:
                    await resp.aread()
                    raise _error(resp)
                try:
                    total = resp.headers.get("X-Vitrine-Total")
                    page = FilePage(path, int(resp.headers["X-Vitrine-Next-Cursor"]),
                                    resp.headers["X-Vitrine-Has-More"] == "true", None if total is None else int(total))
                except (KeyError, ValueError) as e:
                    raise HubError(502, "Bad change page", f"The page came without its cursor: {e}") from e
                if on_headers is not None:
                    on_headers(page)
                f = await asyncio.to_thread(path.open, "wb")
                try:
                    buffer = bytearray()
                    async for chunk in resp.aiter_bytes():
                        buffer += chunk
                        if len(buffer) >= 1 << 20:
                            await asyncio.to_thread(f.write, bytes(buffer))
                            buffer.clear()
                    await asyncio.to_thread(f.write, bytes(buffer))
                finally:
                    await asyncio.to_thread(f.close)
                return page
        except httpx.TransportError as e:
            raise _unreachable(e) from e

    async def push(self, device_id: str, mutations: list[Mutation]) -> MutationResponse:
        batch = MutationBatch(device_id=device_id, mutations=mutations)
        resp = await self._request("POST", "/v1/mutations", content=batch.model_dump_json(),
                                   headers={"Content-Type": "application/json"})
        return MutationResponse.model_validate_json(resp.content)

    async def put_blob(self, sha256: str, content: bytes, content_type: str = "application/octet-stream") -> bool:
        resp = await self._request("PUT", f"/v1/blobs/{sha256}", content=content,
                                   headers={"Content-Type": content_type})
        return bool(resp.json().get("created"))

    async def get_blob(self, sha256: str) -> bytes:
        return (await self._request("GET", f"/v1/blobs/{sha256}")).content


_TAIL = re.compile(rb',"next_cursor":(\d+),"has_more":(true|false),"total_estimate":(null|\d+)\}\s*$')
_NULL = msgspec.Raw(b"null")


class FeedRow(msgspec.Struct, frozen=True, gc=False):
    """One change of a page, its entity's JSON kept as the hub sent it (not parsed here)."""

    seq: int
    entity: str
    entity_id: str
    deleted: bool = False
    data: msgspec.Raw = _NULL
    client_id: str | None | msgspec.UnsetType = msgspec.UNSET  # UNSET: an older hub did not name it

    @property
    def gone(self) -> bool:
        return self.deleted or self.data == _NULL


class _WirePage(msgspec.Struct):
    changes: list[FeedRow]
    next_cursor: int
    has_more: bool
    total_estimate: int | None = None


_PAGE = msgspec.json.Decoder(_WirePage)


class RawPage:
    """One page of the change feed, as `FeedRow`s.

    `next_cursor`, `has_more` and `total_estimate` are known at once (read from the
    page's tail, where the hub writes them; from a full parse when the tail has another
    form), so the engine can ask for the next page before this one is read. `changes`
    is decoded on first use with msgspec, each entity's JSON left raw: the cache stores
    that text as it is, so a million-row sync neither builds a dict per row nor
    serialises it again (about 3x less CPU than a full parse).
    """

    __slots__ = ("body", "size", "next_cursor", "has_more", "total_estimate", "_changes")

    def __init__(self, body: bytes):
        self.body = body
        self.size = len(body)
        self._changes: list[FeedRow] | None = None
        m = _TAIL.search(body, max(0, len(body) - 200))
        if m:
            self.next_cursor, self.has_more = int(m[1]), m[2] == b"true"
            self.total_estimate = None if m[3] == b"null" else int(m[3])
        else:
            self._parse()

    @property
    def changes(self) -> list[FeedRow]:
        if self._changes is None:
            self._parse()
        return self._changes  # type: ignore[return-value]

    def _parse(self) -> None:
        try:
            doc = _PAGE.decode(self.body)
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            raise HubError(502, "Bad change page", f"The hub sent a change page that cannot be read: {e}") from e
        if getattr(self, "next_cursor", doc.next_cursor) != doc.next_cursor:
            raise HubError(502, "Bad change page", "The page's cursor does not match its changes.")
        if doc.changes and doc.changes[-1].seq != doc.next_cursor:
            raise HubError(502, "Bad change page", "The page's last change does not match its cursor.")
        self.next_cursor, self.has_more, self.total_estimate = doc.next_cursor, doc.has_more, doc.total_estimate
        self._changes = doc.changes
        self.body = b""  # the rows hold what is needed; let the page's bytes go


@dataclasses.dataclass(frozen=True, slots=True)
class FilePage:
    """A page of the feed saved as a SQLite file (see sync.hub.page_file), and where it leads."""

    path: Path
    next_cursor: int
    has_more: bool
    total_estimate: int | None = None


def _unreachable(e: httpx.TransportError) -> HubUnreachable:
    return HubUnreachable(f"{type(e).__name__}: {e}" if str(e) else type(e).__name__)


def _error(resp: httpx.Response) -> HubError:
    try:
        body = resp.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    title = str(body.get("title") or resp.reason_phrase or "Error")
    detail = body.get("detail")
    cls = AuthExpired if resp.status_code == 401 and "login" not in str(resp.request.url) else HubError
    return cls(resp.status_code, title, None if detail is None else str(detail),
               str(body.get("type", "about:blank")))
