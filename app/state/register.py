"""Registering a new client offline: she exists on this device at once, the hub learns later.

A registration opens empty, or with the consultant's own draft of one she left
unfinished (kept in the cache, so it survives a restart); "Отмена" and a successful
save discard the draft, so nobody else's data ever opens in the next registration.
"""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from datetime import datetime

import flet as ft
from sqlite_utils import Database

from app.cache import clients as cached_clients
from app.cache import drafts, queries
from app.cache.queries import ClientRow
from app.state import profile_form
from app.state.clients import ClientsModel
from app.state.context import Context
from app.state.form_draft import FormDraft, owner_of
from app.state.messages import Message
from app.state.profile import ProfileModel, form_errors
from app.state.session import SessionModel
from app.state.sync import SyncModel
from sync.models import ClientProfile


def _register(db: Database, profile: ClientProfile, store_id: str) -> str:
    """The new client and the end of her draft, in one transaction: a crash leaves one or the other."""
    drafts.discard_draft(db, drafts.REGISTER)
    return cached_clients.register_client(db, profile, store_id)


@ft.observable
@dataclass(eq=False)
class RegisterModel:
    ctx: InitVar[Context]
    session: InitVar[SessionModel]
    sync: InitVar[SyncModel]
    clients: InitVar[ClientsModel]
    profile: InitVar[ProfileModel]
    form: dict = field(default_factory=dict)
    errors: dict[str, Message] = field(default_factory=dict)
    duplicate_of: ClientRow | None = None  # an existing client with the same phone
    draft_from: datetime | None = None  # when the draft the form reopened with was typed
    failed_saves: int = 0  # counts refused saves: the screen moves focus on each

    def __post_init__(
        self, ctx: Context, session: SessionModel, sync: SyncModel, clients: ClientsModel, profile: ProfileModel
    ) -> None:
        self._ctx, self._session, self._sync, self._clients, self._profile = ctx, session, sync, clients, profile
        self._draft: FormDraft | None = None  # None: no registration open

    def start(self) -> None:
        """Open the form (from a synchronous handler); see `open`."""
        self._ctx.tasks.spawn(self.open())

    async def open(self) -> None:
        """Open the form: as it was left in this session, else the consultant's draft, else empty."""
        owner = owner_of(self._session.current)
        if self._draft is None or self._draft.owner != owner:
            draft = FormDraft(self._ctx.cache, drafts.REGISTER, owner, profile_form.form_from_client({}))
            kept = await draft.load()
            self._draft = draft
            self.form = draft.restored(kept)
            self.errors, self.duplicate_of, self.failed_saves = {}, None, 0
            self.draft_from = kept.saved_at if kept else None
        elif self._draft.kept_at is not None:
            self.draft_from = self._draft.kept_at  # left for another screen: say it is a draft
        self._ctx.ui.go("/register")

    def set_field(self, name: str, value: object) -> None:
        """What the consultant typed: into the form and into its draft."""
        self.form[name] = value
        if self._draft is not None:
            self._draft.keep(self.form)

    async def cancel(self) -> None:
        """Abandon the registration: the form and its draft are gone."""
        await self._close()
        self._ctx.ui.go("/clients")

    async def _close(self) -> None:
        if self._draft is not None:
            await self._draft.discard()
        self._draft = None
        self.form, self.errors, self.duplicate_of, self.draft_from, self.failed_saves = {}, {}, None, None, 0

    def _refuse(self, errors: dict[str, Message]) -> None:
        self.errors = errors
        self.failed_saves += 1

    async def save(self) -> str | None:
        """Register offline; returns the new client's id, or None (see `errors`)."""
        fields, errors = profile_form.fields_from_form(dict(self.form), {})
        if errors:
            self._refuse(form_errors(errors))
            return None
        phone = fields.get("phone")
        if phone and self.duplicate_of is None:
            same = await self._ctx.cache.read(queries.client_by_phone, phone)
            if same is not None:
                self.duplicate_of = same
                self._refuse({"phone": Message.of("form.phone_taken", same.short_name)})
                return None  # saving again registers anyway: namesakes share phones sometimes
        who = self._session.current
        try:
            profile = ClientProfile.model_validate({**fields, "consultant_id": who.consultant_id if who else None})
        except ValueError:
            self._refuse({"_form": Message("form.invalid")})
            return None
        cid = await self._ctx.cache.write(_register, profile, who.store_id if who else "")
        self._sync.sync_now()
        self._draft = None  # discarded with the registration
        await self._close()
        await self._clients.refresh()
        await self._profile.open(cid)
        return cid
