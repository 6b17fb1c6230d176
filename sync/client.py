"""Async client of the central loyalty API (the hub).

A small public surface over httpx. Transport failures become `HubUnreachable`, problem
details become `HubError` with the hub's own title and detail, so callers can show them.
Pass `transport=` to talk to an in-process app in tests.
"""

from __future__ import annotations

import asyncio
import inspect
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from sync.models import (
    DEVICE_REVOKED,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    ClientLookup,
    DuplicatePair,
    LoginRequest,
    LoginResponse,
    LookupMatch,
    LookupResult,
    Me,
    MergeRequest,
    MergeResult,
    Mutation,
    MutationBatch,
    MutationResponse,
    RefreshRequest,
    ShareResult,
    TokenPair,
)
from sync.page import NEXT_CURSOR_HEADER, BadPage, FilePage, PageMeta, RawPage


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


class DeviceRevoked(AuthExpired):
    """401 device-revoked: a manager revoked this device; it must wipe its cache and secrets."""


T = TypeVar("T")
TokensSaver = Callable[[str, str], "Awaitable[None] | None"]
"""Called with (access token, refresh token) whenever they change: the app keeps them in its
secret store (never in the cache or a log). A refresh token is spent once used, so the new
one must be saved before the next refresh."""


class HubClient:
    """With a `refresh_token`, an access token the hub calls expired (any 401 but a revoked
    device) is renewed once, transparently, and the request sent again; concurrent requests
    share one renewal. `on_tokens` is told the new pair."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        refresh_token: str | None = None,
        on_tokens: TokensSaver | None = None,
        timeout: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
    ):
        """`verify`: the default trust (True), or an SSL context that trusts a brand's own CA."""
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.refresh_token = refresh_token
        self.on_tokens = on_tokens
        self._renewing = asyncio.Lock()
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=5.0),
            transport=transport,
            verify=verify,
            headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION)},
        )

    async def __aenter__(self) -> HubClient:
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
        headers = kw.pop("headers", None)
        return await self._authed(lambda: self._send(method, path, headers=dict(headers or {}), **kw))

    async def _send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        try:
            resp = await self._http.request(method, path, headers=self._headers(kw.pop("headers", None)), **kw)
        except httpx.TransportError as e:
            raise _unreachable(e) from e
        if resp.status_code >= 400:
            raise _error(resp)
        return resp

    async def _authed(self, call: Callable[[], Awaitable[T]]) -> T:
        """`call`, sent once more after renewing the access token if the hub refused it."""
        used = self.token
        try:
            return await call()
        except DeviceRevoked:
            raise
        except AuthExpired:
            if self.refresh_token is None:
                raise
            await self._renew(used)
        return await call()

    async def _renew(self, used: str | None) -> None:
        """Renew the access token, once for all the requests that found `used` refused."""
        async with self._renewing:
            if self.token != used:  # another request renewed it meanwhile
                return
            await self.refresh()

    async def refresh(self) -> TokenPair:
        """Rotate the tokens now (POST /v1/auth/refresh); AuthExpired when the session is over."""
        if self.refresh_token is None:
            raise AuthExpired(401, "Not logged in", "No refresh token.")
        body = RefreshRequest(refresh_token=self.refresh_token).model_dump_json()
        try:
            resp = await self._send(
                "POST", "/v1/auth/refresh", content=body, headers={"Content-Type": "application/json"}
            )
        except AuthExpired:
            self.refresh_token = None  # spent or revoked: sending it again could only revoke more
            raise
        pair = TokenPair.model_validate_json(resp.content)
        self.token, self.refresh_token = pair.access_token, pair.refresh_token
        if self.on_tokens is not None:
            saved = self.on_tokens(pair.access_token, pair.refresh_token)
            if inspect.isawaitable(saved):
                await saved
        return pair

    async def login(
        self,
        login: str,
        password: str,
        *,
        device_label: str | None = None,
        device_id: str | None = None,
        device_key: str | None = None,
    ) -> LoginResponse:
        """Log in; the hub issues the device id (or keeps `device_id`, proved by its `device_key`)."""
        body = LoginRequest(
            login=login, password=password, device_label=device_label, device_id=device_id, device_key=device_key
        )
        resp = await self._send(
            "POST",
            "/v1/auth/login",
            content=body.model_dump_json(exclude_none=True),
            headers={"Content-Type": "application/json"},
        )
        out = LoginResponse.model_validate_json(resp.content)
        self.token, self.refresh_token = out.access_token, out.refresh_token
        return out

    async def me(self) -> Me:
        """Who this session's account is (its role: what the app may offer)."""
        resp = await self._request("GET", "/v1/me")
        return Me.model_validate_json(resp.content)

    async def logout(self) -> None:
        """End the session on the hub (its access and refresh tokens stop working)."""
        await self._request("POST", "/v1/auth/logout")
        self.token = self.refresh_token = None

    async def pull_page(self, cursor: int, limit: int = 1000, with_total: bool = False) -> RawPage:
        """One JSON page of the change feed (GET /v1/changes), its meta read from the headers.

        Its changes are decoded when the engine applies it (see RawPage): at a million
        rows a model per change costs more than the parsing itself. (A hub that sends no
        page headers: the body is decoded here for its meta.)
        """
        params: dict[str, int | str] = {"cursor": cursor, "limit": limit}
        if with_total:
            params["with_total"] = "true"
        resp = await self._request("GET", "/v1/changes", params=params)
        try:
            if NEXT_CURSOR_HEADER not in resp.headers:
                return RawPage.from_body(resp.content)
            return RawPage(resp.content, PageMeta.from_headers(resp.headers))
        except BadPage as e:
            raise bad_page(e) from e

    async def pull_file(
        self,
        cursor: int,
        limit: int,
        path: Path,
        with_total: bool = False,
        on_headers: Callable[[FilePage], None] | None = None,
    ) -> FilePage:
        """One page of the change feed as a SQLite file (GET /v1/changes.sqlite), saved at `path`.

        Streamed to the file in ~1 MB writes off the event loop. `on_headers` learns the
        page's cursor as soon as the headers arrive, before the body (so the next page
        can be asked for meanwhile). A broken download raises `HubUnreachable` and leaves
        a partial file for the caller to delete.
        """
        params: dict[str, int | str] = {"cursor": cursor, "limit": limit}
        if with_total:
            params["with_total"] = "true"
        return await self._authed(lambda: self._stream_file(params, path, on_headers))

    async def _stream_file(
        self, params: dict[str, int | str], path: Path, on_headers: Callable[[FilePage], None] | None
    ) -> FilePage:
        try:
            async with self._http.stream("GET", "/v1/changes.sqlite", params=params, headers=self._headers()) as resp:
                if resp.status_code >= 400:
                    await resp.aread()
                    raise _error(resp)
                try:
                    page = FilePage(path, PageMeta.from_headers(resp.headers))
                except BadPage as e:
                    raise bad_page(e) from e
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
        resp = await self._request(
            "POST", "/v1/mutations", content=batch.model_dump_json(), headers={"Content-Type": "application/json"}
        )
        return MutationResponse.model_validate_json(resp.content)

    async def put_blob(self, sha256: str, content: bytes, content_type: str = "application/octet-stream") -> bool:
        resp = await self._request(
            "PUT", f"/v1/blobs/{sha256}", content=content, headers={"Content-Type": content_type}
        )
        return bool(resp.json().get("created"))

    async def get_blob(self, sha256: str) -> bytes:
        return (await self._request("GET", f"/v1/blobs/{sha256}")).content

    # --- duplicates across the brand (sync.hub.duplicates_api) ------------------------------

    async def lookup_clients(self, query: ClientLookup) -> list[LookupMatch]:
        """Masked clients of the brand with this phone, e-mail or name + birthday. POST: the
        values travel in the body, never in a URL. A 429 (rate limit) is a HubError."""
        resp = await self._request(
            "POST",
            "/v1/clients/lookup",
            content=query.model_dump_json(exclude_none=True),
            headers={"Content-Type": "application/json"},
        )
        return LookupResult.model_validate_json(resp.content).matches

    async def share_client(self, client_id: str) -> ShareResult:
        """Serve a client of another store of the brand in this one: her record and entities."""
        resp = await self._request("POST", f"/v1/clients/{client_id}/share")
        return ShareResult.model_validate_json(resp.content)

    async def duplicate_pairs(self, status: str = "open") -> list[DuplicatePair]:
        """A manager's: the brand's duplicate pairs with a client of this store."""
        resp = await self._request("GET", "/v1/duplicates", params={"status": status})
        return [DuplicatePair.model_validate(p) for p in resp.json()]

    async def merge_pair(self, pair_id: str, survivor_id: str) -> MergeResult:
        """A manager's: merge the pair into `survivor_id` (the other becomes a tombstone)."""
        resp = await self._request(
            "POST",
            f"/v1/duplicates/{pair_id}/merge",
            content=MergeRequest(survivor_id=survivor_id).model_dump_json(),
            headers={"Content-Type": "application/json"},
        )
        return MergeResult.model_validate_json(resp.content)

    async def dismiss_pair(self, pair_id: str) -> None:
        """A manager's: the two are different people; the pair is closed."""
        await self._request("POST", f"/v1/duplicates/{pair_id}/dismiss")

    async def counter_quote(self, client_id: str, lines: list[dict], redeem_points: int | None = None) -> dict:
        """The hub's counter figures for a basket (POST /v1/clients/{id}/counter-quote):
        `lines` as {"price", "qty", "discount", "sale"}; see sync.rules.counter.Quote."""
        body = {"lines": lines, "redeem_points": redeem_points}
        return (await self._request("POST", f"/v1/clients/{client_id}/counter-quote", json=body)).json()

    async def results(self, period_from: str, period_to: str, consultant: str | None = None) -> dict[str, Any]:
        """What the work brought over [from, to] (GET /v1/reports/results; days YYYY-MM-DD):
        a consultant's own row, a manager's store per consultant (sync.hub.results_api)."""
        params = {"from": period_from, "to": period_to, **({"consultant": consultant} if consultant else {})}
        return (await self._request("GET", "/v1/reports/results", params=params)).json()


def bad_page(e: BadPage) -> HubError:
    """A page that does not follow sync.page's format, as the engine reports it."""
    return HubError(502, "Bad change page", str(e))


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
    type_ = str(body.get("type", "about:blank"))
    cls: type[HubError] = HubError
    if resp.status_code == 401 and type_ == DEVICE_REVOKED:
        cls = DeviceRevoked  # at login too: a revoked tablet wipes itself before anything else
    elif resp.status_code == 401 and not resp.request.url.path.endswith("/auth/login"):
        cls = AuthExpired
    return cls(resp.status_code, title, None if detail is None else str(detail), type_)
