"""Reads the screens need, straight from the cache (run through `Cache.read`).

Each read returns a typed read model: frozen, with the hub's JSON already turned into
attributes, so a screen reads `profile.account.balance` rather than digging in dicts
with defaults of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from sqlite_utils import Database

from app.cache import search, search_index
from app.cache.clients import HUB_DATA
from app.services import phones
from sync.models import PROFILE_FIELDS

LIST_COLUMNS = "id, last_name, first_name, middle_name, phone, tier, points_balance, last_visit, store_id"


def _name(*parts: str | None) -> str:
    return " ".join(p for p in parts if p)


# --- the client book -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientRow:
    """One client in a list: enough to tell namesakes apart."""

    id: str
    last_name: str
    first_name: str
    middle_name: str | None = None
    phone: str | None = None
    tier: str | None = None
    points_balance: int = 0
    last_visit: str | None = None
    store_id: str | None = None
    store_name: str | None = None
    duplicate: bool = False
    """Another cached client has the same phone, or the same name and birthday."""

    @property
    def full_name(self) -> str:
        return _name(self.last_name, self.first_name, self.middle_name)

    @property
    def short_name(self) -> str:
        return _name(self.last_name, self.first_name)

    @property
    def masked_phone(self) -> str:
        return phones.mask_phone(self.phone) if self.phone else ""


def _row(r: tuple, stores: dict[str, str] | None = None) -> ClientRow:
    store_id = r[8]
    return ClientRow(
        id=r[0],
        last_name=r[1] or "",
        first_name=r[2] or "",
        middle_name=r[3],
        phone=r[4],
        tier=r[5],
        points_balance=r[6] or 0,
        last_visit=r[7],
        store_id=store_id,
        store_name=(stores or {}).get(store_id or ""),
    )


def client_count(db: Database) -> int:
    return db.execute("SELECT count(*) FROM clients").fetchone()[0]


def client_list(db: Database, query: str, limit: int = 100) -> list[ClientRow]:
    """The client book in name order, or the lookup's best matches for `query`."""
    stores = store_names(db)
    q = query.strip()
    if not q:
        rows = db.execute(
            f"SELECT {LIST_COLUMNS} FROM clients ORDER BY last_name, first_name LIMIT ?", [limit]
        ).fetchall()
        return [_row(r, stores) for r in rows]
    return [
        ClientRow(
            id=h.id,
            last_name=h.last_name,
            first_name=h.first_name,
            middle_name=h.middle_name,
            phone=h.phone,
            tier=h.tier,
            points_balance=h.points_balance,
            last_visit=h.last_visit,
            store_id=h.store_id,
            store_name=stores.get(h.store_id or ""),
            duplicate=h.duplicate,
        )
        for h in search.search(db, q, limit)
    ]


def client_by_card(db: Database, card: str) -> ClientRow | None:
    row = db.execute(f"SELECT {LIST_COLUMNS} FROM clients WHERE card_number = ? LIMIT 1", [card]).fetchone()
    return None if row is None else _row(row)


def client_by_phone(db: Database, phone: str) -> ClientRow | None:
    row = db.execute(f"SELECT {LIST_COLUMNS} FROM clients WHERE phone = ? LIMIT 1", [phone]).fetchone()
    return None if row is None else _row(row)


def clients_by_email(db: Database, email: str, limit: int = 5) -> list[ClientRow]:
    """Cached clients with this e-mail (by the search index: no scan of `clients`)."""
    key = search_index.norm_email(email)
    rows = db.execute(
        f"SELECT {LIST_COLUMNS} FROM clients WHERE id IN (SELECT client_id FROM search_doc WHERE email = ?) LIMIT ?",
        [key, limit],
    ).fetchall()
    stores = store_names(db)
    return [_row(r, stores) for r in rows]


def clients_by_name_birthday(
    db: Database, last_name: str, first_name: str, birthday: str, limit: int = 5
) -> list[ClientRow]:
    """Cached clients with this surname, name and birthday ("YYYY-MM-DD"), as the search
    index normalises them (its twin key: the same one that marks a possible duplicate)."""
    last, first, _ = search_index.name_words({"last_name": last_name, "first_name": first_name})
    key = search_index.twin_key(last, first, birthday)
    if key is None:
        return []
    rows = db.execute(
        f"SELECT {LIST_COLUMNS} FROM clients WHERE id IN (SELECT client_id FROM search_doc WHERE twin_key = ?) LIMIT ?",
        [key, limit],
    ).fetchall()
    stores = store_names(db)
    return [_row(r, stores) for r in rows]


