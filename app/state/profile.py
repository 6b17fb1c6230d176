"""One client's profile: read it, edit it (her diary is app.state.diary's).

Every change is one local transaction (row + outbox mutation); the profile is then
re-read from the cache and the sync engine is asked to push.
"""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from datetime import datetime

import flet as ft
from sqlite_utils import Database

from app.cache import clients as cached_clients
from app.cache import drafts, queries, records
from app.cache.drafts import Draft
from app.cache.queries import ProfileData
from app.state import profile_form
from app.state.clients import ClientsModel
from app.state.context import Context
from app.state.counter import CounterModel
from app.state.diary import DiaryModel
from app.state.form_draft import FormDraft, owner_of
from app.state.messages import Message
from app.state.outreach import OutreachModel
from app.state.session import SessionModel
from app.state.sync import SyncModel


def _update(db: Database, client_id: str, fields: dict) -> None:
    """The edit (if anything changed) and the end of its draft, in one transaction."""
    drafts.discard_draft(db, drafts.profile_key(client_id))
    if fields:
        cached_clients.update_client(db, client_id, fields)


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
    data: ProfileData | None = None  # what the cache holds for her; None: not (or no longer) there
    editing: bool = False
    form: dict = field(default_factory=dict)
    errors: dict[str, Message] = field(default_factory=dict)
    draft_from: datetime | None = None  # when the draft the edit reopened with was typed
    failed_saves: int = 0  # counts refused saves: the screen moves focus on each

    def __post_init__(self, ctx: Context, session: SessionModel, sync: SyncModel, clients: ClientsModel) -> None:
        self._ctx, self._session, self._sync, self._clients = ctx, session, sync, clients
        self._draft: FormDraft | None = None  # the open edit's draft
        self.counter = CounterModel(ctx, sync)  # the counter panel's basket (app.state.counter)
        self.diary: DiaryModel | None = None  # her diary and communications (set by the App)
        self.outreach: OutreachModel | None = None  # writing to her (app.state.outreach; set by the App)

    @property
    def is_open(self) -> bool:
        return bool(self.client_id) and self._ctx.ui.route.startswith("/clients/")

    async def open(self, client_id: str) -> None:
        """Show her profile; an edit of it left unsaved (even before a restart) reopens as it was."""
        self.client_id = client_id
        self.editing = False
        self.errors = {}
        await self.load()
        if self.diary is not None:
            await self.diary.open(client_id)
        if self.data is not None:
            await self._ctx.cache.write(records.log_view, client_id)  # the hub's audit log of views (152-FZ)
            draft = self._new_draft()
            kept = await draft.load()
            if kept is not None:
                self._edit(draft, kept)
        self._ctx.ui.go(f"/clients/{client_id}")

    def close(self) -> None:
        self._ctx.ui.go("/clients")

    async def load(self) -> None:
        self.data = await self._ctx.cache.read(queries.profile, self.client_id)

    def _new_draft(self) -> FormDraft:
        assert self.data is not None
        return FormDraft(
            self._ctx.cache,
            drafts.profile_key(self.client_id),
            owner_of(self._session.current),
            profile_form.form_from_client(self.data.client.fields),
        )

    def _edit(self, draft: FormDraft, kept: Draft | None) -> None:
        self._draft = draft
        self.form = draft.restored(kept)
        self.draft_from = kept.saved_at if kept else None
        self.errors, self.failed_saves = {}, 0
        self.editing = True

    def start_edit(self) -> None:
        if self.data:
            self._edit(self._new_draft(), None)

    def set_field(self, name: str, value: object) -> None:
        """What the consultant typed: into the form and into its draft."""
        self.form[name] = value
        if self._draft is not None:
            self._draft.keep(self.form)

    async def cancel_edit(self) -> None:
        """Leave the edit: what was typed and its draft are gone."""
        if self._draft is not None:
            await self._draft.discard()
        self._stop_edit()

    def _stop_edit(self) -> None:
        self._draft = None
        self.editing = False
        self.errors, self.draft_from, self.failed_saves = {}, None, 0

    def _refuse(self, errors: dict[str, Message]) -> None:
        self.errors = errors
        self.failed_saves += 1

    async def save(self) -> bool:
        """Validate the form; on success write row + outbox in one transaction (the draft ends in it), then sync."""
        if self.data is None:
            return False
        fields, errors = profile_form.fields_from_form(dict(self.form), self.data.client.fields)
        if errors:
            self._refuse(form_errors(errors))
            return False
        try:
            await self._ctx.cache.write(_update, self.client_id, fields)
        except ValueError:
            self._refuse({"_form": Message("form.invalid")})
            return False
        if fields:
            self._sync.sync_now()
        self._stop_edit()
        await self.load()
        await self._clients.refresh()
        return True
