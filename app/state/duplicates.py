"""The duplicate check while a client is being registered: is she known already?

Given the registration form's values, the cache is asked at once (same phone, e-mail, or
surname + name + birthday among the clients this device holds); when the hub is reachable,
the brand is asked too (POST /v1/clients/lookup), after the typing pauses (`DEBOUNCE`), so
a client of another boutique of the chain is found. Its answer is masked ("Анна К.",
"+7 *** ***-**-67", her store's name). "Open her" opens a cached client's profile; one of
another store is first shared into this one (POST /v1/clients/{id}/share), put into the
cache from the answer, and then opened - served here rather than registered twice.

Nothing here blocks the event loop: the cache is read through its reader, the hub over
async httpx, and a newer keystroke supersedes an older check (`_generation`). A hub that
cannot be reached or refuses (rate limit) leaves the local matches and says so quietly;
the registration itself never waits for any of this.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import InitVar, dataclass, field
from typing import Any

import flet as ft
from sqlite_utils import Database

from app.cache import local_matches, queries, shared
from app.services import phones
from app.state.context import Context
from app.state.messages import Message
from app.state.profile import ProfileModel
from app.state.profile_form import parse_birthday
from app.state.sync import SyncModel
from sync.client import HubClient, HubError, HubUnreachable
from sync.models import ClientLookup, DuplicatePair
from sync.rules.contacts import is_email, normalise_phone

DEBOUNCE = 0.4
"""Seconds of no typing before the brand is asked: a phone typed digit by digit is asked once."""


@dataclass(frozen=True)
class Criteria:
    """What the form holds that can identify her: complete values only."""

    phone: str | None = None  # E.164
    email: str | None = None  # lowercased
    last_name: str | None = None
    first_name: str | None = None
    birthday: str | None = None  # YYYY-MM-DD

    @property
    def empty(self) -> bool:
        return not (self.phone or self.email or self.by_name)

    @property
    def by_name(self) -> bool:
        return bool(self.last_name and self.first_name and self.birthday)


def criteria_of(form: dict[str, Any]) -> Criteria:
    """The form's complete identifying values; a half-typed phone or e-mail is no criterion yet."""
    phone = normalise_phone((form.get("phone") or "").strip()) if form.get("phone") else None
    email = (form.get("email") or "").strip().lower()
    try:
        born = parse_birthday(form.get("birthday") or "")
    except ValueError:
        born = None
    return Criteria(
        phone=phone,
        email=email if email and is_email(email) else None,
        last_name=(form.get("last_name") or "").strip() or None,
        first_name=(form.get("first_name") or "").strip() or None,
        birthday=born.isoformat() if born else None,
    )


@dataclass(frozen=True)
class Match:
    """A client who may be the one being registered."""

    client_id: str
    name: str  # her name as this device may show it: full when cached, masked when from the brand
    phone: str  # masked
    store_name: str | None
    matched_by: tuple[str, ...]  # phone | email | name_birthday
    cached: bool  # in this device's cache: opens at once; else shared into the store first


def _local(db: Database, c: Criteria) -> list[Match]:
    names = (c.last_name or "", c.first_name or "") if c.by_name else None
    found = local_matches.matches(db, c.phone, c.email, names, c.birthday)
    stores = queries.store_names(db)
    return [
        Match(
            client_id=r.id,
            name=r.short_name,
            phone=phones.mask_phone(r.phone) if r.phone else "",
            store_name=r.store_name or stores.get(r.store_id or ""),
            matched_by=by,
            cached=True,
        )
        for r, by in found
    ]


