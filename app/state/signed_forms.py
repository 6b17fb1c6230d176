"""A client's signed forms as her profile lists them, each PDF read from the cache or the hub.

The device that signed a form keeps its PDF in the cache; another device of the store
has the form's record from the feed and fetches the PDF from the hub once, then keeps it
(in the encrypted cache, like every other blob).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import InitVar, dataclass, field

import flet as ft

from app.cache import blobs, signed_forms
from app.cache.signed_forms import FormRow
from app.state import registration
from app.state.context import Context
from app.state.messages import Message
from app.state.sync import SyncModel
from sync.client import HubError

log = logging.getLogger("vitrine.app")


@ft.observable
@dataclass(eq=False)
class SignedFormsModel:
    ctx: InitVar[Context]
    sync: InitVar[SyncModel]
    client_id: str = ""
    forms: list[FormRow] = field(default_factory=list)
    signed: bool = True  # she has granted the consent to processing (on a form or a hub record)
    missing: list[str] = field(default_factory=list)  # questionnaire answers her record lacks
    error: Message | None = None

    def __post_init__(self, ctx: Context, sync: SyncModel) -> None:
        self._ctx, self._sync = ctx, sync

    async def load(self, client_id: str, fields: dict) -> None:
        cache = self._ctx.cache
        forms = await cache.read(signed_forms.forms_of, client_id)
        signed = await cache.read(signed_forms.has_processing_consent, client_id)
        self.client_id, self.forms, self.signed = client_id, forms, signed
        self.missing, self.error = registration.missing(fields), None

    async def open_pdf(self, form: FormRow, name: str) -> bool:
        """The form's PDF handed to the platform (a desktop's viewer, a phone's share sheet, a
        browser download); False when there is no PDF to hand over (`error` says why)."""
        content = await self.pdf(form)
        if content is None:
            return False
        return (await self._ctx.platform.documents.save(name, content)).done

    async def pdf(self, form: FormRow) -> bytes | None:
        """The form's PDF: from the cache, else from the hub (then kept); None when neither has it."""
        sha = form.pdf_sha256
        if not sha:
            return None
        found = await self._ctx.cache.read(blobs.load, sha)
        if found is not None:
            return found[0]
        client = self._sync.client
        if client is None:
            self.error = Message("forms.pdf_offline")
            return None
        try:
            content = await client.get_blob(sha)
        except HubError as e:
            log.info("a signed form's PDF could not be fetched (%s)", type(e).__name__)
            self.error = Message("forms.pdf_offline")
            return None
        if hashlib.sha256(content).hexdigest() != sha:
            self.error = Message("forms.pdf_damaged")
            return None
        await self._ctx.cache.write(blobs.put, content, signed_forms.PDF)
        return content
