"""The Settings screen's model: the hub's address, language, sync interval, this device, reset.

Settings live in the device's settings file (app.services.device_settings), not in the
cache: a reset keeps them, and they hold nothing personal. "Reset this device" wipes the
cache (drafts included), the secrets of this hub (tokens, device id, PIN hashes) and
returns to the login. It is one confirmation when the outbox has drained; otherwise the
screen first lists what would be lost, by kind, and asks a second time.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import InitVar, dataclass, field, replace
from pathlib import Path

import flet as ft

from app.cache import outbox
from app.services import device_settings, hub_address
from app.services.device_settings import DeviceSettings
from app.state.context import AppModel, Config, Context
from app.state.messages import Message
from app.state.session import SessionModel
from app.state.sync import SyncModel

log = logging.getLogger("vitrine.settings")


def cache_bytes(path: Path) -> int:
    """The cache's size on disk: the file, its WAL and shared memory."""
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists())


def applied(config: Config, ui: AppModel) -> Config:
    """The configuration with the device's saved choices over the command line's (at start)."""
    saved = device_settings.load(device_settings.path_in(config.data_dir))
    if saved.lang:
        ui.lang = saved.lang
    return replace(
        config,
        hub_url=saved.hub_url or config.hub_url,
        sync_interval=saved.sync_interval or config.sync_interval,
    )


@ft.observable
@dataclass(eq=False)
class SettingsModel:
    ctx: InitVar[Context]
    sync: InitVar[SyncModel]
    session: InitVar[SessionModel]
    hub_url: str = ""  # as typed
    hub_error: Message | None = None
    message: Message | None = None
    interval: float = 10.0
    size: int | None = None  # the cache's bytes on disk
    losses: list[tuple[str, int]] = field(default_factory=list)  # (mutation kind, count) a reset would lose
    confirm: int = 0  # 0: no question; 1: "reset?"; 2: "lose these changes?"
    busy: bool = False

    def __post_init__(self, ctx: Context, sync: SyncModel, session: SessionModel) -> None:
        self._ctx, self._sync, self._session = ctx, sync, session

    @property
    def _path(self) -> Path:
        return device_settings.path_in(self._ctx.config.data_dir)

    async def _settings(self) -> DeviceSettings:
        return await asyncio.to_thread(device_settings.load, self._path)

    async def _store(self, **changes: object) -> None:
        now = (await self._settings()).with_(**changes)
        await asyncio.to_thread(device_settings.save, self._path, now)

    @property
    def device_id(self) -> str:
        return self._ctx.device_id

    async def open(self) -> None:
        """Show the screen with what is in force now."""
        saved = await self._settings()
        self.hub_url = saved.hub_url or self._ctx.config.hub_url
        self.interval = self._ctx.config.sync_interval
        self.hub_error = self.message = None
        self.confirm = 0
        self._ctx.ui.go("/settings")
        await self.refresh()

    async def refresh(self) -> None:
        """The cache's size and what is still queued (re-read on every sync status)."""
        self.size = await asyncio.to_thread(cache_bytes, self._ctx.cache.path)
        self.losses = await self._ctx.cache.read(outbox.unsent_by_kind)

    @property
    def unsent(self) -> int:
        return sum(n for _, n in self.losses)

    async def save_hub(self) -> bool:
        """A valid address is kept for the next start (tokens and the cache belong to a hub:
        switching under a running session would mix them). A refused one stays typed."""
        url = self.hub_url.strip().rstrip("/")
        refused = hub_address.refusal(url)
        if refused is not None:
            self.hub_error, self.message = Message.of(refused, url), None
            return False
        await self._store(hub_url=url)
        self.hub_url, self.hub_error, self.message = url, None, Message("settings.hub_saved")
        return True

    async def set_lang(self, lang: str) -> None:
        if lang not in device_settings.LANGS:
            return
        self._ctx.ui.lang = lang
        await self._store(lang=lang)

    async def set_interval(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self.interval = self._ctx.config.sync_interval = seconds
        engine = self._sync.engine
        if engine is not None:
            engine.interval = seconds  # from the next round on
        await self._store(sync_interval=seconds)

    def sync_now(self) -> None:
        self._sync.sync_now()
        self.message = Message("settings.sync_started")

    async def ask_reset(self) -> None:
        """First step: what a reset would lose is read afresh, then the question is shown."""
        await self.refresh()
        self.confirm = 1

    def cancel_reset(self) -> None:
        self.confirm = 0

    async def confirm_reset(self) -> bool:
        """Confirmed: with an empty outbox the device is reset; with changes queued, the
        consultant is asked once more (the list of losses stays on screen)."""
        await self.refresh()
        if self.unsent and self.confirm < 2:
            self.confirm = 2
            return False
        self.busy = True
        try:
            await self._session.reset_device(self.unsent)
        finally:
            self.busy, self.confirm = False, 0
        self.losses, self.size = [], None
        return True
