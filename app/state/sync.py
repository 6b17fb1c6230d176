"""Sync as the consultant sees it: the engine's status, and what the hub refused.

This is the one place the device's sync engine is built and owned: it runs while a
session is open (`connect` at login or resume, `disconnect` at logout or shutdown).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import InitVar, dataclass, field

import flet as ft

from app.cache import blobs, outbox, queries
from app.cache.queries import Operation
from app.cache.replica import CacheReplica
from app.state.context import Context
from app.sync_engine import SyncEngine, SyncStatus
from sync.client import HubClient


@ft.observable
@dataclass(eq=False)
class SyncModel:
    ctx: InitVar[Context]
    on_status: InitVar[Callable[[SyncStatus, SyncStatus], None] | None] = None
    status: SyncStatus = field(default_factory=SyncStatus)
    rejections: list[Operation] = field(default_factory=list)

    def __post_init__(self, ctx: Context, on_status: Callable[[SyncStatus, SyncStatus], None] | None) -> None:
        self._ctx = ctx
        self._on_status = on_status
        self._engine: SyncEngine | None = None
        self._client: HubClient | None = None

    @property
    def device_id(self) -> str:
        return self._ctx.device_id

    @property
    def engine(self) -> SyncEngine | None:
        return self._engine

    @property
    def client(self) -> HubClient | None:
        return self._client

    def connect(
        self,
        token: str,
        refresh_token: str | None = None,
        on_tokens: Callable[[str, str], Awaitable[None]] | None = None,
    ) -> None:
        """Start syncing with the hub as the logged-in consultant; the client renews an
        expired access token with `refresh_token` and hands the new pair to `on_tokens`."""
        ctx = self._ctx
        self._client = ctx.hub(token)
        self._client.refresh_token, self._client.on_tokens = refresh_token, on_tokens
        self._engine = SyncEngine(
            CacheReplica(ctx.cache),
            self._client,
            ctx.device_id,
            on_status=self._status,
            interval=ctx.config.sync_interval,
            blob_loader=lambda sha: ctx.cache.read_sync(blobs.load, sha),  # runs in a worker thread
        )
        self._engine.start()

    async def disconnect(self) -> None:
        engine, client = self._engine, self._client
        self._engine = self._client = None
        if engine:
            await engine.stop()
        if client:
            await client.close()

    def _status(self, status: SyncStatus) -> None:
        before, self.status = self.status, status
        if self._on_status:
            self._on_status(before, status)

    def sync_now(self) -> None:
        if self._engine:
            self._engine.kick()

    async def load_rejections(self) -> None:
        self.rejections = await self._ctx.cache.read(queries.rejections)

    async def dismiss_rejection(self, mutation_id: str) -> None:
        await self._ctx.cache.write(outbox.dismiss_rejected, mutation_id)
        await self.load_rejections()
        if self._engine:
            await self._engine.refresh_counts()
