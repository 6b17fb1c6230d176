"""Receipt scanning: a handheld scanner's text or a photo, then one tap to link.

A card opens its client; a receipt is staged until a client is chosen and linked
(offline too: the hub matches it later by fn, i and fp).
"""

from __future__ import annotations

import asyncio
from dataclasses import InitVar, dataclass, field

import flet as ft

from app.cache import queries, records
from app.cache.queries import ClientRow
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
    text: str = ""                      # what a handheld scanner (or a person) typed
    client_id: str | None = None        # the client to link to, when chosen or preset
    client_name: str = ""
    receipt: ReceiptQR | None = None    # the parsed fiscal QR
    message: Message | None = None
    error: bool = False
    busy: bool = False
    query: str = ""
    candidates: list[ClientRow] = field(default_factory=list)
    linked: bool = False

    def __post_init__(self, ctx: Context, sync: SyncModel, profile: ProfileModel) -> None:
        self._ctx, self._sync, self._profile = ctx, sync, profile

    def _say(self, message: Message | None, error: bool = False) -> None:
        self.message, self.error = message, error

    def start(self, client_id: str | None = None, client_name: str = "") -> None:
        """Open the scan screen; from a profile the client is already chosen."""
        self.receipt, self.linked, self.text = None, False, ""
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

    async def _use(self, code: ScannedCode) -> None:
        self.linked = False
        match code:
            case ReceiptCode(receipt=qr) if not is_linkable(qr.n):
                self.receipt = None
                self._say(Message("scan.not_sale"), error=True)
            case ReceiptCode(receipt=qr):
                self.receipt = qr
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

    def choose_client(self, client_id: str | None, name: str) -> None:
        self.client_id, self.client_name = client_id, name
        self.candidates, self.query = [], ""
        if self.message == CHOOSE_CLIENT:
            self._say(None)

    async def link(self) -> bool:
        """Queue the link (works offline); the hub matches it by fn, i and fp."""
        qr = self.receipt
        if qr is None:
            return False
        if not self.client_id:
            self._say(CHOOSE_CLIENT, error=True)
            return False
        fiscal = {"fn": qr.fn, "i": qr.i, "fp": qr.fp, "s": qr.s, "t": qr.t.isoformat(), "n": qr.n}
        await self._ctx.cache.write(records.link_receipt, self.client_id, fiscal)
        self.linked = True
        self._say(Message("scan.linked"))
        self._sync.sync_now()
        if self._profile.client_id == self.client_id:
            await self._profile.load()
        return True
