"""Domain and wire models shared by the app and the hub.

Everything that crosses the network is one of these pydantic models, so both ends
validate the same shapes. Money is kept in kopecks (int) and points in whole points
(int): no floats anywhere near a balance.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import uuid6
from pydantic import BaseModel, ConfigDict, Field, field_validator

from sync.rules.contacts import is_e164, normalise_email

PROTOCOL_VERSION = 1
"""Bumped when the wire contract changes incompatibly; the hub refuses others."""

PROTOCOL_HEADER = "X-Vitrine-Protocol"
# The hub answers 413 to a bigger request body, from its headers, before reading it (blob
# uploads have their own cap). A device never sends a mutation that could not fit.
MAX_REQUEST_BYTES = 8 << 20


def new_id() -> str:
    """A UUIDv7: time-ordered, made on the device where the thing is born."""
    return str(uuid6.uuid7())


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- profile -------------------------------------------------------------------------

CHANNELS = ("sms", "email", "messengers", "calls")
SIZE_FIELDS = ("chest", "waist", "hips", "shoe", "clothing")
# 152-FZ: the consent to processing personal data, and one consent per marketing channel.
ConsentPurpose = Literal["processing", "sms", "email", "messengers", "calls"]
CONSENT_PURPOSES: tuple[str, ...] = ConsentPurpose.__args__  # type: ignore[attr-defined]


class Consent(Model):
    """A purpose's current state in a client snapshot. On the hub's snapshot it is derived
    from the consent records (sync.hub.consents): `date` is the hub's day of receipt."""

    granted: bool
    date: dt.date | None = None
    text_version: str | None = Field(default=None, max_length=40)


class ConsentTerms(Model):
    """One purpose's answer as the client gave it, with the version of the text she was shown."""

    granted: bool
    text_version: str = Field(min_length=1, max_length=40)