@ft.observable
@dataclass(eq=False)
class DuplicatesModel:
    ctx: InitVar[Context]
    sync: InitVar[SyncModel]
    profile: InitVar[ProfileModel]
    matches: list[Match] = field(default_factory=list)
    asking: bool = False  # the brand is being asked
    notice: Message | None = None  # the brand could not be asked (offline, too many lookups, refused)
    opening: str | None = None  # the client being shared into this store and opened

    def __post_init__(self, ctx: Context, sync: SyncModel, profile: ProfileModel) -> None:
        self._ctx, self._sync, self._profile = ctx, sync, profile
        self._criteria = Criteria()
        self._generation = 0

    def check(self, form: dict[str, Any]) -> None:
        """The form changed (from a synchronous handler or effect): check again if what
        identifies her changed."""
        c = criteria_of(form)
        if c == self._criteria:
            return
        self._criteria = c
        self._generation += 1
        self._ctx.tasks.spawn(self._check(c, self._generation))

    def clear(self) -> None:
        self._criteria, self.matches, self.notice, self.asking = Criteria(), [], None, False
        self._generation += 1

    async def _check(self, c: Criteria, generation: int) -> None:
        if c.empty:
            self._show([], None, False)
            return
        local = await self._ctx.cache.read(_local, c)
        if generation != self._generation:
            return  # a newer keystroke has its own check
        client = self._sync.client
        if client is None or self._sync.status.online is False:
            self._show(local, self.notice, False)
            return
        self._show(local, self.notice, True)
        await asyncio.sleep(DEBOUNCE)
        if generation != self._generation:
            return
        try:
            remote = await client.lookup_clients(
                ClientLookup(
                    phone=c.phone,
                    email=c.email,
                    **(
                        {"last_name": c.last_name, "first_name": c.first_name, "birthday": c.birthday}
                        if c.by_name
                        else {}
                    ),
                )
            )
        except HubUnreachable:
            notice: Message | None = Message("duplicates.offline")
            remote = []
        except HubError as e:
            notice = Message("duplicates.limited" if e.status == 429 else "duplicates.failed")
            remote = []
        else:
            notice = None
        if generation != self._generation:
            return
        cached = {m.client_id for m in local}
        found = [
            Match(
                client_id=m.client_id,
                name=m.name,
                phone=m.phone or "",
                store_name=m.store_name,
                matched_by=tuple(m.matched_by),
                cached=False,
            )
            for m in remote
            if m.client_id not in cached
        ]
        self._show(local + found, notice, False)

    def _show(self, matches: list[Match], notice: Message | None, asking: bool) -> None:
        """Set what changed only: each assignment re-renders the panel, while the consultant types."""
        if matches != self.matches:
            self.matches = matches
        if notice != self.notice:
            self.notice = notice
        if asking != self.asking:
            self.asking = asking

    async def open_match(self, client_id: str) -> bool:
        """Open her profile; one of another store is shared into this one and cached first.
        False (and `notice`) when the hub could not be reached or refused."""
        match = next((m for m in self.matches if m.client_id == client_id), None)
        if match is None:
            return False
        if not match.cached:
            client = self._sync.client
            if client is None:
                self.notice = Message("duplicates.offline")
                return False
            self.opening = client_id
            try:
                result = await client.share_client(client_id)
            except HubUnreachable:
                self.notice = Message("duplicates.offline")
                return False
            except HubError:
                self.notice = Message("duplicates.failed")
                return False
            finally:
                self.opening = None
            await self._ctx.cache.write(
                shared.put_shared,
                result.client.model_dump(mode="json"),
                [e.model_dump(mode="json") for e in result.entities],
            )
            self._sync.sync_now()
        self.clear()
        await self._profile.open(client_id)
        return True


# --- a manager's duplicate pairs ----------------------------------------------------------


@ft.observable
@dataclass(eq=False)
class PairsModel:
    """The store's open duplicate pairs (GET /v1/duplicates), for a manager to merge or
    dismiss. A consultant's hub answers 403: then `allowed` is False and nothing shows."""

    ctx: InitVar[Context]
    sync: InitVar[SyncModel]
    pairs: list[DuplicatePair] = field(default_factory=list)
    allowed: bool | None = None  # None: not asked yet (or offline)
    busy: str | None = None  # the pair being merged or dismissed
    notice: Message | None = None

    def __post_init__(self, ctx: Context, sync: SyncModel) -> None:
        self._ctx, self._sync = ctx, sync

    async def load(self) -> None:
        client = self._sync.client
        if client is None:
            return
        try:
            self.pairs = await client.duplicate_pairs()
        except HubUnreachable:
            return  # offline: the list waits for the next visit
        except HubError as e:
            if e.status == 403:
                self.allowed, self.pairs = False, []
            else:
                self.notice = Message("duplicates.failed")
            return
        self.allowed = True

    async def merge(self, pair_id: str, survivor_id: str) -> bool:
        return await self._resolve(pair_id, lambda c: c.merge_pair(pair_id, survivor_id))

    async def dismiss(self, pair_id: str) -> bool:
        return await self._resolve(pair_id, lambda c: c.dismiss_pair(pair_id))

    async def _resolve(self, pair_id: str, call: Callable[[HubClient], Awaitable[object]]) -> bool:
        client = self._sync.client
        if client is None:
            self.notice = Message("duplicates.offline")
            return False
        self.busy, self.notice = pair_id, None
        try:
            await call(client)
        except HubUnreachable:
            self.notice = Message("duplicates.offline")
            return False
        except HubError:
            self.notice = Message("duplicates.pair_failed")
            return False
        finally:
            self.busy = None
        self._sync.sync_now()  # the merged one's tombstone and her records, now under the survivor
        await self.load()
        return True
