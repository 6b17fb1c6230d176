"""What every feature model shares: the configuration, the cache, the route and language.

`AppModel` is the app-wide observable state (route, language, a notice); `Context`
is a plain holder of the shared services, handed to each feature model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import flet as ft

from app.cache.store import Cache
from app.services.secrets import SecretStore
from app.state.messages import Message
from app.state.tasks import Tasks
from sync.client import HubClient


@dataclass
class Config:
    hub_url: str
    data_dir: Path
    sync_interval: float = 10.0
    lock_after: float = 300.0  # seconds without a touch or a key before the PIN is asked

    @property
    def cache_path(self) -> Path:
        return self.data_dir / "cache.sqlite"


@ft.observable
@dataclass(eq=False)
class AppModel:
    route: str = "/login"  # the single source of truth for what is shown
    lang: str = "ru"
    notice: Message | None = None  # a problem the consultant must know about (e.g. damaged cache)

    def go(self, route: str) -> None:
        self.route = route

    def switch_lang(self) -> None:
        self.lang = "en" if self.lang == "ru" else "ru"

    def dismiss_notice(self) -> None:
        self.notice = None


@dataclass(eq=False)
class Context:
    config: Config
    cache: Cache
    secrets: SecretStore
    ui: AppModel
    tasks: Tasks = field(default_factory=Tasks)
    device_id: str = ""  # read at start, off the event loop
    hub_factory: Callable[[str, str | None], HubClient] = HubClient

    def hub(self, token: str | None = None) -> HubClient:
        """A protocol client for the configured hub (logged in when `token` is given)."""
        return self.hub_factory(self.config.hub_url, token)
