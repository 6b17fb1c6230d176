"""Receipt scanning: a handheld scanner's text or a photo, then one tap to link.

A card opens its client; a receipt is staged until a client is chosen and linked
(offline too: the hub matches it later by fn, i and fp). The screen never claims a link
the hub could still refuse: a receipt the cache already knows to be another client's is
refused here, naming that client; otherwise the link is queued and the screen follows
its outcome (`outcome`, re-read on every sync status) until the hub has answered.
"""

from __future__ import annotations

import asyncio
from dataclasses import InitVar, dataclass, field

import flet as ft

from app.cache import queries, records
from app.cache.queries import ClientRow, Holder, LinkOutcome
from app.services.scanning.codes import CardCode, ReceiptCode, ScannedCode, UnknownCode, classify
from app.services.scanning.decoder import decode
from app.services.scanning.receipt_qr import ReceiptQR
from app.state.context import Context
from app.state.messages import Message
from app.state.profile import ProfileModel
from app.state.sync import SyncModel
from sync.rules.receipts import is_linkable

CANDIDATES = 8

CHOOSE_CLIENT = Message("scan.choose_client")


def best_code(codes: list[ScannedCode]) -> ScannedCode | None:
    """A receipt wins over a card; among the rest the first readable code."""

    def rank(code: ScannedCode) -> int:
        match code:
            case ReceiptCode():
                return 0
            case CardCode():
                return 1
            case _:
                return 2

    return min(codes, key=rank, default=None)  # min keeps the first of equals


@ft.observable
@dataclass(eq=False)
class ScanModel:
    ctx: InitVar[Context]
    sync: InitVar[SyncModel]
    profile: InitVar[ProfileModel]
    text: str = ""  # what a handheld scanner (or a person) typed
    client_id: str | None = None  # the client to link to, when chosen or preset
    client_name: str = ""
    receipt: ReceiptQR | None = None  # the parsed fiscal QR
    message: Message | None = None
    error: bool = False
    busy: bool = False
    query: str = ""
    candidates: list[ClientRow] = field(default_factory=list)
    holder: Holder | None = None  # the receipt is known to be linked already: nothing to queue
    sent: str | None = None  # the link this screen queued (its mutation id)
    outcome: LinkOutcome | None = None  # what became of it, re-read on sync status changes
    offline: bool = False  # the hub was unreachable at the last sync attempt

    @property
    def linked(self) -> bool:
        """A link for the staged receipt is queued or known: the link button gives way to the profile."""
        return self.sent is not None or self.holder is not None

    def __post_init__(self, ctx: Context, sync: SyncModel, profile: ProfileModel) -> None:
        self._ctx, self._sync, self._profile = ctx, sync, profile

    def _say(self, message: Message | None, error: bool = False) -> None:
        self.message, self.error = message, error

    def start(self, client_id: str | None = None, client_name: str = "") -> None:
        """Open the scan screen; from a profile the client is already chosen."""
        self.receipt, self.text = None, ""
        self._forget_link()
        self._say(None)
        if client_id:
            self.client_id, self.client_name = client_id, client_name
        self._ctx.ui.go("/scan")

    async def scan_text(self, text: str) -> None:
        """A payload typed by a handheld scanner (ends with Enter) or pasted by hand."""
        self.text = text
        if text.strip():
            await self._use(classify(text.strip()))

    async def scan_image(self, data: bytes) -> None:
        """A photo or screenshot: decode every code in it, off the event loop."""
        self.busy = True
        self._say(None)
        try:
            codes = await asyncio.to_thread(decode, data)
        except Exception as e:  # noqa: BLE001 - an unreadable file is the consultant's problem to see
            self.busy = False
            self._say(Message.of("scan.bad_image", e), error=True)
            return
        self.busy = False
        code = best_code([classify(c) for c in codes])
        if code is None:
            self._say(Message("scan.nothing"), error=True)
            return
        await self._use(code)

    async def scan_code(self, code: ScannedCode) -> None:
        """A code the live camera found (app.state.camera): used as a photo's would be."""
        self.text = ""
        await self._use(code)

    def _forget_link(self) -> None:
        self.holder, self.sent, self.outcome = None, None, None

    async def _use(self, code: ScannedCode) -> None:
        self._forget_link()
        match code:
            case ReceiptCode(receipt=qr) if not is_linkable(qr.n):
                self.receipt = None
                self._say(Message("scan.not_sale"), error=True)
            case ReceiptCode(receipt=qr):
                self.receipt = qr
                self._say(None)
                if not await self._known_holder():
                    self._say(None if self.client_id else CHOOSE_CLIENT)
            case CardCode(number=number):
                found = await self._ctx.cache.read(queries.client_by_card, number)
                if found is None:
                    self._say(Message.of("scan.card_unknown", number), error=True)
                else:
                    await self._profile.open(found.id)
            case UnknownCode(reason=reason):
                self._say(Message.of("scan.unknown", reason), error=True)

    async def find_client(self, query: str) -> None:
        self.query = query
        self.candidates = await self._ctx.cache.read(queries.client_list, query, CANDIDATES) if query.strip() else []

    async def _known_holder(self) -> bool:
        """Whether the cache knows the staged receipt to be linked already (to anyone): then
        nothing is queued, and the screen says to whom and since when."""
        qr = self.receipt
        self.holder = None if qr is None else await self._ctx.cache.read(queries.receipt_holder, qr.fn, qr.i, qr.fp)
        if self.holder is not None and self.holder.link.state == "pending" and not self.taken:
            # This device's own unsent link for this client: follow it rather than claim it is done.
            self.sent, self.holder = self.holder.link.id, None
            await self.refresh()
        return self.holder is not None or self.sent is not None

    @property
    def taken(self) -> bool:
        """The staged receipt is known to be another client's: the link is refused here."""
        return self.holder is not None and self.holder.link.client_id != self.client_id

    def choose_client(self, client_id: str | None, name: str) -> None:
        self.client_id, self.client_name = client_id, name
        self.candidates, self.query = [], ""
        if self.message == CHOOSE_CLIENT:
            self._say(None)

    async def link(self) -> bool:
        """Queue the link (works offline); the hub matches it by fn, i and fp. Refused here,
        with nothing queued, when the cache knows the receipt is linked already."""
        qr = self.receipt
        if qr is None or self.sent is not None:
            return False
        if not self.client_id:
            self._say(CHOOSE_CLIENT, error=True)
            return False
        if await self._known_holder():  # asked again: a pull since the scan may have brought a link
            return False
        fiscal = {"fn": qr.fn, "i": qr.i, "fp": qr.fp, "s": qr.s, "t": qr.t.isoformat(), "n": qr.n}
        self.sent = await self._ctx.cache.write(records.link_receipt, self.client_id, fiscal)
        await self.refresh()
        self._sync.sync_now()
        if self._profile.client_id == self.client_id:
            await self._profile.load()
        return True

    async def refresh(self) -> None:
        """Re-read the queued link's outcome (called on every sync status change)."""
        self.offline = self._sync.status.online is False
        if self.sent is not None:
            self.outcome = await self._ctx.cache.read(queries.link_outcome, self.sent)