def store_names(db: Database) -> dict[str, str]:
    rows = db.execute("SELECT id, json_extract(data, '$.name') FROM entities WHERE entity = 'store'")
    return dict(rows.fetchall())


# --- the profile -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Consent:
    granted: bool = False
    date: str | None = None
    text_version: str | None = None
    """The version of the text she was shown (None: a toggle on the profile, no text)."""
    source: str | None = None
    """form | consent | register | profile | erase (sync.hub.consents), when a record says so."""
    form_id: str | None = None


def consents(db: Database, client_id: str) -> dict[str, Consent]:
    """The client's current answer per purpose, from the hub's consent records (dated by the
    hub's time of receipt); purposes with no record are absent."""
    rows = db.execute(
        "SELECT purpose, granted, text_version, source, form_id, received_at FROM consent_state WHERE client_id = ?",
        [client_id],
    )
    return {
        purpose: Consent(bool(granted), (received_at or "")[:10] or None, version, source, form_id)
        for purpose, granted, version, source, form_id, received_at in rows
    }


@dataclass(frozen=True, slots=True)
class ClientDetail:
    """A client's own record as this device shows it (the hub's, with local edits on top)."""

    id: str
    last_name: str
    first_name: str
    middle_name: str | None
    phone: str | None
    email: str | None
    birthday: str | None
    card_number: str | None
    notes: str | None
    consultant_id: str | None
    tier: str | None
    points_balance: int
    sizes: dict[str, str]
    preferred_brands: tuple[str, ...]
    styles: tuple[str, ...]
    colours: tuple[str, ...]
    consents: dict[str, Consent]
    pending: bool
    """Not on the hub yet, or edited here since."""
    fields: dict[str, Any]
    """The record as stored: what the edit form starts from and diffs against."""

    @property
    def full_name(self) -> str:
        return _name(self.last_name, self.first_name, self.middle_name)

    @classmethod
    def from_data(cls, data: dict[str, Any], pending: bool) -> ClientDetail:
        consents = {
            ch: Consent(bool((x or {}).get("granted")), (x or {}).get("date"))
            for ch, x in (data.get("consents") or {}).items()
        }
        return cls(
            id=data["id"],
            last_name=data.get("last_name") or "",
            first_name=data.get("first_name") or "",
            middle_name=data.get("middle_name"),
            phone=data.get("phone"),
            email=data.get("email"),
            birthday=data.get("birthday"),
            card_number=data.get("card_number"),
            notes=data.get("notes"),
            consultant_id=data.get("consultant_id"),
            tier=data.get("tier"),
            points_balance=data.get("points_balance") or 0,
            sizes=dict(data.get("sizes") or {}),
            preferred_brands=tuple(data.get("preferred_brands") or ()),
            styles=tuple(data.get("styles") or ()),
            colours=tuple(data.get("colours") or ()),
            consents=consents,
            pending=pending,
            fields=data,
        )


@dataclass(frozen=True, slots=True)
class PointsOn:
    """Points that unlock, or expire, on a date."""

    points: int
    at: str


@dataclass(frozen=True, slots=True)
class Offer:
    """A coupon or a closed sale her tier gives, with its validity dates."""

    id: str
    kind: str
    title: str
    starts: str | None = None
    ends: str | None = None
    discount_percent: str | None = None
    code: str | None = None

    @classmethod
    def from_data(cls, d: dict[str, Any]) -> Offer:
        return cls(
            id=d.get("id") or "",
            kind=d.get("kind") or "",
            title=d.get("title") or "",
            starts=d.get("starts"),
            ends=d.get("ends"),
            discount_percent=d.get("discount_percent"),
            code=d.get("code"),
        )


