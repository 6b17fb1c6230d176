"""The PIN lock: a PIN set at the first login on a device, asked after idle minutes,
at a restart with a stored session and when the app comes back from the background.

Only the PIN's slow salted hash is kept, with the count of wrong tries, per account in one
entry of the secret store (`pins_secret_key`; never in the cache or a log). Five wrong PINs end the session
(the outbox stays) and the password is needed again; the PIN is then set anew, as after
"forgot PIN".
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import InitVar, dataclass
from enum import StrEnum

import flet as ft

from app.services.pins import hash_pin, pin_problem, pins_secret_key, verify_pin
from app.state.context import Context
from app.state.messages import Message
from app.state.session import Session, SessionModel

MAX_FAILURES = 5


class LockState(StrEnum):
    OPEN = "open"  # the app as usual
    SETUP = "setup"  # a PIN must be set before anything else shows
    LOCKED = "locked"  # the PIN must be typed before anything else shows


@dataclass
class PinRecord:
    """What the secret store keeps for one account: the hash and the wrong tries since the last good one."""

    hash: str
    failures: int = 0

    def dump(self) -> dict[str, object]:
        return {"hash": self.hash, "failures": self.failures}

    @classmethod
    def load(cls, data: object) -> PinRecord | None:
        try:
            assert isinstance(data, dict)
            return cls(str(data["hash"]), int(data.get("failures", 0)))
        except (AssertionError, ValueError, KeyError, TypeError):
            return None


def load_records(text: str | None) -> dict[str, object]:
    """All accounts' records on this device, under one secret (so a wipe knows its one key)."""
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@ft.observable
@dataclass(eq=False)
class LockModel:
    ctx: InitVar[Context]
    session: InitVar[SessionModel]
    clock: InitVar[Callable[[], float] | None] = None
    state: LockState = LockState.OPEN
    pin: str = ""
    confirm: str = ""
    error: Message | None = None
    busy: bool = False

    def __post_init__(self, ctx: Context, session: SessionModel, clock: Callable[[], float] | None) -> None:
        self._ctx, self._session = ctx, session
        self._clock = clock or time.monotonic
        self._last = self._clock()
        self._account: str | None = None  # whose PIN: the account logged in
        self._away = False
        self._watcher: asyncio.Task | None = None
        self._trying = asyncio.Lock()

    @property
    def blocking(self) -> bool:
        """Whether the lock screen hides the app (nothing of the store's book may show)."""
        return self.state is not LockState.OPEN

    @property
    def idle_limit(self) -> float:
        return self._ctx.config.lock_after

    @property
    def secret_key(self) -> str:
        return pins_secret_key(self._ctx.config.hub_url)

    @staticmethod
    def account_of(who: Session) -> str:
        return who.consultant_id or who.consultant_name

    async def _record(self) -> PinRecord | None:
        if self._account is None:
            return None
        records = load_records(await asyncio.to_thread(self._ctx.secrets.get, self.secret_key))
        return PinRecord.load(records.get(self._account))

    async def _save(self, record: PinRecord | None) -> None:
        """Read, change and write back this account's record (the others stay as they are)."""
        if self._account is None:
            return
        secrets, key, account = self._ctx.secrets, self.secret_key, self._account

        def change() -> None:
            records = load_records(secrets.get(key))
            if record is None:
                records.pop(account, None)
            else:
                records[account] = record.dump()
            if records:
                secrets.set(key, json.dumps(records))
            else:
                secrets.delete(key)

        await asyncio.to_thread(change)

    async def begin(self, who: Session, resumed: bool) -> None:
        """Called by the session before any screen of the store's book shows.

        Resumed from storage: the PIN is asked (or set, for a session older than the lock).
        A password login: the PIN is set if this account has none here, and its wrong tries
        are forgiven (the password proved who it is)."""
        self._account = self.account_of(who)
        self._clear()
        record = await self._record()
        if record is None:
            self.state = LockState.SETUP
        elif resumed:
            self.state = LockState.LOCKED
        else:
            if record.failures:
                await self._save(PinRecord(record.hash))
            self.state = LockState.OPEN
        self.touch()
        if self._watcher is None or self._watcher.done():
            self._watcher = self._ctx.tasks.spawn(self._watch())

    def _clear(self) -> None:
        self.pin, self.confirm, self.error, self.busy = "", "", None, False

    def touch(self) -> None:
        """A touch, a click or a key: the idle time starts over (no re-render: a private field)."""
        self._last = self._clock()

    def check(self) -> bool:
        """Lock if the app has been idle for the configured time; whether it is locked now."""
        if (
            self.state is LockState.OPEN
            and self._session.current is not None
            and self._clock() - self._last >= self.idle_limit
        ):
            self.lock()
        return self.state is LockState.LOCKED

    def lock(self) -> None:
        if self._session.current is not None and self.state is LockState.OPEN:
            self._clear()
            self.state = LockState.LOCKED

    def app_hidden(self) -> None:
        self._away = True

    def app_shown(self) -> None:
        """Back from the background (another app, a closed lid): the PIN is asked again."""
        if self._away:
            self._away = False
            self.lock()

    async def _watch(self) -> None:
        """Checks the idle time a few times within the limit; cancelled with the session's tasks."""
        period = max(0.2, min(self.idle_limit / 5, 5.0))
        while True:
            await asyncio.sleep(period)
            self.check()

    async def set_pin(self) -> bool:
        """Set the PIN typed twice; what was typed is cleared when refused for a rule."""
        problem = pin_problem(self.pin)
        if problem is None and self.pin != self.confirm:
            problem = "lock.pin_mismatch"
        if problem is not None:
            self.error = Message(problem)
            self.pin = self.confirm = ""
            return False
        self.busy, self.error = True, None
        try:
            hashed = await asyncio.to_thread(hash_pin, self.pin)
            await self._save(PinRecord(hashed))
        finally:
            self.busy = False
        self._clear()
        self.state = LockState.OPEN
        self.touch()
        return True

    async def unlock(self) -> bool:
        """Check the typed PIN; the fifth wrong one in a row ends the session."""
        pin, self.pin = self.pin, ""
        if not pin:
            self.error = Message("lock.pin_empty")
            return False
        async with self._trying:  # one try at a time: each sees the count the one before left
            if self.state is not LockState.LOCKED or self._session.current is None:
                return False  # opened, or logged out, by the try before
            record = await self._record()
            if record is None:  # gone from the secret store meanwhile: a new one after the password
                await self._end(Message("lock.forgot_done"))
                return False
            # Counted before the check: an app killed mid-check has not had a free try.
            failures = record.failures + 1
            await self._save(PinRecord(record.hash, failures))
            self.busy = True
            try:
                ok = await asyncio.to_thread(verify_pin, pin, record.hash)
            finally:
                self.busy = False
            if ok:
                await self._save(PinRecord(record.hash))
                self._clear()
                self.state = LockState.OPEN
                self.touch()
                return True
            if failures >= MAX_FAILURES:
                await self._end(Message("lock.too_many"))
                return False
            self.error = Message.of("lock.wrong", MAX_FAILURES - failures)
            return False

    async def verify_consultant(self, pin: str) -> Message | None:
        """The consultant's PIN asked by a screen handed to a client (hand-over mode): None
        when right. Wrong ones count as at the lock screen, the fifth ends the session; with
        no PIN on this device the session ends too, and the password (a new login) decides."""
        if not pin:
            return Message("lock.pin_empty")
        async with self._trying:
            record = await self._record()
            if record is None:
                await self._end(Message("lock.forgot_done"))
                return Message("lock.forgot_done")
            failures = record.failures + 1
            await self._save(PinRecord(record.hash, failures))  # counted first, as in unlock
            if await asyncio.to_thread(verify_pin, pin, record.hash):
                await self._save(PinRecord(record.hash))
                self.touch()
                return None
            if failures >= MAX_FAILURES:
                await self._end(Message("lock.too_many"))
                return Message("lock.too_many")
            return Message.of("lock.wrong", MAX_FAILURES - failures)

    async def forgot(self) -> None:
        """Forgot the PIN: log in with the password again, then set a new one."""
        await self._end(Message("lock.forgot_done"))

    async def _end(self, why: Message) -> None:
        """The PIN is forgotten here and the session ends; the outbox stays for the next login."""
        await self._save(None)
        self._clear()
        await self._session.log_out()  # the lock screen stays until the login screen replaces it
        self.state = LockState.OPEN
        self._session.error = why
