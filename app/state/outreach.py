"""Writing to a client from her profile: a template of the brand's, filled from her profile,
edited, and sent through the device's own app for the channel (SMS, e-mail, WhatsApp,
Telegram, a call) — only over a channel she consented to (sync.rules.outreach.refusal).

Each send is logged as contact.log with its template and channel, in the same local
transaction pattern as a contact typed by hand (app.cache.diary_records.log_contact), so
it is in her communications at once, offline too, and reaches the hub at the next sync.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable
from dataclasses import InitVar, dataclass, field

import flet as ft
from sqlite_utils import Database

from app.cache import diary_records
from app.cache.diary_records import Author
from app.cache.queries import ProfileData
from app.state import loyalty_view
from app.state.context import Context
from app.state.diary import DiaryModel
from app.state.messages import Message
from app.state.session import SessionModel
from app.state.sync import SyncModel
from sync.models import utcnow
from sync.rules.outreach import (
    CHANNELS,
    DEFAULT_TEMPLATES,
    LOG_CHANNEL,
    MAX_TEXT,
    Template,
    fill,
    link,
    profile_values,
    refusal,
)

ENTITY = "outreach_templates"


def brand_templates(db: Database) -> list[Template]:
    """The brand's templates as the hub published them to this store; the defaults before a
    first sync (a device that never synced still writes in the brand's default words)."""
    row = db.execute(f"SELECT data FROM entities WHERE entity = '{ENTITY}' LIMIT 1").fetchone()
    if row is None:
        return list(DEFAULT_TEMPLATES)
    return [Template.from_data(x) for x in json.loads(row[0]).get("templates") or []]


def refusal_message(channel: str, consents: dict[str, bool], phone: str | None, email: str | None) -> Message | None:
    """Why `channel` may not be used for her, as the consultant reads it; None when it may."""
    why = refusal(channel, consents, phone=phone, email=email)
    if why is None:
        return None
    return Message(
        f"outreach.no_consent_{why.purpose}" if why.code == "missing_consent" else f"outreach.no_{why.purpose}"
    )


Opener = Callable[[str], Awaitable[object]]


@ft.observable
@dataclass(eq=False)
class OutreachModel:
    ctx: InitVar[Context]
    session: InitVar[SessionModel]
    sync: InitVar[SyncModel]
    diary: InitVar[DiaryModel]
    client_id: str = ""
    composing: bool = False
    templates: list[Template] = field(default_factory=list)
    template_id: str = ""
    lang: str = "ru"
    channel: str = ""
    text: str = ""
    problem: Message | None = None  # a refusal (no consent, no contact) or an empty text
    done: Message | None = None  # what the last send opened
    last_link: str = ""  # the URL the last send opened (shown: a device without the app can copy it)

    def __post_init__(self, ctx: Context, session: SessionModel, sync: SyncModel, diary: DiaryModel) -> None:
        self._ctx, self._session, self._sync, self._diary = ctx, session, sync, diary
        self._profile: ProfileData | None = None

    # --- choosing -------------------------------------------------------------------------

    async def start(self, profile: ProfileData, lang: str) -> None:
        """Open the composer for her: the brand's templates, none chosen yet, the first channel
        she consented to (none: no channel is offered as usable)."""
        self._profile, self.client_id = profile, profile.client.id
        self.templates = await self._ctx.cache.read(brand_templates)
        self.lang = lang if any(t.lang == lang for t in self.templates) else "ru"
        self.template_id, self.text, self.problem, self.done, self.last_link = "", "", None, None, ""
        consents = self.consents
        self.channel = next((c for c in CHANNELS if consents.get(LOG_CHANNEL[c])), "")
        self.composing = True

    def close(self) -> None:
        self.composing, self.problem = False, None

    @property
    def consents(self) -> dict[str, bool]:
        p = self._profile
        return {k: c.granted for k, c in p.client.consents.items()} if p else {}

    def of_lang(self) -> list[Template]:
        return [t for t in self.templates if t.lang == self.lang]

    def choose_template(self, template_id: str) -> None:
        found = next((t for t in self.templates if t.id == template_id), None)
        if found is None or self._profile is None:
            return
        self.template_id, self.text, self.problem = found.id, fill(found.text, self._values(found.lang)), None

    def choose_lang(self, lang: str) -> None:
        """The same occasion's template in the other language (the text is filled again)."""
        current = next((t for t in self.templates if t.id == self.template_id), None)
        self.lang = lang
        if current is not None:
            twin = next((t for t in self.of_lang() if t.occasion == current.occasion), None)
            if twin is not None:
                self.choose_template(twin.id)

    def choose_channel(self, channel: str) -> None:
        """The channel, with its refusal said at once (she did not consent, or no contact)."""
        self.channel = channel
        self.problem = self._refusal(channel)

    def set_text(self, text: str) -> None:
        self.text = text[:MAX_TEXT]
        if self.problem == Message("outreach.empty"):
            self.problem = None

    # --- sending --------------------------------------------------------------------------

    async def send(self, opener: Opener | None = None) -> bool:
        """Check the channel's consent and the text, open the channel's app (`opener`, by
        default the platform's link opener) and log the contact. Refused: the reason, the text kept."""
        opener = opener or self._ctx.platform.links.open
        p = self._profile
        if p is None:
            return False
        if not self.channel:
            self.problem = Message("outreach.choose_channel")
            return False
        refused = self._refusal(self.channel)
        if refused is not None:
            self.problem = refused
            return False
        text = self.text.strip()
        if not text:
            self.problem = Message("outreach.empty")
            return False
        url = link(self.channel, text, phone=p.client.phone, email=p.client.email, subject=self._subject())
        if await opener(url) is False:  # the device has no app for it: nothing went out, nothing logged
            self.problem, self.last_link = Message("outreach.not_opened"), url
            return False
        who = self._session.current
        author = Author(who.consultant_id if who else None, who.consultant_name if who else "")
        channel, via = LOG_CHANNEL[self.channel], self.channel
        await self._ctx.cache.write(
            diary_records.log_contact,
            p.client.id,
            author,
            utcnow().isoformat(),
            channel,
            text,
            self.template_id or None,
            via,
        )
        self._sync.sync_now()
        self.last_link, self.done, self.problem, self.composing = url, Message(f"outreach.sent_{via}"), None, False
        await self._diary.load()  # her communications show it at once (pending until synced)
        return True

    def _refusal(self, channel: str) -> Message | None:
        p = self._profile
        if p is None:
            return None
        return refusal_message(channel, self.consents, p.client.phone, p.client.email)

    def _subject(self) -> str:
        found = next((t for t in self.templates if t.id == self.template_id), None)
        who = self._session.current
        store = who.store_name if who else ""
        return f"{found.title} · {store}" if found and store else (found.title if found else store)

    def _values(self, lang: str) -> dict[str, str | None]:
        p = self._profile
        assert p is not None
        figures = loyalty_view.figures(p.account, p.balance, utcnow())
        soonest = figures.expiring[0] if figures.expiring else None
        expiring = (soonest.points, dt.date.fromisoformat(soonest.at[:10])) if soonest else None
        who = self._session.current
        return profile_values(
            lang,
            first_name=p.client.first_name,
            middle_name=p.client.middle_name,
            points=figures.balance,
            expiring=expiring,
            consultant=who.consultant_name if who else None,
            store=who.store_name if who else None,
        )