class ClientProfile(Model):
    """The fields a consultant may edit. Every field is optional in a patch."""

    last_name: str = Field(min_length=1, max_length=80)
    first_name: str = Field(min_length=1, max_length=80)
    middle_name: str | None = Field(default=None, max_length=80)
    phone: str | None = Field(default=None, description="E.164, e.g. +79161234567")
    email: str | None = Field(default=None, max_length=200)
    birthday: dt.date | None = None
    gender: Literal["f", "m"] | None = None
    card_number: str | None = Field(default=None, max_length=32)
    sizes: dict[str, str] = Field(default_factory=dict)
    preferred_brands: list[str] = Field(default_factory=list)
    styles: list[str] = Field(default_factory=list)
    colours: list[str] = Field(default_factory=list)
    consents: dict[str, Consent] = Field(default_factory=dict)
    consultant_id: str | None = None
    notes: str | None = Field(default=None, max_length=2000)

    @field_validator("phone")
    @classmethod
    def _e164(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not is_e164(v):
            raise ValueError("phone must be in E.164 form, e.g. +79161234567")
        return v

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        return normalise_email(v)  # sync.rules.contacts: the form checks with the same rule

    @field_validator("sizes")
    @classmethod
    def _sizes(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = set(v) - set(SIZE_FIELDS)
        if unknown:
            raise ValueError(f"unknown size fields: {', '.join(sorted(unknown))}")
        return v

    @field_validator("consents")
    @classmethod
    def _consents(cls, v: dict[str, Consent]) -> dict[str, Consent]:
        unknown = set(v) - set(CONSENT_PURPOSES)
        if unknown:
            raise ValueError(f"unknown consent purposes: {', '.join(sorted(unknown))}")
        return v


PROFILE_FIELDS = tuple(ClientProfile.model_fields)


class Client(ClientProfile):
    """A client (member) as the hub publishes it in the change feed."""

    id: str
    store_id: str
    created_at: dt.datetime
    last_visit: dt.date | None = None
    # hub-owned loyalty figures (rule 2: the hub owns money)
    tier: str = "Silver"
    points_balance: int = 0
    pending_points: int = 0
    spend_12m: int = 0  # kopecks


# --- mutations -----------------------------------------------------------------------

MutationKind = Literal[
    "client.register",
    "client.update",
    "diary.add",
    "diary.revise",
    "diary.delete",
    "receipt.link",
    "form.sign",
    "contact.log",
    "consent.record",
    "client.erase",
    "client.viewed",
    "points.grant",
    "points.deduct",
    "task.update",
    "client.assign",
    "list.create",
]
MUTATION_KINDS: tuple[str, ...] = MutationKind.__args__  # type: ignore[attr-defined]


class RegisterPayload(ClientProfile):
    store_id: str
    referral_code: str | None = Field(
        default=None, max_length=40, description="A client's or stylist's referral code the newcomer came with"
    )


class PointsGrantPayload(Model):
    """points.grant (a manager): promotional points with their own short life, burned first."""

    client_id: str
    points: int = Field(gt=0, le=1_000_000)
    reason: str = Field(min_length=1, max_length=200)
    expire_days: int | None = Field(default=None, ge=1, le=366, description="Default: the program's promo life")


class PointsDeductPayload(Model):
    """points.deduct (a manager): take available points, with the reason recorded."""

    client_id: str
    points: int = Field(gt=0, le=1_000_000)
    reason: str = Field(min_length=1, max_length=200)


class UpdatePayload(Model):
    """Field-level patch: only the fields present are written."""

    fields: dict[str, Any]


UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class Mutation(Model):
    id: str = Field(pattern=UUID_PATTERN, description="UUIDv7 made on the device")
    kind: str = Field(max_length=40, description="validated by the hub: an unknown kind is rejected, not dropped")
    entity_id: str = Field(pattern=UUID_PATTERN)
    payload: dict[str, Any]
    client_time: dt.datetime


class MutationBatch(Model):
    device_id: str = Field(min_length=1, max_length=100)
    mutations: list[Mutation] = Field(max_length=500)


class MutationResult(Model):
    id: str
    status: Literal["applied", "duplicate", "rejected", "waiting"]
    code: str | None = Field(default=None, description="Machine-readable reason, e.g. receipt_taken")
    reason: str | None = None
    result: dict[str, Any] | None = None


class MutationResponse(Model):
    results: list[MutationResult]


# --- change feed ---------------------------------------------------------------------


class Change(Model):
    """One change of a page of the feed; the page itself and how the engine reads it are
    sync.page's (ChangePage, FeedRow)."""

    seq: int
    entity: str
    entity_id: str
    client_id: str | None = Field(
        default=None, description="The client the entity belongs to (a client's own id); null for others"
    )
    deleted: bool = False
    data: dict[str, Any] | None = None


# --- auth ----------------------------------------------------------------------------


# Problem types the device acts on (RFC 9457 `type`): an expired access token is renewed
# with the refresh token; a revoked device wipes its cache and secrets.
TOKEN_EXPIRED = "urn:vitrine:token-expired"
DEVICE_REVOKED = "urn:vitrine:device-revoked"


class LoginRequest(Model):
    login: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)
    device_label: str | None = Field(
        default=None, max_length=100, description="the device's model or name, shown to managers"
    )
    device_id: str | None = Field(
        default=None, max_length=36, description="the id this device was issued at an earlier login, kept with its key"
    )
    device_key: str | None = Field(default=None, max_length=100, description="the key issued with `device_id`")


class LoginResponse(Model):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds the access token lives")
    refresh_token: str
    device_id: str = Field(description="issued by the hub, bound to this session: mutations must name it")
    device_key: str = Field(description="proves the device id at a later login (kept in the secret store)")
    consultant_id: str
    consultant_name: str
    store_id: str
    store_name: str


MANAGER_ROLE = "manager"
"""The role (sync.hub.auth.MANAGER) of a store's manager: she may change any diary entry of her store."""


class Me(BaseModel):
    """GET /v1/me: the account a token belongs to. Unknown fields are ignored (a later hub
    may say more without breaking this app)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    name: str
    role: str = Field(description="consultant, manager, till or admin")
    store_id: str
    brand_id: str
    device_id: str | None = None


class RefreshRequest(Model):
    refresh_token: str = Field(min_length=1, max_length=200)


class TokenPair(Model):
    """A refreshed session: a new access token and the rotated refresh token (the old one is spent)."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str


class Device(Model):
    """A device in the hub's registry, as managers see it."""

    id: str
    store_id: str
    account_id: str
    account_name: str
    label: str | None
    created_at: dt.datetime
    last_seen: dt.datetime
    revoked_at: dt.datetime | None


# --- receipts ------------------------------------------------------------------------


class ReceiptLine(Model):
    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    price: int = Field(ge=0, description="kopecks per unit")
    qty: int = Field(default=1, ge=1, le=1000)
    sale: bool = False


class FiscalKey(Model):
    fn: str = Field(pattern=r"^\d{16}$")
    i: str = Field(pattern=r"^\d{1,10}$")
    fp: str = Field(pattern=r"^\d{1,10}$")


MAX_RECEIPT_TOTAL = 5_000_000_000
"""A receipt's largest total, in kopecks (50 million roubles): a wardrobe of a hundred of a
boutique's dearest pieces (~400,000 roubles each) is 40 million; a larger figure is a typo
or an attempt to mint points, and is refused rather than accrued."""
MAX_REDEEM_POINTS = MAX_RECEIPT_TOTAL // 100
"""The most points one receipt may ask to redeem: the largest total at a point a rouble
(the hub also never redeems more than the client holds or the program's cap allows)."""


class PosReceipt(FiscalKey):
    """A receipt as a till (or a 1C export) uploads it."""

    store_id: str = Field(max_length=36, description="the till's own store; another is refused")
    at: dt.datetime
    total: int = Field(ge=0, le=MAX_RECEIPT_TOTAL, description="kopecks")
    type: Literal[1, 2, 3, 4] = 1
    lines: list[ReceiptLine] = Field(default_factory=list, max_length=500)
    client_phone: str | None = None
    client_card: str | None = None
    redeem_points: int = Field(default=0, ge=0, le=MAX_REDEEM_POINTS)
    refers_to: FiscalKey | None = Field(default=None, description="the sale a return reverses")
    cashier: str | None = Field(
        default=None, max_length=100, description="who served at the till: a consultant's login (the reports)"
    )


class ReceiptLinkPayload(FiscalKey):
    """receipt.link: a consultant ties a scanned receipt to a client."""

    client_id: str
    t: dt.datetime | None = None
    s: int | None = Field(default=None, ge=0, description="kopecks, from the QR")
    n: Literal[1, 2, 3, 4] = 1


Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
MAX_DIARY_PHOTOS = 6


class DiaryPayload(Model):
    client_id: str
    text: str = Field(min_length=1, max_length=10_000)
    pinned: bool = False
    tags: list[str] = Field(default_factory=list, max_length=20, description="from the brand's list (diary_tags)")
    follow_up: dt.date | None = Field(default=None, description="a day to come back to her (sync.rules.diary)")
    photos_sha256: list[Sha256] = Field(
        default_factory=list, max_length=MAX_DIARY_PHOTOS, description="JPEG blobs uploaded before the entry"
    )


class DiaryRevisePayload(Model):
    """A new revision: the fields sent replace the entry's, the others are kept (a `follow_up`
    sent as null clears it)."""

    text: str = Field(min_length=1, max_length=10_000)
    pinned: bool | None = None
    tags: list[str] | None = None
    follow_up: dt.date | None = None
    follow_up_done: bool | None = None
    photos_sha256: list[Sha256] | None = Field(default=None, max_length=MAX_DIARY_PHOTOS)


class DiaryDeletePayload(Model):
    pass


class ContactPayload(Model):
    client_id: str
    channel: Literal["sms", "email", "messengers", "calls", "visit"]
    text: str = Field(min_length=1, max_length=4000)
    at: dt.datetime | None = None
    # An outreach send (sync.rules.outreach): the template it started from and the app it
    # went through. Absent from a contact logged by hand and from older devices.
    template: str | None = Field(default=None, max_length=40, pattern=r"^[a-z0-9_.-]+$")
    via: Literal["sms", "email", "whatsapp", "telegram", "call"] | None = None


class TaskUpdatePayload(Model):
    """A Today task's outcome (sync.rules.today): done, snoozed to a day, or dismissed."""

    task_key: str = Field(min_length=5, max_length=200)
    client_id: str = Field(min_length=1, max_length=36)
    status: Literal["done", "snoozed", "dismissed"]
    until: dt.date | None = None  # the snooze's day
    at: dt.datetime | None = None


class ClientAssignPayload(Model):
    """A manager gives a client to another consultant of her store."""

    client_id: str = Field(min_length=1, max_length=36)
    consultant_id: str = Field(min_length=1, max_length=36)


class ListCreatePayload(Model):
    """A manager's campaign list: the clients she filtered, for the consultants she chose."""

    id: str = Field(min_length=1, max_length=36)
    name: str = Field(min_length=1, max_length=120)
    note: str = Field(default="", max_length=1000)
    day: dt.date | None = None  # the campaign's date, e.g. the closed sale's
    client_ids: list[str] = Field(min_length=1, max_length=5000)
    assignees: list[str] = Field(min_length=1, max_length=50)
    filter: dict[str, Any] = Field(default_factory=dict)


class FormSignPayload(Model):
    client_id: str
    form_type: str = Field(min_length=1, max_length=40)
    version: str = Field(min_length=1, max_length=20)
    signature_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    pdf_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    form_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the form's canonical serialisation (docs/signed-forms.md); absent from old clients",
    )
    signed_at: dt.datetime
    consents: dict[ConsentPurpose, bool | ConsentTerms] = Field(
        default_factory=dict, description="per purpose: granted, with its text's version (a bare bool: the form's)"
    )

    def consent_terms(self) -> dict[str, ConsentTerms]:
        """Each purpose's answer with its text version (a bare bool's text is the form's own version)."""
        return {
            purpose: x if isinstance(x, ConsentTerms) else ConsentTerms(granted=x, text_version=self.version)
            for purpose, x in self.consents.items()
        }


