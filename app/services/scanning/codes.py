"""What a scanned code is, and what it means to the app.

`classify()` sorts a code into one of three kinds:

- ReceiptCode: a fiscal receipt QR (see receipt_qr); the app links the receipt.
- CardCode: a loyalty card; the app opens the client with that card number. Cards are
  printed as EAN-13 (valid check digit) or Code 128, and the brand's app shows an
  e-card QR holding `vitrine:card:<number>` or `https://<host>/card/<number>`.
  Text with no symbology (typed, pasted, or sent by a handheld scanner acting as a
  keyboard) that is a card number with a digit in it counts as a card too, except 13
  digits whose EAN check digit is wrong: that is a typo in an EAN-13 card.
- UnknownCode: anything else, with a reason the screen can show.

A card number is 4 to 32 letters, digits or dashes (ClientProfile.card_number holds 32).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal
from urllib.parse import urlsplit

from .receipt_qr import ReceiptQR, ReceiptQRError, parse_receipt_qr


class Symbology(StrEnum):
    """Engine-neutral names of barcode formats, as shown in JSON and logs."""

    QR_CODE = "QR_CODE"
    MICRO_QR = "MICRO_QR"
    EAN_13 = "EAN_13"
    EAN_8 = "EAN_8"
    UPC_A = "UPC_A"
    UPC_E = "UPC_E"
    CODE_128 = "CODE_128"
    CODE_39 = "CODE_39"
    CODE_93 = "CODE_93"
    ITF = "ITF"
    CODABAR = "CODABAR"
    DATABAR = "DATABAR"
    DATABAR_EXPANDED = "DATABAR_EXPANDED"
    PDF417 = "PDF417"
    DATA_MATRIX = "DATA_MATRIX"
    AZTEC = "AZTEC"
    OTHER = "OTHER"


@dataclass(frozen=True, slots=True)
class Barcode:
    """One decoded symbol. Equal when format and text are; `engine` is for diagnostics."""

    format: Symbology
    text: str
    engine: str = field(default="", compare=False)


CardSource = Literal["ean13", "code128", "ecard", "typed"]


@dataclass(frozen=True, slots=True)
class ReceiptCode:
    barcode: Barcode
    receipt: ReceiptQR


@dataclass(frozen=True, slots=True)
class CardCode:
    barcode: Barcode
    number: str
    source: CardSource


@dataclass(frozen=True, slots=True)
class UnknownCode:
    barcode: Barcode
    reason: str


ScannedCode = ReceiptCode | CardCode | UnknownCode

ECARD_SCHEME = "vitrine:card:"
_CARD_NUMBER = re.compile(r"[0-9A-Za-z-]{4,32}", re.ASCII)
_EAN13 = re.compile(r"\d{13}", re.ASCII)
# Every receipt QR holds fn=; text with it is a receipt, even when damaged.
_RECEIPT_HINT = re.compile(r"(?:^|&)\s*fn\s*=", re.IGNORECASE)


def ean13_valid(text: str) -> bool:
    """True for 13 ASCII digits whose last one is the EAN check digit of the first 12."""
    if not _EAN13.fullmatch(text):
        return False
    digits = [int(c) for c in text]
    check = (10 - (sum(digits[0:12:2]) + 3 * sum(digits[1:12:2])) % 10) % 10
    return check == digits[12]


def ecard_number(text: str, hosts: Collection[str] | None = None) -> str | None:
    """The card number in an e-card QR, or None. `hosts` limits the URL form to those hosts."""
    text = text.strip()
    if text[: len(ECARD_SCHEME)].lower() == ECARD_SCHEME:
        number = text[len(ECARD_SCHEME) :]
    elif text[:8].lower() == "https://":
        try:
            url = urlsplit(text)
        except ValueError:
            return None
        host = (url.hostname or "").lower()
        if not host or (hosts is not None and host not in {h.lower() for h in hosts}):
            return None
        parts = url.path.rstrip("/").split("/")
        if len(parts) != 3 or parts[1].lower() != "card":
            return None
        number = parts[2]
    else:
        return None
    return number if _CARD_NUMBER.fullmatch(number) else None


def classify(code: Barcode | str, *, card_hosts: Collection[str] | None = None) -> ScannedCode:
    """Sort a decoded code (or typed text) into receipt, card or unknown."""
    barcode = code if isinstance(code, Barcode) else Barcode(Symbology.OTHER, code)
    text = barcode.text.strip()
    fmt = barcode.format

    if fmt in (Symbology.EAN_13, Symbology.OTHER) and _EAN13.fullmatch(text):
        if ean13_valid(text):
            return CardCode(barcode, text, "ean13")
        return UnknownCode(barcode, "the EAN-13 check digit does not match")
    if fmt is Symbology.CODE_128:
        if _CARD_NUMBER.fullmatch(text):
            return CardCode(barcode, text, "code128")
        return UnknownCode(barcode, "this Code 128 does not hold a card number")

    number = ecard_number(text, card_hosts)
    if number is not None:
        return CardCode(barcode, number, "ecard")
    try:
        return ReceiptCode(barcode, parse_receipt_qr(text))
    except ReceiptQRError as e:
        if _RECEIPT_HINT.search(text):
            return UnknownCode(barcode, str(e))
    if fmt is Symbology.OTHER and _CARD_NUMBER.fullmatch(text) and any(c.isdigit() for c in text):
        return CardCode(barcode, text, "typed")
    return UnknownCode(barcode, "neither a receipt QR nor a loyalty card")