@dataclass(frozen=True, slots=True)
class Account:
    """The hub's loyalty summary of a client (it owns the figures)."""

    tier: str | None = None
    balance: int | None = None
    pending: tuple[PointsOn, ...] = ()
    expiring: tuple[PointsOn, ...] = ()
    next_tier: str | None = None
    progress: float = 0.0
    to_next_tier: int = 0
    next_tier_by: str | None = None
    spend_12m: int | None = None
    max_redeem_percent: str | None = None
    as_of: str | None = None
    """The hub's time when it computed these figures."""
    referral_code: str | None = None
    offers: tuple[Offer, ...] = ()
    newcomer_discount_percent: str | None = None
    """A referred newcomer's till discount still to use ("0" once used)."""

    @classmethod
    def from_data(cls, d: dict[str, Any]) -> Account:
        return cls(
            as_of=d.get("as_of"),
            referral_code=d.get("referral_code"),
            newcomer_discount_percent=d.get("newcomer_discount_percent"),
            offers=tuple(Offer.from_data(o) for o in d.get("offers") or ()),
            tier=d.get("tier"),
            balance=d.get("balance"),
            pending=tuple(PointsOn(x["points"], x["at"]) for x in d.get("pending") or ()),
            expiring=tuple(PointsOn(x["points"], x["at"]) for x in d.get("expiring") or ()),
            next_tier=d.get("next_tier"),
            progress=d.get("progress") or 0.0,
            to_next_tier=d.get("to_next_tier") or 0,
            next_tier_by=d.get("next_tier_by"),
            spend_12m=d.get("spend_12m"),
            max_redeem_percent=None if d.get("max_redeem_percent") is None else str(d["max_redeem_percent"]),
        )


@dataclass(frozen=True, slots=True)
class ReceiptItem:
    name: str
    sale: bool = False


@dataclass(frozen=True, slots=True)
class Receipt:
    """A purchase (or return) the hub filed under the client."""

    id: str
    i: str
    at: str | None
    total: int
    items: tuple[ReceiptItem, ...]
    points_earned: int
    points_spent: int

    @classmethod
    def from_data(cls, d: dict[str, Any]) -> Receipt:
        return cls(
            id=d["id"],
            i=str(d.get("i") or ""),
            at=d.get("at"),
            total=d.get("total") or 0,
            items=tuple(ReceiptItem(x.get("name") or "", bool(x.get("sale"))) for x in d.get("lines") or ()),
            points_earned=d.get("points_earned") or 0,
            points_spent=d.get("points_spent") or d.get("redeem_points") or 0,
        )


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """One entry of the points ledger; `reason` is the hub's own words (English)."""

    id: str
    at: str | None
    points: int
    kind: str | None
    receipt_id: str | None
    reason: str | None
    source: str | None = None
    """The kind of the points an entry moves, where it is not its own: an expiry or a
    redemption names its bucket's (a purchase's "accrual" or a "campaign" bonus), a
    reversal the entry it answers. Tells a purchase's points from its bonus expiring."""
    campaign_id: str | None = None
    """The program campaign behind it; none on a manager's grant or deduction."""

    @classmethod
    def from_data(cls, d: dict[str, Any], by_id: dict[str, dict] | None = None) -> LedgerLine:
        # A reversal answers `ref_id` (the points it takes back, or the redemption it
        # restores); any other negative entry draws from its bucket (`bucket_id`).
        other = d.get("ref_id") or (d.get("bucket_id") if d.get("bucket_id") != d["id"] else None)
        source = (by_id or {}).get(other or "", {}).get("kind")
        return cls(
            id=d["id"],
            at=d.get("at"),
            points=d.get("points") or 0,
            kind=d.get("kind"),
            receipt_id=d.get("receipt_id"),
            reason=d.get("reason"),
            source=source,
            campaign_id=d.get("campaign_id"),
        )


@dataclass(frozen=True, slots=True)
class DiaryEntry:
    id: str
    text: str
    pinned: bool
    author_name: str | None
    updated_at: str | None
    pending: bool
    """Written here, not on the hub yet."""
    revisions: int
    """How many revisions the hub has folded into this entry (0 while pending)."""
    tags: tuple[str, ...] = ()
    follow_up: str | None = None
    """A day to come back to her (ISO date), None when the entry sets none."""
    follow_up_done: bool = False
    photos: tuple[str, ...] = ()
    """The photos' blob hashes (app.cache.blobs)."""
    author_id: str | None = None
    created_at: str | None = None
    edited_by: str | None = None
    """Who wrote its latest revision, when it has more than one."""

    @classmethod
    def from_data(cls, d: dict[str, Any]) -> DiaryEntry:
        return cls(
            id=d["id"],
            text=d.get("text") or "",
            pinned=bool(d.get("pinned")),
            author_name=d.get("author_name"),
            updated_at=d.get("updated_at"),
            pending=bool(d.get("pending")),
            revisions=len(d.get("revisions") or ()),
            tags=tuple(d.get("tags") or ()),
            follow_up=d.get("follow_up"),
            follow_up_done=bool(d.get("follow_up_done")),
            photos=tuple(d.get("photos") or ()),
            author_id=d.get("author_id"),
            created_at=d.get("created_at"),
            edited_by=d.get("edited_by"),
        )