class ConsentRecordPayload(Model):
    """consent.record: a client's answers per purpose (granted or withdrawn), outside a signed form
    or referring to one. The hub stamps its own time of receipt and the source (account, device)."""

    client_id: str
    consents: dict[ConsentPurpose, ConsentTerms] = Field(min_length=1)
    form_id: str | None = Field(default=None, pattern=UUID_PATTERN, description="the signed form they came from")


class ClientErasePayload(Model):
    """client.erase (the mutation's entity is the client): a data-subject request carried out."""

    request_ref: str | None = Field(
        default=None, max_length=64, description="the request's number in the brand's register (no personal data)"
    )


class ClientViewedPayload(Model):
    """client.viewed: a consultant opened the client's profile (an offline view arrives later;
    the mutation's client_time is when it happened, the hub adds its time of receipt)."""


# --- duplicates across a brand (sync.hub.duplicates, sync.hub.sharing, sync.hub.merge) ------


class ClientLookup(Model):
    """POST /v1/clients/lookup: who of the brand has this phone, e-mail or name + birthday.
    In the body, never in a URL: a URL ends up in access logs."""

    phone: str | None = Field(default=None, max_length=40, description="Any usual form; matched as E.164")
    email: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=80)
    first_name: str | None = Field(default=None, max_length=80)
    birthday: dt.date | None = Field(default=None, description="With last_name and first_name")


