"""Who is logged in: the login form, the stored session, login, resume and logout.

The session survives a restart offline: the token is in the secret store, who it
belongs to in the cache (`sync_state.session`, as JSON).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import InitVar, dataclass

import flet as ft
from pydantic import BaseModel, ConfigDict, ValidationError

from app.cache import sync_state
from app.state.clients import ClientsModel
from app.state.context import Context
from app.state.messages import Message
from app.state.sync import SyncModel
from sync.client import HubError, HubUnreachable
from sync.models import new_id

SESSION_KEY = "session"


class Session(BaseModel):
    """The consultant this device is logged in as."""

    model_config = ConfigDict(frozen=True)

    consultant_name: str
    store_name: str
    store_id: str
    consultant_id: str | None = None

    def dumps(self) -> str:
        return self.model_dump_json()

    @classmethod
    def loads(cls, stored: str | None) -> Session | None:
        """The stored session: JSON, or the pipe-separated text of earlier versions
        ("name|store|store_id|consultant_id", the last part added later). Unreadable: None."""
        if not stored:
            return None
        if stored.lstrip().startswith("{"):
            try:
                return cls.model_validate_json(stored)
            except ValidationError:
                return None
        parts = stored.split("|")
        if len(parts) < 3:
            return None
        name, store_name, store_id, *rest = parts
        return cls(
            consultant_name=name,
            store_name=store_name,
            store_id=store_id,
            consultant_id=rest[0] if rest and rest[0] else None,
        )


def _device_id(db) -> str:
    found = sync_state.get_state(db, "device_id")
    if found:
        return found
    did = new_id()
    sync_state.set_state(db, "device_id", did)
    return did


@ft.observable
@dataclass(eq=False)
class SessionModel:
    ctx: InitVar[Context]
    sync: InitVar[SyncModel]
    clients: InitVar[ClientsModel]
    login: str = ""
    password: str = ""
    error: Message | None = None
    busy: bool = False
    current: Session | None = None
    # Awaited before the store's book shows, with whether the session was resumed from storage
    # (the PIN lock: app.state.lock).
    on_begin: InitVar[Callable[[Session, bool], Awaitable[None]] | None] = None

    def __post_init__(
        self,
        ctx: Context,
        sync: SyncModel,
        clients: ClientsModel,
        on_begin: Callable[[Session, bool], Awaitable[None]] | None,
    ) -> None:
        self._ctx, self._sync, self._clients = ctx, sync, clients
        self._on_begin = on_begin

    @property
    def token_key(self) -> str:
        return f"token:{self._ctx.config.hub_url}"

    async def start(self) -> None:
        """Resume a stored session (works offline), else show the login screen."""
        ctx = self._ctx
        ctx.device_id = await ctx.cache.write(_device_id)
        token = await asyncio.to_thread(ctx.secrets.get, self.token_key)
        stored = await ctx.cache.read(sync_state.get_state, SESSION_KEY)
        session = Session.loads(stored)
        if session is not None and stored is not None and not stored.lstrip().startswith("{"):
            await ctx.cache.write(sync_state.set_state, SESSION_KEY, session.dumps())  # once, on upgrade
        if token and session:
            if self._on_begin:
                await self._on_begin(session, True)
            self._begin(token, session)
        else:
            ctx.ui.go("/login")

    def _begin(self, token: str, session: Session) -> None:
        self.current = session
        self._sync.connect(token)
        self._ctx.ui.go("/clients")
        self._ctx.tasks.spawn(self._clients.refresh())

    async def log_in(self) -> bool:
        """Check the typed login with the hub; what was typed stays whatever the outcome."""
        ctx = self._ctx
        if not self.login.strip() or not self.password:
            self.error = Message("login.empty")
            return False
        self.busy, self.error = True, None
        client = ctx.hub()
        try:
            me = await client.login(self.login.strip(), self.password)
        except HubUnreachable:
            self.error = Message("login.unreachable")
            return False
        except HubError as e:
            self.error = Message("login.wrong") if e.status == 401 else Message.of("login.failed", e.title)
            return False
        finally:
            self.busy = False
            await client.close()
        previous = await ctx.cache.read(sync_state.get_state, "store_id")
        if previous and previous != me.store_id:
            # Another store's book must not mix with this one: start the feed over.
            await ctx.cache.write(sync_state.set_state, "cursor", "0")
        session = Session(
            consultant_name=me.consultant_name,
            store_name=me.store_name,
            store_id=me.store_id,
            consultant_id=me.consultant_id,
        )
        await asyncio.to_thread(ctx.secrets.set, self.token_key, me.access_token)
        await ctx.cache.write(sync_state.set_state, SESSION_KEY, session.dumps())
        await ctx.cache.write(sync_state.set_state, "store_id", me.store_id)
        self.password = ""
        if self._on_begin:
            await self._on_begin(session, False)
        self._begin(me.access_token, session)
        return True

    async def log_out(self) -> None:
        ctx = self._ctx
        await self._sync.disconnect()  # first: its last status may start a refresh
        await ctx.tasks.cancel_all()
        await asyncio.to_thread(ctx.secrets.delete, self.token_key)
        await ctx.cache.write(sync_state.set_state, SESSION_KEY, None)
        self.current = None
        ctx.ui.go("/login")
