"""Registering a new client offline: she exists on this device at once, the hub learns later."""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field

import flet as ft

from app.cache import clients as cached_clients
from app.cache import queries
from app.cache.queries import ClientRow
from app.state import profile_form
from app.state.clients import ClientsModel
from app.state.context import Context
from app.state.messages import Message
from app.state.profile import ProfileModel, form_errors
from app.state.session import SessionModel
from app.state.sync import SyncModel
from sync.models import ClientProfile


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

    def __post_init__(self, ctx: Context, session: SessionModel, sync: SyncModel, clients: ClientsModel,
                      profile: ProfileModel) -> None:
        self._ctx, self._session, self._sync, self._clients, self._profile = ctx, session, sync, clients, profile

    def start(self) -> None:
        """Open the form; a half-filled one is kept as it was left."""
        if not self.form:
            self.form = profile_form.form_from_client({})
            self.errors = {}
            self.duplicate_of = None
        self._ctx.ui.go("/register")

    def cancel(self) -> None:
        self._ctx.ui.go("/clients")

    async def save(self) -> str | None:
        """Register offline; returns the new client's id, or None (see `errors`)."""
        fields, errors = profile_form.fields_from_form(dict(self.form), {})
        if errors:
            self.errors = form_errors(errors)
            return None
        phone = fields.get("phone")
        if phone and self.duplicate_of is None:
            same = await self._ctx.cache.read(queries.client_by_phone, phone)
            if same is not None:
                self.duplicate_of = same
                self.errors = {"phone": Message.of("form.phone_taken", same.short_name)}
                return None  # saving again registers anyway: namesakes share phones sometimes
        who = self._session.current
        try:
            profile = ClientProfile.model_validate({**fields, "consultant_id": who.consultant_id if who else None})
        except ValueError:
            self.errors = {"_form": Message("form.invalid")}
            return None
        cid = await self._ctx.cache.write(cached_clients.register_client, profile, who.store_id if who else "")
        self._sync.sync_now()
        self.form, self.errors, self.duplicate_of = {}, {}, None
        await self._clients.refresh()
        await self._profile.open(cid)
        return cid
