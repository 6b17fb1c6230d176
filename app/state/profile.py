"""One client's profile: read it, edit it, write in her diary.

Every change is one local transaction (row + outbox mutation); the profile is then
re-read from the cache and the sync engine is asked to push.
"""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field

import flet as ft

from app.cache import clients as cached_clients
from app.cache import queries, records
from app.cache.queries import ProfileData
from app.state import profile_form
from app.state.clients import ClientsModel
from app.state.context import Context
from app.state.messages import Message
from app.state.session import SessionModel
from app.state.sync import SyncModel
from sync.models import new_id, utcnow


def form_errors(errors: dict[str, str]) -> dict[str, Message]:
    """profile_form's errors (string keys) as messages."""
    return {name: Message(key) for name, key in errors.items()}


@ft.observable
@dataclass(eq=False)
class ProfileModel:
    ctx: InitVar[Context]
    session: InitVar[SessionModel]
    sync: InitVar[SyncModel]
    clients: InitVar[ClientsModel]
    client_id: str = ""
    data: ProfileData | None = None     # what the cache holds for her; None: not (or no longer) there
    editing: bool = False
    note: str = ""                      # a diary entry being written
    note_pinned: bool = False
    form: dict = field(default_factory=dict)
    errors: dict[str, Message] = field(default_factory=dict)

    def __post_init__(self, ctx: Context, session: SessionModel, sync: SyncModel, clients: ClientsModel) -> None:
        self._ctx, self._session, self._sync, self._clients = ctx, session, sync, clients

    @property
    def is_open(self) -> bool:
        return bool(self.client_id) and self._ctx.ui.route.startswith("/clients/")

    async def open(self, client_id: str) -> None:
        self.client_id = client_id
        self.editing = False
        self.errors = {}
        await self.load()
        self._ctx.ui.go(f"/clients/{client_id}")

    def close(self) -> None:
        self._ctx.ui.go("/clients")

    async def load(self) -> None:
        self.data = await self._ctx.cache.read(queries.profile, self.client_id)

    def start_edit(self) -> None:
        if self.data:
            self.form = profile_form.form_from_client(self.data.client.fields)
            self.errors = {}
            self.editing = True

    def cancel_edit(self) -> None:
        self.editing = False
        self.errors = {}

    async def save(self) -> bool:
        """Validate the form; on success write row + outbox in one transaction, then sync."""
        if self.data is None:
            return False
        fields, errors = profile_form.fields_from_form(dict(self.form), self.data.client.fields)
        if errors:
            self.errors = form_errors(errors)
            return False
        if fields:
            try:
                await self._ctx.cache.write(cached_clients.update_client, self.client_id, fields)
            except ValueError:
                self.errors = {"_form": Message("form.invalid")}
                return False
            self._sync.sync_now()
        self.errors = {}
        self.editing = False
        await self.load()
        await self._clients.refresh()
        return True

    async def add_note(self) -> bool:
        """A diary entry: shown at once (pending), appended on the hub at the next push."""
        text = self.note.strip()
        if not text or self.data is None:
            return False
        who = self._session.current
        entry_id, now, cid, pinned = new_id(), utcnow().isoformat(), self.client_id, self.note_pinned
        data = {"id": entry_id, "client_id": cid, "text": text, "pinned": pinned,
                "author_id": who.consultant_id if who else None, "author_name": who.consultant_name if who else "",
                "created_at": now, "updated_at": now, "deleted": False}
        await self._ctx.cache.write(records.add_record, "diary", "diary.add", entry_id, cid, data,
                                    {"client_id": cid, "text": text, "pinned": pinned})
        self.note, self.note_pinned = "", False
        self._sync.sync_now()
        await self.load()
        return True
