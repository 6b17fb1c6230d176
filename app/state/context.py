"""What every feature model shares: the configuration, the cache, the route and language.

`AppModel` is the app-wide observable state (route, language, a notice); `Context`
is a plain holder of the shared services, handed to each feature model.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import flet as ft
import httpx

from app.cache.store import Cache
from app.services import hub_address
from app.services.platform import PlatformServices
from app.services.secrets import SecretStore
from app.state.messages import Message
from app.state.tasks import Tasks
from sync.client import HubClient


@dataclass
class Config:
    hub_url: str
    data_dir: Path
    sync_interval: float = 10.0
    hub_ca: Path | None = None  # a brand's own CA (PEM) for the hub's certificate
    lock_after: float = 300.0  # seconds without a touch or a key before the PIN is asked
    upload_dir: Path | None = None  # web mode: where a browser's picked file lands (read, then deleted)

    def hub_transport(self) -> tuple[ssl.SSLContext | bool, Message | None]:
        """How to verify the hub's certificate, and why the app must not talk to this hub at
        all (plain http beyond loopback, an unusable address or CA file), if it must not."""
        refused = hub_address.refusal(self.hub_url)
        if refused is not None:
            return True, Message.of(refused, self.hub_url)
        try:
            return hub_address.tls_verify(self.hub_ca), None
        except (OSError, ssl.SSLError):
            return True, Message.of("hub.bad_ca", str(self.hub_ca))

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
    hub_factory: Callable[..., HubClient] = HubClient
    verify: ssl.SSLContext | bool = True  # Config.hub_transport, once at start
    hub_refusal: Message | None = None  # why this hub is not to be talked to (then it never is)
    platform: PlatformServices = field(default_factory=PlatformServices)  # the page's; app.main sets it

    def hub(self, token: str | None = None) -> HubClient:
        """A protocol client for the configured hub (logged in when `token` is given). A
        refused hub gets a client that reaches nothing: the app works offline, as with the
        network down, and no password or token leaves the device."""
        if self.hub_refusal is not None:
            return self.hub_factory(self.config.hub_url, token, transport=_Refused())
        return self.hub_factory(self.config.hub_url, token, verify=self.verify)


class _Refused(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("the hub's address is refused (plain http beyond loopback)", request=request)