@dataclass(frozen=True, slots=True)
class Contact:
    """A communication with the client (a call, a message, a visit)."""

    at: str | None
    channel: str | None
    author_name: str | None
    text: str

    @classmethod
    def from_data(cls, d: dict[str, Any]) -> Contact:
        return cls(at=d.get("at"), channel=d.get("channel"), author_name=d.get("author_name"), text=d.get("text") or "")


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of the profile changed: on the hub (the loser of a conflict is kept
    there), or here and not sent yet (`pending`)."""

    at: str | None
    field: str | None
    old_value: Any
    new_value: Any
    author: str | None = None
    """The consultant who saved it, as the hub names her (older hub entries have none)."""
    change_id: str | None = None
    """The mutation: the fields one save changed share it."""
    pending: bool = False

    @classmethod
    def from_data(cls, d: dict[str, Any]) -> FieldChange:
        return cls(
            at=d.get("at"),
            field=d.get("field"),
            old_value=d.get("old_value"),
            new_value=d.get("new_value"),
            author=d.get("consultant_name"),
            change_id=d.get("mutation_id"),
        )


@dataclass(frozen=True, slots=True)
class ReceiptRef:
    """A fiscal receipt as a consultant names it: document number (ФД), sum and time."""

    i: str
    s: int | None = None
    """Kopecks, from the QR or the till."""
    t: str | None = None
    """ISO time of the receipt."""

    @classmethod
    def from_data(cls, d: dict[str, Any]) -> ReceiptRef:
        return cls(i=str(d.get("i") or ""), s=d.get("s"), t=d.get("t"))


@dataclass(frozen=True, slots=True)
class ReceiptLink:
    """A receipt linked to a client: this device's placeholder (pending) or the hub's
    answer (waiting for the till, matched, or rejected)."""

    id: str
    receipt: ReceiptRef
    state: str
    fn: str = ""
    fp: str = ""
    code: str | None = None
    reason: str | None = None
    client_id: str | None = None
    at: str | None = None
    """When the link was made (the hub's links; this device's placeholder has none)."""

    @property
    def holds(self) -> bool:
        """The link claims its receipt: not refused (the first link wins on the hub)."""
        return self.state != "rejected"

    @classmethod
    def from_data(cls, d: dict[str, Any]) -> ReceiptLink:
        code = d.get("code")
        if d.get("state") == "rejected" and not code:
            code = "receipt_taken"  # the hub's own rejected link: the till named another client
        return cls(
            id=d["id"],
            receipt=ReceiptRef.from_data(d),
            state=d.get("state") or "waiting",
            fn=d.get("fn") or "",
            fp=d.get("fp") or "",
            code=code,
            reason=d.get("reason"),
            client_id=d.get("client_id"),
            at=d.get("at"),
        )


@dataclass(frozen=True, slots=True)
class Holder:
    """Whom the cache knows a receipt to be linked to, and since when."""

    link: ReceiptLink
    client: ClientRow | None
    """None when the client is not in this device's book."""


@dataclass(frozen=True, slots=True)
class Operation:
    """A mutation of this device's outbox, waiting to be sent or refused by the hub, with
    what it is about: the client it concerns, the receipt of a link, a diary entry's text."""

    id: str
    kind: str
    status: str
    reason: str | None = None
    code: str | None = None
    client_id: str | None = None
    client_name: str = ""
    receipt: ReceiptRef | None = None
    text: str | None = None

    @property
    def rejected(self) -> bool:
        return self.status == "rejected"


@dataclass(frozen=True, slots=True)
class ProfileData:
    """Everything the profile screen shows, read in one go."""

    client: ClientDetail
    consultant_name: str | None
    account: Account | None
    receipts: tuple[Receipt, ...]
    ledger: tuple[LedgerLine, ...]
    contacts: tuple[Contact, ...]
    history: tuple[FieldChange, ...]
    links: tuple[ReceiptLink, ...]
    pending: tuple[Operation, ...]
    """This device's unsent (or refused) operations for the client."""
    consultants: dict[str, str] = field(default_factory=dict)
    """Consultant names by id: a history line names the consultant a client moved to."""

    @property
    def tier(self) -> str | None:
        """The hub's current tier, else the one on the client record."""
        return (self.account.tier if self.account else None) or self.client.tier

    @property
    def balance(self) -> int:
        if self.account is not None and self.account.balance is not None:
            return self.account.balance
        return self.client.points_balance

    def receipt(self, receipt_id: str | None) -> Receipt | None:
        return next((r for r in self.receipts if r.id == receipt_id), None) if receipt_id else None


