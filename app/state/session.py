"""Who is logged in: the login form, the stored session, login, resume, logout and wipes.

The session survives a restart offline: its tokens are in the secret store (never in the
cache or a log), who it belongs to in the cache (`sync_state.session`, as JSON).

- Tokens: a short-lived access token and a rotating refresh token; the protocol client
  renews the first with the second and the new pair is saved here (`_save_tokens`).
- The device id is the hub's, issued at the first login with a key that lets later logins
  on this tablet keep it (both in the secret store): a queued mutation keeps its
  exactly-once key across logins.
- Logout sends what is queued (under the session that made it), ends the session on the
  hub (best effort offline) and deletes the tokens here whatever the hub said.
- The cache belongs to one consultant of one store (`OWNER_KEY`). Another account or store
  at login wipes it, but only once its outbox has drained: a queued change is never
  pushed under the next consultant's name nor lost. If it has not drained, the previous
  session's tokens (if any are left) push it first; otherwise the switch is refused with a
  message naming whose changes wait, and the cache is kept until that consultant logs in
  and syncs.
- A device the hub says is revoked wipes its cache and secrets at once and says so.
"""

from __future__ import annotations

import asyncio
import json
import logging
import platform
from collections.abc import Awaitable, Callable
from dataclasses import InitVar, dataclass

import flet as ft
from pydantic import BaseModel, ConfigDict, ValidationError

from app.cache import outbox, sync_state
from app.cache.store import open_device_cache, wipe
from app.services.pins import pins_secret_key
from app.state.clients import ClientsModel
from app.state.context import Context
from app.state.messages import Message
from app.state.sync import SyncModel
from sync.client import DeviceRevoked, HubClient, HubError, HubUnreachable
from sync.models import MANAGER_ROLE, LoginResponse

log = logging.getLogger("vitrine.session")

SESSION_KEY = "session"
OWNER_KEY = "owner"  # whose cache this is (a Session), kept after logout: what its outbox holds is theirs
LOGOUT_PUSH_TIMEOUT = 20.0  # seconds a logout waits to send what is queued before ending the session


