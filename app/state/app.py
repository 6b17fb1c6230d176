"""The composition: one model per feature on one shared cache, and how they react to sync.

One `App` per process: the device has one cache file with one writer, and every
browser tab of a web-served app is the same device.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.cache.store import Cache
from app.services.secrets import SecretStore, open_store
from app.state.clients import ClientsModel
from app.state.context import AppModel, Config, Context
from app.state.lock import LockModel
from app.state.messages import Message
from app.state.profile import ProfileModel
from app.state.register import RegisterModel
from app.state.scan import ScanModel
from app.state.session import Session, SessionModel
from app.state.sync import SyncModel, SyncStatus

log = logging.getLogger("vitrine.app")


class App:
    def __init__(self, config: Config, secrets: SecretStore | None = None, clock: Callable[[], float] | None = None):
        self.ui = AppModel()
        cache, problem = Cache.open_or_quarantine(config.cache_path)
        if problem is not None:
            self.ui.notice = Message.of("notice.cache_damaged", problem.moved_to)
            log.warning("damaged cache moved to %s: %s", problem.moved_to, problem.detail)
        self.ctx = Context(config, cache, secrets or open_store(config.data_dir / "secrets"), self.ui)
        self.sync = SyncModel(self.ctx, self._on_sync)
        self.clients = ClientsModel(self.ctx)
        self.session = SessionModel(self.ctx, self.sync, self.clients, on_begin=self._on_begin)
        self.lock = LockModel(self.ctx, self.session, clock)
        self.profile = ProfileModel(self.ctx, self.session, self.sync, self.clients)
        self.register = RegisterModel(self.ctx, self.session, self.sync, self.clients, self.profile)
        self.scan = ScanModel(self.ctx, self.sync, self.profile)

    @property
    def cache(self) -> Cache:
        return self.ctx.cache

    @property
    def secrets(self) -> SecretStore:
        return self.ctx.secrets

    async def start(self) -> None:
        await self.session.start()

    async def _on_begin(self, who: Session, resumed: bool) -> None:
        await self.lock.begin(who, resumed)

    def _on_sync(self, before: SyncStatus, now: SyncStatus) -> None:
        """What the engine's progress means for the screens: re-read what the pull changed."""
        self.clients.book_loading = now.bulk
        if now.auth_expired:
            self.ui.notice = Message("notice.session_expired")
        tasks = self.ctx.tasks
        if now.pulled != before.pulled or not now.syncing:
            tasks.spawn(self.clients.refresh())
            if self.profile.is_open:
                tasks.spawn(self.profile.load())
        if self.scan.sent is not None or now.online != before.online:
            tasks.spawn(self.scan.refresh())  # the queued link's outcome: sent, then applied or refused

    async def close(self) -> None:
        """Shutdown: background work cancelled, the engine stopped, the cache closed."""
        await self.sync.disconnect()  # first: its last status may start a refresh
        await self.ctx.tasks.cancel_all()
        self.ctx.cache.close()