def client(db: Database, client_id: str) -> ClientDetail | None:
    row = db.execute(f"SELECT data, {HUB_DATA} FROM clients WHERE id = ?", [client_id]).fetchone()
    if row is None:
        return None
    found = ClientDetail.from_data(json.loads(row[0]), pending=row[1] is None or row[0] != row[1])
    recorded = consents(db, client_id)
    if not recorded:
        return found
    # The hub's records over the snapshot; a toggle made here and not synced yet stays on top.
    pending = set(unsent_consents(db, client_id))
    merged = {**recorded, **{p: c for p, c in found.consents.items() if p in pending or p not in recorded}}
    return replace(found, consents=merged)


def unsent_consents(db: Database, client_id: str) -> list[str]:
    """Purposes this device changed on the client's profile and has not had applied yet."""
    rows = db.execute(
        "SELECT payload FROM outbox WHERE entity_id = ? AND kind IN ('client.update', 'client.register')"
        " AND status IN ('pending', 'waiting')",
        [client_id],
    )
    out: list[str] = []
    for (payload,) in rows:
        p = json.loads(payload)
        out += list((p.get("fields") or p).get("consents") or {})
    return out


PROFILE_ENTITIES = ("receipt", "ledger", "contact", "history", "link")


def profile(db: Database, client_id: str) -> ProfileData | None:
    """Everything the profile screen shows, in one read."""
    found = client(db, client_id)
    if found is None:
        return None
    by_entity: dict[str, list[dict]] = {}
    # Only what the profile shows: her diary (maybe hundreds of entries) is read a page at a
    # time by app.cache.diary, never here.
    kinds = ",".join("?" * len(PROFILE_ENTITIES))
    rows = db.execute(
        f"SELECT entity, data FROM entities WHERE client_id = ? AND entity IN ({kinds})", [client_id, *PROFILE_ENTITIES]
    )
    for entity, data in rows:
        by_entity.setdefault(entity, []).append(json.loads(data))
    account = db.execute("SELECT data FROM entities WHERE entity = 'account' AND id = ?", [client_id]).fetchone()
    consultant = None
    if found.consultant_id:
        row = db.execute(
            "SELECT json_extract(data, '$.name') FROM entities WHERE entity = 'consultant' AND id = ?",
            [found.consultant_id],
        ).fetchone()
        consultant = row[0] if row else None
    pending = tuple(
        _operations(
            db,
            "WHERE (entity_id = ? OR json_extract(payload, '$.client_id') = ?) AND kind <> 'client.viewed'",
            [client_id, client_id],
        )
    )

    def newest(entity: str, key: str = "at") -> list[dict]:
        return sorted(by_entity.get(entity, []), key=lambda e: e.get(key) or "", reverse=True)

    ledger = newest("ledger")
    by_id = {e["id"]: e for e in ledger}
    return ProfileData(
        client=found,
        consultant_name=consultant,
        account=Account.from_data(json.loads(account[0])) if account else None,
        receipts=tuple(Receipt.from_data(r) for r in newest("receipt")),
        ledger=tuple(LedgerLine.from_data(e, by_id) for e in ledger),
        contacts=tuple(Contact.from_data(x) for x in newest("contact")),
        history=(*unsent_changes(db, client_id), *(FieldChange.from_data(h) for h in newest("history"))),
        links=tuple(ReceiptLink.from_data(x) for x in by_entity.get("link", [])),
        pending=pending,
        consultants=consultant_names(db),
    )


def consultant_names(db: Database) -> dict[str, str]:
    rows = db.execute("SELECT id, json_extract(data, '$.name') FROM entities WHERE entity = 'consultant'")
    return {cid: name for cid, name in rows.fetchall() if name}


def unsent_changes(db: Database, client_id: str) -> list[FieldChange]:
    """This device's edits the hub has not applied yet: the local view against the hub's
    snapshot under it, field by field, dated by the newest unsent edit."""
    row = db.execute(f"SELECT data, {HUB_DATA} FROM clients WHERE id = ?", [client_id]).fetchone()
    if row is None or row[1] is None or row[0] == row[1]:
        return []  # registered here and not on the hub yet (no edit to show), or nothing on top
    local, hub = json.loads(row[0]), json.loads(row[1])
    at = db.execute(
        "SELECT max(client_time) FROM outbox WHERE kind = 'client.update' AND entity_id = ?", [client_id]
    ).fetchone()[0]
    return [
        FieldChange(at=at, field=name, old_value=hub.get(name), new_value=local.get(name), pending=True)
        for name in PROFILE_FIELDS
        if local.get(name) != hub.get(name)
    ]