class LookupMatch(Model):
    """A client of the brand, masked: enough to recognise her, too little to harvest."""

    client_id: str
    store_id: str
    store_name: str
    name: str = Field(description='First name and initial, e.g. "Анна К."')
    phone: str | None = Field(default=None, description='e.g. "+7 *** ***-**-67"')
    email: str | None = Field(default=None, description='e.g. "a***@mail.ru"')
    matched_by: list[Literal["phone", "email", "name_birthday"]]
    in_my_store: bool = Field(description="Her store is the caller's, or she is shared into it")


class LookupResult(Model):
    matches: list[LookupMatch]


class SharedEntity(Model):
    entity: str
    entity_id: str
    client_id: str | None = None
    data: dict[str, Any]


class ShareResult(Model):
    """POST /v1/clients/{id}/share: she is now served in the caller's store."""

    client_id: str
    home_store_id: str
    shared: bool = Field(description="False when she was the caller's store's or shared into it already")
    client: Client
    entities: list[SharedEntity] = Field(description="Her other entities as the feed carries them")


class PairClient(Model):
    client_id: str
    store_id: str | None = None
    store_name: str | None = None
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    created_at: str | None = None
    receipts: int = 0
    points_balance: int = 0
    live: bool = True


class DuplicatePair(Model):
    id: str
    reason: Literal["phone", "email"]
    status: Literal["open", "merged", "dismissed"]
    created_at: str
    resolved_at: str | None = None
    survivor_id: str | None = None
    clients: list[PairClient]


class MergeRequest(Model):
    survivor_id: str = Field(pattern=UUID_PATTERN, description="The one of the pair who stays")


class MergeResult(Model):
    pair_id: str
    survivor_id: str
    merged_id: str
    moved: dict[str, int] = Field(description="Rows moved to the survivor, by kind")
