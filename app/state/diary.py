"""A client's diary and communications on the profile: read page by page, write, edit, delete.

Every write is one local transaction (the entry and its mutation: app.cache.diary_records),
then the sync engine is asked to push; all of it works offline. What is being typed (a new
entry or an edit, with its tags, follow-up day and photos) is kept as a draft in the cache
as it is typed, so it survives a restart; a refused photo leaves it as it was.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import logging
from dataclasses import InitVar, dataclass, field
from pathlib import Path
from typing import Any

import flet as ft

from app.cache import blobs, diary, diary_records, drafts
from app.cache.diary_records import Author, Communication, FollowUp, Revision
from app.cache.queries import DiaryEntry
from app.services import photos
from app.state.context import Context
from app.state.form_draft import FormDraft, owner_of
from app.state.messages import Message
from app.state.session import SessionModel
from app.state.sync import SyncModel
from sync.client import HubError
from sync.models import MAX_DIARY_PHOTOS, utcnow
from sync.rules.diary import DiaryRuleError, check_follow_up, may_change_entry

log = logging.getLogger("vitrine.app")

PAGE = 50
TEMPLATES = ("diary.template_wish", "diary.template_alteration", "diary.template_gift")
"""Quick entries: each starts the text (strings: "Хотела бы…", "Подгонка…", "Подарок для…")."""

EMPTY_FORM: dict[str, Any] = {"text": "", "tags": [], "follow_up": "", "photos": [], "pinned": False, "editing": ""}


def draft_key(client_id: str) -> str:
    return f"diary:{client_id}"


@ft.observable
@dataclass(eq=False)
class DiaryModel:
    ctx: InitVar[Context]
    session: InitVar[SessionModel]
    sync: InitVar[SyncModel]
    client_id: str = ""
    entries: list[DiaryEntry] = field(default_factory=list)
    cursor: str | None = None  # the next page's; None: every entry is shown
    tag: str | None = None  # the tag filter
    brand_tags: list[str] = field(default_factory=list)
    client_tags: list[str] = field(default_factory=list)
    form: dict = field(default_factory=lambda: dict(EMPTY_FORM))
    composing: bool = False
    error: Message | None = None
    history_of: str | None = None  # the entry whose history is open
    history: list[Revision] = field(default_factory=list)
    communications: list[Communication] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)  # hers
    thumbs: dict[str, str] = field(default_factory=dict)  # blob hash -> base64 JPEG thumbnail
    full_photo: str | None = None  # base64 of the photo opened full size
    contact: dict = field(default_factory=lambda: {"channel": "calls", "text": "", "follow_up": ""})
    contact_open: bool = False
    contact_error: Message | None = None

    def __post_init__(self, ctx: Context, session: SessionModel, sync: SyncModel) -> None:
        self._ctx, self._session, self._sync = ctx, session, sync
        self._draft: FormDraft | None = None
        self._fetching: set[str] = set()
        self._store_id: str | None = None  # the open client's store (None: not known, taken as hers)

    @property
    def upload_dir(self) -> Path | None:
        """Web mode: where a browser's picked photo is uploaded (app.main.uploads_dir)."""
        return self._ctx.config.upload_dir

    # --- reading ------------------------------------------------------------------------

    @property
    def me(self) -> Author:
        who = self._session.current
        return Author(who.consultant_id if who else None, who.consultant_name if who else "")

    def may_change(self, e: DiaryEntry) -> bool:
        """Her own entries, or any of her store's for a manager (sync.rules.diary.may_change_entry).

        An entry belongs to its client's store: one shared into this store from another is
        changed there, not here."""
        who = self._session.current
        her_store = who is not None and self._store_id in (None, who.store_id)
        return may_change_entry(e.author_id, self.me.id, manager=who is not None and who.manager, her_store=her_store)

    async def open(self, client_id: str) -> None:
        """Her diary from the top, and a draft left unsaved (even before a restart) reopened."""
        self.client_id, self.tag, self.history_of, self.full_photo = client_id, None, None, None
        self.contact_open, self.contact_error, self.error = False, None, None
        self._store_id = await self._ctx.cache.read(diary.client_store, client_id)
        self._draft = FormDraft(self._ctx.cache, draft_key(client_id), owner_of(self._session.current), EMPTY_FORM)
        kept = await self._draft.load()
        self.form = self._draft.restored(kept)
        self.composing = kept is not None
        await self.load()

    async def load(self) -> None:
        """The first page again (after a write or a pull), with what goes around it."""
        if not self.client_id:
            return
        cid = self.client_id
        page = await self._ctx.cache.read(diary.diary_page, cid, PAGE, None, self.tag)
        self.entries, self.cursor = list(page.entries), page.cursor
        self.brand_tags = await self._ctx.cache.read(diary_records.brand_tags)
        self.client_tags = await self._ctx.cache.read(diary.client_tags, cid)
        self.communications = await self._ctx.cache.read(diary_records.communications, cid)
        self.follow_ups = await self._ctx.cache.read(diary_records.follow_ups, None, None, 20, cid)
        if self.history_of:
            self.history = await self._ctx.cache.read(diary_records.history, self.history_of)
        await self._thumbnails([s for e in self.entries for s in e.photos] + list(self.form.get("photos") or ()))

    async def more(self) -> None:
        """The next page, appended (keyset paging: as cheap on page 10 as on page 1)."""
        if self.cursor is None:
            return
        page = await self._ctx.cache.read(diary.diary_page, self.client_id, PAGE, self.cursor, self.tag)
        self.entries = [*self.entries, *page.entries]
        self.cursor = page.cursor
        await self._thumbnails([s for e in page.entries for s in e.photos])

    async def filter_tag(self, tag: str | None) -> None:
        self.tag = tag
        await self.load()

    # --- composing ------------------------------------------------------------------------

    def _keep(self) -> None:
        if self._draft is not None:
            self._draft.keep(self.form)

    def start(self, template: str | None = None, text: str = "") -> None:
        """A new entry (the quick entry: a template's words already typed)."""
        if not self.composing or self.form.get("editing"):
            self.form = dict(EMPTY_FORM)
        if text and not self.form["text"].strip():
            self.form = {**self.form, "text": text}
        self.composing, self.error = True, None
        self._keep()

    def set(self, name: str, value: Any) -> None:
        """What the consultant typed or chose: into the form and its draft."""
        self.form = {**self.form, name: value}
        self.error = None
        self._keep()

    def toggle_tag(self, tag: str) -> None:
        tags = list(self.form.get("tags") or ())
        self.set("tags", [x for x in tags if x != tag] if tag in tags else [*tags, tag])

    def edit(self, e: DiaryEntry) -> None:
        self.form = {
            "text": e.text,
            "tags": list(e.tags),
            "follow_up": e.follow_up or "",
            "photos": list(e.photos),
            "pinned": e.pinned,
            "editing": e.id,
        }
        self.composing, self.error = True, None
        self._keep()

    async def cancel(self) -> None:
        self.form, self.composing, self.error = dict(EMPTY_FORM), False, None
        if self._draft is not None:
            await self._draft.discard()

    async def add_photo(self, content: bytes | None, size: int | None = None) -> bool:
        """A picked file, resized and stripped off the loop; refused with a message, the form kept."""
        if size is not None and size > photos.MAX_FILE_BYTES:
            self.error = Message("diary.photo_too_large")
            return False
        if not content:
            self.error = Message("diary.photo_not_image")
            return False
        if len(self.form.get("photos") or ()) >= MAX_DIARY_PHOTOS:
            self.error = Message.of("diary.photo_too_many", MAX_DIARY_PHOTOS)
            return False
        try:
            photo = await asyncio.to_thread(photos.prepare, content)
        except photos.PhotoRefused as e:
            self.error = Message(f"diary.photo_{e.code}")
            return False
        sha = await self._ctx.cache.write(blobs.put, photo.jpeg, photos.CONTENT_TYPE)
        self.thumbs = {**self.thumbs, sha: await asyncio.to_thread(_thumb64, photo.jpeg)}
        self.set("photos", [*(self.form.get("photos") or ()), sha])
        return True

    def remove_photo(self, sha: str) -> None:
        self.set("photos", [x for x in self.form.get("photos") or () if x != sha])

    def _follow_up(self, text: str) -> tuple[str | None, Message | None]:
        """The typed follow-up day (ISO, or as the date picker gives it), checked by the shared rule."""
        text = (text or "").strip()
        if not text:
            return None, None
        try:
            day = dt.date.fromisoformat(text[:10])
            check_follow_up(day, dt.date.today())
        except ValueError as e:
            code = e.code if isinstance(e, DiaryRuleError) else "follow_up_bad"
            return None, Message(f"diary.{code}")
        return day.isoformat(), None

    async def save(self) -> bool:
        """The entry (new, or a revision of the one being edited); what was typed is kept when refused."""
        f = self.form
        text = (f.get("text") or "").strip()
        if not text:
            self.error = Message("diary.empty")
            return False
        follow_up, problem = self._follow_up(f.get("follow_up") or "")
        if problem is not None:
            self.error = problem
            return False
        tags = [x for x in self.brand_tags if x in (f.get("tags") or ())]  # the list's order
        now = utcnow().isoformat()
        if f.get("editing"):
            changes = {
                "text": text,
                "pinned": bool(f.get("pinned")),
                "tags": tags,
                "follow_up": follow_up,
                "photos": list(f.get("photos") or ()),
            }
            done = await self._ctx.cache.write(
                _revise_and_end_draft, self.client_id, f["editing"], self.me, now, changes
            )
            if not done:
                self.error = Message("diary.gone")
                return False
        else:
            await self._ctx.cache.write(
                _add_and_end_draft,
                self.client_id,
                self.me,
                now,
                text,
                bool(f.get("pinned")),
                tags,
                follow_up,
                list(f.get("photos") or ()),
            )
        self.form, self.composing, self.error = dict(EMPTY_FORM), False, None
        self._sync.sync_now()
        await self.load()
        return True

    # --- changing entries -------------------------------------------------------------------

    async def delete(self, entry_id: str) -> None:
        await self._ctx.cache.write(diary_records.delete_entry, entry_id, self.me, utcnow().isoformat())
        self._sync.sync_now()
        await self.load()

    async def follow_up_done(self, entry_id: str) -> None:
        await self._change(entry_id, {"follow_up_done": True})

    async def move_follow_up(self, entry_id: str, day: str) -> bool:
        checked, problem = self._follow_up(day)
        if problem is not None or checked is None:
            self.error = problem or Message("diary.follow_up_bad")
            return False
        await self._change(entry_id, {"follow_up": checked, "follow_up_done": False})
        return True

    async def _change(self, entry_id: str, changes: dict) -> None:
        await self._ctx.cache.write(diary_records.revise_entry, entry_id, self.me, utcnow().isoformat(), changes)
        self._sync.sync_now()
        await self.load()

    async def show_history(self, entry_id: str | None) -> None:
        self.history_of = entry_id
        self.history = await self._ctx.cache.read(diary_records.history, entry_id) if entry_id else []

    # --- contacts -------------------------------------------------------------------------

    def open_contact(self, channel: str = "calls") -> None:
        self.contact = {**self.contact, "channel": channel}
        self.contact_open, self.contact_error = True, None

    def set_contact(self, name: str, value: str) -> None:
        self.contact = {**self.contact, name: value}
        self.contact_error = None

    async def log_contact(self) -> bool:
        """A call, message or visit; with a follow-up day, also a diary entry carrying it."""
        c = self.contact
        text = (c.get("text") or "").strip()
        if not text:
            self.contact_error = Message("diary.contact_empty")
            return False
        follow_up, problem = self._follow_up(c.get("follow_up") or "")
        if problem is not None:
            self.contact_error = problem
            return False
        now = utcnow().isoformat()
        await self._ctx.cache.write(_contact, self.client_id, self.me, now, c["channel"], text, follow_up)
        self.contact = {"channel": c["channel"], "text": "", "follow_up": ""}
        self.contact_open, self.contact_error = False, None
        self._sync.sync_now()
        await self.load()
        return True

    # --- photos -----------------------------------------------------------------------------

    async def _thumbnails(self, shas: list[str]) -> None:
        """Thumbnails of these photos: from the cache, or fetched from the hub once (another device's)."""
        missing = [s for s in dict.fromkeys(shas) if s not in self.thumbs]
        if not missing:
            return
        made = dict(self.thumbs)
        for sha in missing:
            found = await self._ctx.cache.read(blobs.load, sha)
            if found is None:
                self._fetch(sha)
                continue
            made[sha] = await asyncio.to_thread(_thumb64, found[0])
        self.thumbs = made

    def _fetch(self, sha: str) -> None:
        client = self._sync.client
        if client is None or sha in self._fetching:
            return
        self._fetching.add(sha)

        async def get() -> None:
            try:
                content = await client.get_blob(sha)
            except HubError:
                return  # offline, or not uploaded yet: tried again at the next load
            finally:
                self._fetching.discard(sha)
            if hashlib.sha256(content).hexdigest() != sha:
                return
            try:
                thumb = await asyncio.to_thread(_thumb64, content)
            except OSError:  # not an image after all: nothing to show
                return
            await self._ctx.cache.write(blobs.put, content, photos.CONTENT_TYPE)
            self.thumbs = {**self.thumbs, sha: thumb}

        self._ctx.tasks.spawn(get())

    async def open_photo(self, sha: str | None) -> None:
        if sha is None:
            self.full_photo = None
            return
        found = await self._ctx.cache.read(blobs.load, sha)
        self.full_photo = base64.b64encode(found[0]).decode() if found else None


def _thumb64(jpeg: bytes) -> str:
    return base64.b64encode(photos.thumbnail(jpeg)).decode()


def _add_and_end_draft(db, client_id: str, author: Author, at: str, text: str, pinned, tags, follow_up, shots) -> str:
    """The entry and the end of its draft, in one transaction."""
    drafts.discard_draft(db, draft_key(client_id))
    return diary_records.add_entry(
        db, client_id, author, at, text, pinned=pinned, tags=tags, follow_up=follow_up, photos=shots
    )


def _revise_and_end_draft(db, client_id: str, entry_id: str, author: Author, at: str, changes: dict) -> bool:
    drafts.discard_draft(db, draft_key(client_id))
    return diary_records.revise_entry(db, entry_id, author, at, changes)


def _contact(db, client_id: str, author: Author, at: str, channel: str, text: str, follow_up: str | None) -> None:
    diary_records.log_contact(db, client_id, author, at, channel, text)
    if follow_up:
        diary_records.add_entry(db, client_id, author, at, text, follow_up=follow_up)
