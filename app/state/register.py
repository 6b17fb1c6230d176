"""Registering a client offline: a quick card, or the signed questionnaire, on this device at once.

A registration opens empty, or with the consultant's own draft of one she left
unfinished (kept in the cache, so it survives a restart); "Отмена" and a successful
save discard the draft, so nobody else's data ever opens in the next registration.

Two ways to save: `save` registers the card as typed (the quick card, or the questionnaire
without a signature: the profile then asks for one), `sign` registers her (or, for an
existing client, records her answers) with the consents and the signature, as a PDF made
on the device and a form.sign queued after the client's own mutation. Signing happens in
hand-over mode: the tablet shows her the questionnaire and the consent texts only, and
goes back to the consultant with the consultant's PIN.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import InitVar, dataclass, field
from datetime import datetime
from typing import Any

import flet as ft
from sqlite_utils import Database

from app.cache import clients as cached_clients
from app.cache import drafts, local_matches, queries, signed_forms
from app.cache.queries import ClientRow
from app.services.consent_texts import ConsentText
from app.services.signed_form import SignedForm
from app.state import profile_form, registration
from app.state.clients import ClientsModel
from app.state.context import Context
from app.state.duplicates import criteria_of
from app.state.form_draft import FormDraft, owner_of
from app.state.lock import LockModel
from app.state.messages import Message
from app.state.profile import ProfileModel, form_errors
from app.state.session import SessionModel
from app.state.signature_pad import SignaturePadModel
from app.state.sync import SyncModel
from sync.models import ClientProfile, new_id, utcnow

log = logging.getLogger("vitrine.app")

MATCHED_BY = ("phone", "email", "last_name", "first_name", "birthday")
"""Fields whose change looks for the client on this device again."""


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
    lock: InitVar[LockModel | None] = None
    form: dict = field(default_factory=dict)
    errors: dict[str, Message] = field(default_factory=dict)
    duplicate_of: ClientRow | None = None  # an existing client with the same phone
    draft_from: datetime | None = None  # when the draft the form reopened with was typed
    failed_saves: int = 0  # counts refused saves: the screen moves focus on each
    quick: bool = False  # the quick card: name and phone only
    client_id: str | None = None  # signing for an existing client (activation), else a new one
    client_name: str = ""  # hers, for the screen's title when activating
    matches: list[tuple[str, ClientRow]] = field(default_factory=list)  # clients here she may be
    handover: bool = False  # the tablet is in the client's hands
    signed_form: str | None = None  # the form she has just signed (hand-over shows thanks)
    busy: bool = False  # making the PDF
    exit_pin: str = ""
    exit_error: Message | None = None
    pad: SignaturePadModel = field(default_factory=SignaturePadModel)

    def __post_init__(
        self,
        ctx: Context,
        session: SessionModel,
        sync: SyncModel,
        clients: ClientsModel,
        profile: ProfileModel,
        lock: LockModel | None,
    ) -> None:
        self._ctx, self._session, self._sync, self._clients, self._profile = ctx, session, sync, clients, profile
        self._lock = lock
        self._draft: FormDraft | None = None  # None: no registration open
        self._client_fields: dict[str, Any] = {}  # the activated client's record as it was opened

    def start(self) -> None:
        """Open the form (from a synchronous handler); see `open`."""
        self._ctx.tasks.spawn(self.open())

    async def open(self) -> None:
        """Open the form: as it was left in this session, else the consultant's draft, else empty."""
        owner = owner_of(self._session.current)
        if self._draft is None or self._draft.owner != owner or self.client_id is not None:
            draft = FormDraft(self._ctx.cache, drafts.REGISTER, owner, registration.blank())
            kept = await draft.load()
            self._draft = draft
            self._reset(draft.restored(kept))
            self.draft_from = kept.saved_at if kept else None
            self._ctx.tasks.spawn(self._find_matches())
        elif self._draft.kept_at is not None:
            self.draft_from = self._draft.kept_at  # left for another screen: say it is a draft
        self._ctx.ui.go("/register")

    async def open_for(self, client_id: str) -> None:
        """Activation: the questionnaire of an existing client, pre-filled from her record."""
        detail = await self._ctx.cache.read(queries.profile, client_id)
        if detail is None:
            return
        fields = detail.client.fields
        self._draft = FormDraft(
            self._ctx.cache, drafts.profile_key(client_id) + ":sign", owner_of(self._session.current), {}
        )
        base = registration.from_client(fields)
        self._draft.base = dict(base)
        self._reset(self._draft.restored(await self._draft.load()))
        self.client_id, self.client_name, self._client_fields = client_id, detail.client.full_name, dict(fields)
        self._ctx.ui.go("/register")

    def _reset(self, form: dict) -> None:
        self.form = form
        self.errors, self.duplicate_of, self.failed_saves, self.matches = {}, None, 0, []
        self.client_id, self.client_name, self._client_fields = None, "", {}
        self.quick, self.signed_form, self.busy = False, None, False
        self.pad.clear()

    def set_quick(self, quick: bool) -> None:
        self.quick = quick

    def forget_error(self, name: str) -> None:
        """A field's message goes once it is worked on again."""
        if name in self.errors:
            self.errors = {k: v for k, v in self.errors.items() if k != name}

    def set_field(self, name: str, value: object) -> None:
        """What the consultant (or she) typed: into the form and into its draft."""
        self.form[name] = value
        self.errors.pop(name, None)
        if self._draft is not None:
            self._draft.keep(self.form)
        if name in MATCHED_BY:
            self._ctx.tasks.spawn(self._find_matches())

    async def _find_matches(self) -> None:
        """Clients on this device with the phone, e-mail, or name and birthday typed so far."""
        f = self.form
        c = criteria_of(f)
        found = await self._ctx.cache.read(
            local_matches.matches,
            c.phone,
            c.email,
            (c.last_name or "", c.first_name or ""),
            c.birthday,
            self.client_id,
        )
        if self.form is f:  # not a form opened since
            self.matches = [(why[0], r) for r, why in found]

    async def open_match(self, client_id: str) -> None:
        """She is already a client: open her instead (the draft stays for "Регистрация")."""
        await self._profile.open(client_id)

    async def cancel(self) -> None:
        """Abandon the registration: the form and its draft are gone."""
        back = self.client_id
        await self._close()
        if back:
            await self._profile.open(back)
        else:
            self._ctx.ui.go("/clients")

    async def _close(self) -> None:
        if self._draft is not None:
            await self._draft.discard()
        self._draft = None
        self._reset({})
        self.draft_from = None

    def _refuse(self, errors: dict[str, Message]) -> None:
        self.errors = errors
        self.failed_saves += 1

    async def save(self) -> str | None:
        """Register the card as typed, unsigned; returns the new client's id, or None (see `errors`)."""
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

    # --- hand-over and signing -------------------------------------------------------------

    def hand_over(self) -> None:
        """Turn the tablet to the client: the questionnaire and the consents, nothing else."""
        self.quick, self.handover, self.exit_pin, self.exit_error = False, True, "", None

    def texts(self) -> list[ConsentText]:
        return registration.texts(self._ctx.ui.lang)

    async def sign(self) -> str | None:
        """Sign: the form checked, the PDF made (off the event loop), the client and the form
        stored and queued in one transaction. Returns the form's id, or None (see `errors`)."""
        form, who = dict(self.form), self._session.current
        changed, errors = registration.check(form, self._client_fields)
        signature = self.pad.signature()
        self.pad.error = registration.signature_error(signature)
        if self.pad.error:
            errors["signature"] = self.pad.error
        if errors or who is None:
            self._refuse(form_errors(errors) if errors else {"_form": Message("form.invalid")})
            return None
        shown = self.texts()
        cid, form_id, new = self.client_id or new_id(), new_id(), self.client_id is None
        new_client = None
        if new:
            fields, _ = profile_form.fields_from_form(form, {})
            fields.pop("consents", None)
            new_client = ClientProfile.model_validate(
                {**fields, **({"gender": changed["gender"]} if "gender" in changed else {})}
                | {"consultant_id": who.consultant_id}
            )
        # Here, not at the module's top: fpdf2 costs a second of the app's start-up (bench startup).
        from app.services.signed_pdf import Operator, SignedPdfInput, build

        store = await self._ctx.cache.read(signed_forms.store_details, who.store_id)
        operator = Operator(name=store.get("name") or who.store_name, address=store.get("address") or who.store_name)
        signed = SignedForm(
            form_id=form_id,
            client_id=cid,
            data=registration.data_of(form),
            consents=registration.decisions(form, shown),
            signature=signature,
            signed_at=utcnow(),
            store=who.store_name,
            consultant=who.consultant_name,
        )
        self.busy = True
        try:
            made = await asyncio.to_thread(
                build, SignedPdfInput(form=signed, operator=operator, language=self._ctx.ui.lang)
            )
        finally:
            self.busy = False
        payload = {
            "client_id": cid,
            "form_type": signed.form_type,
            "version": signed.form_version,
            "signature_sha256": made.signature_sha256,
            "pdf_sha256": made.pdf_sha256,
            "form_sha256": made.form_sha256,
            "signed_at": signed.signed_at.isoformat(),
            "consents": {
                c.purpose: {"granted": c.granted, "text_version": registration.text_version(c)} for c in signed.consents
            },
        }
        record = signed_forms.Registration(
            client_id=cid,
            form_id=form_id,
            payload=payload,
            pdf=made.pdf,
            png=made.signature_png,
            new_client=new_client,
            store_id=who.store_id,
            changed=None if new else changed,
            referral_code=signed.data.referral_code or None,
        )
        await self._ctx.cache.write(signed_forms.save, record)
        if self._draft is not None and not new:
            await self._draft.discard()
        self._sync.sync_now()
        log.info("signed form %s stored and queued", form_id)
        self._draft = None
        self.signed_form, self.client_id = form_id, cid
        await self._clients.refresh()
        return form_id

    async def leave_handover(self) -> bool:
        """The consultant takes the tablet back: her PIN (or, with none here, a new login)."""
        pin, self.exit_pin = self.exit_pin, ""
        problem = await self._lock.verify_consultant(pin) if self._lock is not None else None
        if problem is not None:
            if self._session.current is None:  # the fifth wrong PIN ended the session
                self.handover = False
                self._reset({})
            self.exit_error = problem
            return False
        self.handover, self.exit_error = False, None
        done, cid = self.signed_form, self.client_id
        if done and cid:
            self._reset({})
            self.draft_from = None
            await self._profile.open(cid)
        return True