def rejections(db: Database) -> list[Operation]:
    """Mutations the hub refused, oldest first, until the consultant dismisses them."""
    return _operations(db, "WHERE status = 'rejected' AND kind <> 'client.viewed'", [])


def operation(db: Database, mutation_id: str) -> Operation | None:
    """One mutation still in the outbox (None once the hub applied it)."""
    return next(iter(_operations(db, "WHERE id = ?", [mutation_id])), None)


_CLIENT_KINDS = ("client.register", "client.update")


def _operations(db: Database, where: str, params: list[Any]) -> list[Operation]:
    rows = db.execute(
        f"SELECT id, kind, status, reason, code, entity_id, payload FROM outbox {where} ORDER BY seq", params
    ).fetchall()
    out = []
    for mid, kind, status, reason, code, entity_id, payload in rows:
        p = json.loads(payload)
        cid = entity_id if kind in _CLIENT_KINDS else p.get("client_id")
        named = db.execute("SELECT last_name, first_name FROM clients WHERE id = ?", [cid]).fetchone() if cid else None
        if named is None and kind == "client.register":
            named = (p.get("last_name"), p.get("first_name"))
        out.append(
            Operation(
                id=mid,
                kind=kind,
                status=status,
                reason=reason,
                code=code,
                client_id=cid,
                client_name=_name(*named) if named else "",
                receipt=ReceiptRef.from_data(p) if kind == "receipt.link" else None,
                text=p.get("text") if kind.startswith("diary.") else None,
            )
        )
    return out


# --- receipt links -------------------------------------------------------------------------


def link(db: Database, link_id: str) -> ReceiptLink | None:
    """A link by its id (the mutation that made it): this device's placeholder or the hub's answer."""
    row = db.execute("SELECT data FROM entities WHERE entity = 'link' AND id = ?", [link_id]).fetchone()
    return None if row is None else ReceiptLink.from_data(json.loads(row[0]))


def receipt_holder(db: Database, fn: str, i: str, fp: str, exclude: str | None = None) -> Holder | None:
    """The link that holds the receipt (fn, i, fp), as far as this cache knows: the hub's
    (waiting or matched) before one of this device's still unsent; refused ones hold nothing.
    `exclude`: a link not to count (the one being asked about)."""
    rows = db.execute(
        "SELECT data FROM entities WHERE entity = 'link' AND json_extract(data, '$.i') = ? "
        "AND json_extract(data, '$.fn') = ? AND json_extract(data, '$.fp') = ? AND id IS NOT ?",
        [i, fn, fp, exclude],
    ).fetchall()
    links = [x for x in (ReceiptLink.from_data(json.loads(r[0])) for r in rows) if x.holds]
    if not links:
        return None
    first = min(links, key=lambda x: (x.state == "pending", x.at or ""))
    row = db.execute(f"SELECT {LIST_COLUMNS} FROM clients WHERE id = ?", [first.client_id]).fetchone()
    return Holder(first, None if row is None else _row(row))


@dataclass(frozen=True, slots=True)
class LinkOutcome:
    """What became of the link this screen queued, as the cache knows it now."""

    link: ReceiptLink | None
    """The link entity: this device's placeholder ("pending"), then the hub's ("waiting",
    "matched") or the refusal recorded on it ("rejected")."""
    operation: Operation | None
    """Its mutation while it is in the outbox: pending, waiting or rejected (gone once applied)."""
    holder: Holder | None = None
    """On a refusal: whom the cache knows the receipt to belong to."""

    @property
    def state(self) -> str:
        if self.operation is not None and self.operation.rejected:
            return "rejected"
        return self.link.state if self.link is not None else "pending"

    @property
    def final(self) -> bool:
        """The hub has judged it (a waiting link may still be refused when the till names another client)."""
        return self.state in ("matched", "rejected")


def link_outcome(db: Database, link_id: str) -> LinkOutcome:
    """The link, its mutation, and on a refusal the receipt's holder, in one read."""
    found, op = link(db, link_id), operation(db, link_id)
    out = LinkOutcome(found, op)
    if out.state == "rejected" and found is not None:
        out = LinkOutcome(found, op, receipt_holder(db, found.fn, found.receipt.i, found.fp, exclude=link_id))
    return out