class Session(BaseModel):
    """The consultant this device is logged in as."""

    model_config = ConfigDict(frozen=True)

    consultant_name: str
    store_name: str
    store_id: str
    consultant_id: str | None = None
    role: str = ""
    """The account's role (GET /v1/me): what the app may offer, e.g. a manager changes any diary
    entry of her store. "" until known (a session stored by an earlier version: asked again)."""

    @property
    def manager(self) -> bool:
        return self.role == MANAGER_ROLE

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

    # --- secrets ---------------------------------------------------------------------------

    @property
    def token_key(self) -> str:
        return f"token:{self._ctx.config.hub_url}"

    @property
    def refresh_key(self) -> str:
        return f"refresh:{self._ctx.config.hub_url}"

    @property
    def device_key(self) -> str:
        return f"device:{self._ctx.config.hub_url}"

    async def _secret(self, key: str) -> str | None:
        return await asyncio.to_thread(self._ctx.secrets.get, key)

    async def _save_tokens(self, access: str, refresh: str) -> None:
        """The client renewed the tokens: the refresh token it replaced is spent."""
        secrets = self._ctx.secrets
        await asyncio.to_thread(secrets.set, self.refresh_key, refresh)
        await asyncio.to_thread(secrets.set, self.token_key, access)

    async def _forget_tokens(self) -> None:
        for key in (self.token_key, self.refresh_key):
            await asyncio.to_thread(self._ctx.secrets.delete, key)

    async def _device(self) -> tuple[str | None, str | None]:
        """The id and key the hub issued this device, if any."""
        stored = await self._secret(self.device_key)
        try:
            found = json.loads(stored) if stored else {}
        except ValueError:
            found = {}
        return found.get("id"), found.get("key")

    # --- start, login, logout -------------------------------------------------------------

    async def start(self) -> None:
        """Resume a stored session (works offline), else show the login screen."""
        ctx = self._ctx
        ctx.device_id = (await self._device())[0] or ""
        token = await self._secret(self.token_key)
        refresh = await self._secret(self.refresh_key)
        stored = await ctx.cache.read(sync_state.get_state, SESSION_KEY)
        session = Session.loads(stored)
        if session is not None and stored is not None and not stored.lstrip().startswith("{"):
            await ctx.cache.write(sync_state.set_state, SESSION_KEY, session.dumps())  # once, on upgrade
        if token and session:
            if self._on_begin:
                await self._on_begin(session, True)
            self._begin(token, refresh, session)
        else:
            ctx.ui.go("/login")

    def _begin(self, token: str, refresh: str | None, session: Session) -> None:
        self.current = session
        self._sync.connect(token, refresh, self._save_tokens)
        self._ctx.ui.go("/clients")
        self._ctx.tasks.spawn(self._clients.refresh())
        if not session.role:
            self._ctx.tasks.spawn(self._learn_role(session))

    async def _learn_role(self, session: Session) -> None:
        """A session stored before roles were kept: ask the hub (offline: at the next start)."""
        client = self._sync.client
        role = await _role(client) if client is not None else ""
        if not role or self.current is not session:  # logged out or switched meanwhile
            return
        self.current = session.model_copy(update={"role": role})
        await self._ctx.cache.write(sync_state.set_state, SESSION_KEY, self.current.dumps())

    async def log_in(self) -> bool:
        """Check the typed login with the hub; what was typed stays whatever the outcome."""
        ctx = self._ctx
        if not self.login.strip() or not self.password:
            self.error = Message("login.empty")
            return False
        if ctx.hub_refusal is not None:  # the password never goes to such a hub
            self.error = ctx.hub_refusal
            return False
        self.busy, self.error = True, None
        device_id, device_key = await self._device()
        client = ctx.hub()
        try:
            me = await client.login(
                self.login.strip(),
                self.password,
                device_label=_label(),
                device_id=device_id,
                device_key=device_key,
            )
            role = await _role(client)  # not in the login answer: asking keeps older hubs and apps compatible
        except HubUnreachable:
            self.error = Message("login.unreachable")
            return False
        except DeviceRevoked:
            await self._wipe_device()
            self.error = Message("login.device_revoked")
            return False
        except HubError as e:
            self.error = Message("login.wrong") if e.status == 401 else Message.of("login.failed", e.title)
            return False
        finally:
            self.busy = False
            await client.close()
        session = Session(
            consultant_name=me.consultant_name,
            store_name=me.store_name,
            store_id=me.store_id,
            consultant_id=me.consultant_id,
            role=role,
        )
        # The tablet's id and its new key, whether or not this login goes on: the key the
        # hub had before is no longer valid, and the id must stay the tablet's.
        await asyncio.to_thread(
            ctx.secrets.set, self.device_key, json.dumps({"id": me.device_id, "key": me.device_key})
        )
        if not await self._take_over(session, me):
            return False
        await self._save_tokens(me.access_token, me.refresh_token)
        ctx.device_id = me.device_id
        await ctx.cache.write(sync_state.set_state, SESSION_KEY, session.dumps())
        await ctx.cache.write(sync_state.set_state, OWNER_KEY, session.dumps())
        await ctx.cache.write(sync_state.set_state, "store_id", me.store_id)
        self.password = ""
        if self._on_begin:
            await self._on_begin(session, False)
        self._begin(me.access_token, me.refresh_token, session)
        return True

    async def _owner(self) -> Session | None:
        """Whose cache this is: the owner recorded at login, or (a cache from before owners
        were recorded) the stored session, or else only its store."""
        cache = self._ctx.cache
        for key in (OWNER_KEY, SESSION_KEY):
            found = Session.loads(await cache.read(sync_state.get_state, key))
            if found is not None:
                return found
        store = await cache.read(sync_state.get_state, "store_id")
        return Session(consultant_name="", store_name="", store_id=store) if store else None

    async def _take_over(self, session: Session, me: LoginResponse) -> bool:
        """Make the cache the new session's: as it is for its owner, wiped for anyone else
        once its outbox has drained. False (and the new session ended) when it cannot be."""
        ctx = self._ctx
        owner = await self._owner()
        if owner is None or (owner.store_id == session.store_id and owner.consultant_id == session.consultant_id):
            return True
        queued = await self._queued()
        if queued:
            await self._push_as_previous()
            queued = await self._queued()
        if queued:
            log.info("login refused: %d queued changes of the previous consultant", queued)
            client = ctx.hub()
            client.token = me.access_token
            try:
                await client.logout()  # this login is not used: leave no live session behind
            except HubError:
                pass
            finally:
                await client.close()
            self.error = Message.of("login.previous_outbox", queued, owner.consultant_name or "?")
            return False
        await self._wipe_cache()
        return True

    async def _queued(self) -> int:
        counts = await self._ctx.cache.read(outbox.counts)
        return counts["pending"] + counts["waiting"]

    async def _push_as_previous(self) -> None:
        """Send the queue under the session that made it, if its tokens are still here and work."""
        token, refresh = await self._secret(self.token_key), await self._secret(self.refresh_key)
        if not token or not self._ctx.device_id:
            return
        self._sync.connect(token, refresh, self._save_tokens)
        try:
            engine = self._sync.engine
            if engine is not None:
                await engine.stop()
                await asyncio.wait_for(engine.push(), LOGOUT_PUSH_TIMEOUT)
        except (HubError, TimeoutError) as e:
            log.info("could not send the previous consultant's queue: %s", type(e).__name__)
        finally:
            await self._sync.disconnect()

    async def log_out(self) -> None:
        ctx = self._ctx
        await self._flush_and_end()
        await self._sync.disconnect()  # first: its last status may start a refresh
        await ctx.tasks.cancel_all()
        await self._forget_tokens()  # whatever the hub said: this tablet holds no session any more
        await ctx.cache.write(sync_state.set_state, SESSION_KEY, None)
        self.current = None
        ctx.ui.go("/login")

    async def _flush_and_end(self) -> None:
        """Best effort: push what is queued under this session, then end it on the hub.
        Offline, both fail; the queue stays (its owner is recorded) and the tokens go anyway."""
        engine, client = self._sync.engine, self._sync.client
        if engine is None or client is None:
            return
        await engine.stop()
        if self._ctx.device_id:  # none yet (a session from before the hub issued ids): the next login sends it
            try:
                await asyncio.wait_for(engine.push(), LOGOUT_PUSH_TIMEOUT)
            except (HubError, TimeoutError) as e:
                log.info("logout: queue not sent (%s)", type(e).__name__)
        try:
            await client.logout()
        except HubError as e:
            log.info("logout: the hub was not told (%s)", type(e).__name__)

    # --- wipes -------------------------------------------------------------------------------

    async def device_revoked(self) -> None:
        """The hub says a manager revoked this device: delete everything it holds, say so."""
        ctx = self._ctx
        await self._sync.disconnect()
        await self._wipe_device()
        self.current = None
        ctx.ui.notice = Message("notice.device_revoked")
        ctx.ui.go("/login")

    async def reset_device(self, unsent: int = 0) -> None:
        """Settings' "reset this device": the hub session ended (best effort, nothing pushed:
        the consultant chose to lose what is queued), then the cache (drafts included), the
        tokens, the device id and the PIN hashes deleted, and the login shown."""
        ctx = self._ctx
        log.warning("device reset by the consultant (%d unsent changes dropped)", unsent)
        client = self._sync.client
        if client is not None:
            try:
                await asyncio.wait_for(client.logout(), 5)
            except (HubError, TimeoutError) as e:
                log.info("reset: the hub was not told (%s)", type(e).__name__)
        await self._sync.disconnect()
        await ctx.tasks.cancel_all()
        await self._forget_tokens()
        await asyncio.to_thread(ctx.secrets.delete, self.device_key)
        await asyncio.to_thread(ctx.secrets.delete, pins_secret_key(ctx.config.hub_url))
        ctx.device_id = ""
        await self._wipe_cache()
        self.current = None
        ctx.ui.notice = Message("notice.device_reset")
        ctx.ui.go("/login")

    async def _wipe_device(self) -> None:
        log.warning("this device was revoked on the hub: wiping its cache and secrets")
        await self._forget_tokens()
        await asyncio.to_thread(self._ctx.secrets.delete, self.device_key)
        await asyncio.to_thread(self._ctx.secrets.delete, pins_secret_key(self._ctx.config.hub_url))
        self._ctx.device_id = ""
        await self._wipe_cache()

    async def _wipe_cache(self) -> None:
        """Close the cache, delete its files and its key, open a fresh one (a new key) in its place."""
        ctx = self._ctx
        path = ctx.cache.path
        await asyncio.to_thread(ctx.cache.close)
        await asyncio.to_thread(wipe, path, ctx.secrets)
        opened = await asyncio.to_thread(open_device_cache, path, ctx.secrets)
        ctx.cache = opened.cache
        await self._clients.refresh()


async def _role(client: HubClient) -> str:
    """The account's role, "" when the hub does not say (offline, or an error): the app then
    offers only what any consultant may do."""
    try:
        return (await client.me()).role
    except HubError as e:
        log.info("the account's role is not known (%s)", type(e).__name__)
        return ""


def _label() -> str:
    """What a manager sees in the device list: the machine's name and system."""
    return f"{platform.node() or 'device'} ({platform.system() or '?'})"[:100]
