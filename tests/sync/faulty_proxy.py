"""A fault-injecting HTTP/1.1 proxy on loopback, between devices and the real hub.

Each request a device sends is read whole (head + Content-Length body), then one fault
is drawn from a seeded random generator:

===================  ======================================================================
drop_request         forward part of the request to the hub (or none), then cut both sides
drop_response        forward the request, let the hub answer, pass on only part of the answer
error_500            answer 500 without the hub seeing the request
error_500_after      forward the request, throw the hub's answer away, answer 500
delay                wait a little before forwarding and before answering
duplicate            send the same request to the hub twice (one after the other, or both at
                     once on two connections) and pass on one of the answers
stall                hold the request past the device's timeout, then still deliver it late
===================  ======================================================================

Every upstream request goes on a fresh connection with ``Connection: close``, and every
answer to the device says ``Connection: close`` too, so a fault never desynchronises a
kept-alive connection: the device's next request opens a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter

FAULTS = ("drop_request", "drop_response", "error_500", "error_500_after", "delay", "duplicate", "stall")

ERROR_500 = (
    b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/problem+json\r\n"
    b"content-length: 80\r\nconnection: close\r\n\r\n"
    + b'{"type":"about:blank","title":"Injected fault","status":500,"detail":"proxy"}'.ljust(80)
)


class FaultyProxy:
    def __init__(
        self,
        upstream_port: int,
        seed: int = 0,
        *,
        rates: dict[str, float] | None = None,
        stall_s: float = 2.0,
        max_delay_s: float = 0.2,
        host: str = "127.0.0.1",
    ):
        self.host = host
        self.upstream_port = upstream_port
        self.rnd = random.Random(seed)
        self.rates = dict(rates or {})
        self.stall_s = stall_s
        self.max_delay_s = max_delay_s
        self.stats: Counter[str] = Counter()
        self.plan: list[str | None] = []  # faults for the next requests, in order, before random ones
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def set_rates(self, **rates: float) -> None:
        self.rates = rates

    async def start(self) -> FaultyProxy:
        self._server = await asyncio.start_server(self._handle, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for t in list(self._tasks):
            t.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> FaultyProxy:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def drain(self) -> None:
        """Wait for late deliveries (stalled or duplicated requests still on their way)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- plumbing -----------------------------------------------------------------------

    def _draw(self) -> str | None:
        if self.plan:
            return self.plan.pop(0)
        x = self.rnd.random()
        for name in FAULTS:
            p = self.rates.get(name, 0.0)
            if x < p:
                return name
            x -= p
        return None

    def _track(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            request = await _read_request(reader)
            if request is not None:
                await self._serve(request, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
            if task is not None:
                self._tasks.discard(task)

    async def _serve(self, request: bytes, writer: asyncio.StreamWriter) -> None:
        fault = self._draw()
        self.stats[fault or "clean"] += 1
        self.stats["requests"] += 1
        if fault == "error_500":
            writer.write(ERROR_500)
            await writer.drain()
            return
        if fault == "drop_request":
            cut = self.rnd.randrange(0, len(request))
            if cut:
                await self._partial_upstream(request[:cut])
            return
        if fault == "delay":
            await asyncio.sleep(self.rnd.uniform(0, self.max_delay_s))
        if fault == "stall":
            # The device gives up waiting; the request reaches the hub afterwards anyway.
            self._track(self._late(request, self.stall_s))
            await asyncio.sleep(self.stall_s)
            return
        if fault == "duplicate":
            if self.rnd.random() < 0.5:
                first = await self._upstream(request)
                second = await self._upstream(request)
            else:
                first, second = await asyncio.gather(self._upstream(request), self._upstream(request))
            response = self.rnd.choice([first, second])
        else:
            response = await self._upstream(request)
        if fault == "error_500_after":
            writer.write(ERROR_500)
        elif fault == "drop_response":
            writer.write(response[: self.rnd.randrange(0, max(1, len(response)))])
        else:
            if fault == "delay":
                await asyncio.sleep(self.rnd.uniform(0, self.max_delay_s))
            writer.write(response)
        await writer.drain()

    async def _late(self, request: bytes, after: float) -> None:
        await asyncio.sleep(after * self.rnd.uniform(0.5, 1.5))
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await self._upstream(request)

    async def _upstream(self, request: bytes) -> bytes:
        r, w = await asyncio.open_connection(self.host, self.upstream_port)
        try:
            w.write(request)
            await w.drain()
            return _close_header(await r.read())
        finally:
            w.close()

    async def _partial_upstream(self, part: bytes) -> None:
        try:
            _, w = await asyncio.open_connection(self.host, self.upstream_port)
        except ConnectionError:
            return
        w.write(part)
        with contextlib.suppress(ConnectionError):
            await w.drain()
        w.close()


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    """One whole request, rewritten to close the upstream connection after the answer."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head[:-4].split(b"\r\n")
    length = 0
    kept = [lines[0]]
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        key = name.strip().lower()
        if key == b"content-length":
            length = int(value.strip())
        if key in (b"connection", b"keep-alive"):
            continue
        if key == b"transfer-encoding":
            raise ConnectionError("chunked requests are not supported by the test proxy")
        kept.append(line)
    kept.append(b"Connection: close")
    body = await reader.readexactly(length) if length else b""
    return b"\r\n".join(kept) + b"\r\n\r\n" + body


def _close_header(response: bytes) -> bytes:
    """The hub's answer with `connection: close`, so the device opens a new connection next."""
    head, sep, body = response.partition(b"\r\n\r\n")
    if not sep:
        return response
    lines = [ln for ln in head.split(b"\r\n") if not ln.lower().startswith((b"connection:", b"keep-alive:"))]
    lines.append(b"connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
