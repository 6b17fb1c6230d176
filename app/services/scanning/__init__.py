"""Barcode scanning: decode every code in an image, parse receipt QRs, classify cards.

    from app.services.scanning import decode, classify
    for code in decode(photo_bytes):
        kind = classify(code)   # ReceiptCode | CardCode | UnknownCode

`python -m app.services.scanning IMAGE...` prints what it finds as JSON lines.
"""

from .codes import Barcode, CardCode, ReceiptCode, ScannedCode, Symbology, UnknownCode, classify
from .decoder import DecodeError, Decoder, ScannerUnavailable, decode, default_decoder
from .receipt_qr import ReceiptQR, ReceiptQRError, parse_receipt_qr

__all__ = [
    "Barcode",
    "CardCode",
    "DecodeError",
    "Decoder",
    "ReceiptCode",
    "ReceiptQR",
    "ReceiptQRError",
    "ScannedCode",
    "ScannerUnavailable",
    "Symbology",
    "UnknownCode",
    "classify",
    "decode",
    "default_decoder",
    "parse_receipt_qr",
]
