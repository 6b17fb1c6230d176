"""A lean HTTP/1.1 keep-alive client for load generation (like wrk, in asyncio).

httpx costs more CPU per request than the hub spends answering it; on a 2-core machine
that measures the load generator, not the hub. This client does only what the
benchmark needs: one persistent connection, JSON bodies, Content-Length responses.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from urllib.parse import urlencode


class Conn:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """The open connection, opened first if there is none."""
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self.reader, self.writer

    async def request(
        self,
        method: str,
        path: str,
        body: object | None = None,
        headers: dict | None = None,
        params: dict | None = None,
    ) -> tuple[int, bytes]:
        if params:
            path = f"{path}?{urlencode(params)}"
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(data)}"]
        if body is not None:
            head.append("Content-Type: application/json")
        for k, v in (headers or {}).items():
            head.append(f"{k}: {v}")
        raw = ("\r\n".join(head) + "\r\n\r\n").encode() + data
        for attempt in (0, 1):  # a keep-alive connection the server closed: reopen once
            try:
                reader, writer = await self._connection()
                writer.write(raw)
                status_line = await reader.readline()
                if not status_line:
                    raise ConnectionError("closed")
                status = int(status_line.split()[1])
                length = 0
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "content-length":
                        length = int(value.strip())
                payload = await reader.readexactly(length) if length else b""
                return status, payload
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                await self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None
