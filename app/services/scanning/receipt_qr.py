"""The QR code printed on Russian fiscal receipts (54-FZ).

A till prints `t=20240315T1432&s=1250.00&fn=9960440300123456&i=4521&fp=2837461920&n=1`:

- t  time of the sale, local to the till, `YYYYMMDDTHHMM` with optional seconds
- s  total in roubles with kopecks after a dot (some tills print `s=1500`)
- fn fiscal drive number, 16 digits
- i  fiscal document number (ФД)
- fp fiscal sign (ФП)
- n  receipt type: 1 sale, 2 sale return, 3 expense, 4 expense return

Fields may come in any order and keys in any case. Anything else is refused with a
ReceiptQRError whose message a consultant can read. Field names follow the QR (and
`sync.models.ReceiptLinkPayload`), so `ReceiptLinkPayload(client_id=..., **qr.model_dump())`
builds the link mutation.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sync.rules.receipts import RECEIPT_TYPES  # the type names; which types link is a rule there too

FIELDS = ("t", "s", "fn", "i", "fp", "n")
# Far above any real payload (~90 characters); caps the work done on junk.
MAX_PAYLOAD = 256
# Sums up to 10^12 roubles: no receipt is larger, and the int stays small.
MAX_KOPECKS = 10**14 - 1

_TIME = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})?", re.ASCII)
_SUM = re.compile(r"(\d{1,12})(?:\.(\d{1,2}))?", re.ASCII)
_DIGITS = re.compile(r"\d+", re.ASCII)


class ReceiptQRError(ValueError):
    """The text is not a fiscal receipt QR; the message says why."""


class ReceiptQR(BaseModel):
    """A parsed, validated fiscal receipt QR."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    t: dt.datetime = Field(description="time of the receipt, the till's local time (naive)")
    s: int = Field(ge=0, le=MAX_KOPECKS, description="total in kopecks")
    fn: str = Field(pattern=r"^\d{16}$", description="fiscal drive number")
    i: str = Field(pattern=r"^\d{1,10}$", description="fiscal document number (ФД)")
    fp: str = Field(pattern=r"^\d{1,10}$", description="fiscal sign (ФП)")
    n: Literal[1, 2, 3, 4] = Field(description="1 sale, 2 sale return, 3 expense, 4 expense return")

    @field_validator("t")
    @classmethod
    def _whole_seconds_local(cls, value: dt.datetime) -> dt.datetime:
        # The QR holds neither a zone nor fractions of a second; refusing them here
        # keeps every model printable by to_payload() and parsed back unchanged.
        if value.tzinfo is not None:
            raise ValueError("t must be the till's local time, without a time zone")
        if value.microsecond:
            raise ValueError("t must be in whole seconds")
        return value

    @property
    def kind(self) -> str:
        """'sale', 'sale return', 'expense' or 'expense return'."""
        return RECEIPT_TYPES[self.n]

    @property
    def total_text(self) -> str:
        """The sum as roubles with kopecks, `1250.00`."""
        return f"{self.s // 100}.{self.s % 100:02d}"

    def to_payload(self) -> str:
        """The canonical QR text; `parse_receipt_qr(qr.to_payload()) == qr`."""
        t = self.t
        # Not strftime: %Y drops the zero padding of years below 1000 on glibc.
        when = f"{t.year:04d}{t.month:02d}{t.day:02d}T{t.hour:02d}{t.minute:02d}"
        if t.second:
            when += f"{t.second:02d}"
        return f"t={when}&s={self.total_text}&fn={self.fn}&i={self.i}&fp={self.fp}&n={self.n}"

    @classmethod
    def parse(cls, text: str) -> ReceiptQR:
        return parse_receipt_qr(text)


def parse_receipt_qr(text: str) -> ReceiptQR:
    """Parse a receipt QR payload or raise ReceiptQRError with the reason."""
    if not isinstance(text, str):
        raise ReceiptQRError("a receipt QR is text")
    text = text.strip()
    if not text:
        raise ReceiptQRError("the code is empty")
    if len(text) > MAX_PAYLOAD:
        raise ReceiptQRError("the code is too long for a receipt QR")
    raw = _split(text)
    missing = [name for name in FIELDS if name not in raw]
    if missing:
        raise ReceiptQRError(f"not a receipt QR: missing {', '.join(missing)}")
    values = {
        "t": _parse_time(raw["t"]),
        "s": _parse_sum(raw["s"]),
        "fn": _digits("fn", raw["fn"], 16, 16),
        "i": _digits("i", raw["i"], 1, 10),
        "fp": _digits("fp", raw["fp"], 1, 10),
        "n": _parse_type(raw["n"]),
    }
    try:
        return ReceiptQR(**values)
    except ValidationError as e:  # the checks above should catch everything first
        raise ReceiptQRError(f"not a valid receipt QR: {e.errors()[0]['msg']}") from None


def _split(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in text.split("&"):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or not key:
            raise ReceiptQRError(f"not a receipt QR: '{_show(part)}' is not a key=value pair")
        if key not in FIELDS:
            raise ReceiptQRError(f"not a receipt QR: unknown field '{_show(key)}'")
        if key in fields:
            raise ReceiptQRError(f"field {key} appears twice")
        fields[key] = value.strip()
    return fields


def _parse_time(value: str) -> dt.datetime:
    m = _TIME.fullmatch(value)
    if not m:
        raise ReceiptQRError("t must look like YYYYMMDDTHHMM or YYYYMMDDTHHMMSS")
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in m.groups())
    try:
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise ReceiptQRError(f"t is not a real date and time: {value}") from None


def _parse_sum(value: str) -> int:
    m = _SUM.fullmatch(value)
    if not m:
        raise ReceiptQRError("s must be roubles with up to two digits of kopecks, like 1250.00")
    roubles, kopecks = m.groups()
    # "1500.5" is 1500 roubles 50 kopecks, as a decimal number reads.
    return int(roubles) * 100 + int((kopecks or "0").ljust(2, "0"))


def _digits(name: str, value: str, low: int, high: int) -> str:
    if not _DIGITS.fullmatch(value) or not low <= len(value) <= high:
        size = f"{low}" if low == high else f"{low} to {high}"
        raise ReceiptQRError(f"{name} must be {size} digits")
    return value


def _parse_type(value: str) -> int:
    if value not in ("1", "2", "3", "4"):
        raise ReceiptQRError("n must be the receipt type 1, 2, 3 or 4")
    return int(value)


def _show(text: str, limit: int = 20) -> str:
    """A fragment of the input safe to put in a message."""
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
