"""Which fiscal receipts may be linked to a client.

The `n` of a receipt's QR (54-FZ): 1 sale, 2 sale return, 3 expense, 4 expense return.
Sales and their returns are the client's purchases; expense receipts (the shop paying
out, e.g. buying goods back) are not, and are refused on the device when scanned and on
the hub when a receipt.link names one.
"""

from __future__ import annotations

RECEIPT_TYPES: dict[int, str] = {1: "sale", 2: "sale return", 3: "expense", 4: "expense return"}

LINKABLE_TYPES: frozenset[int] = frozenset({1, 2})


def is_linkable(n: int) -> bool:
    """True when a receipt of type `n` may be linked to a client (a sale or a sale return)."""
    return n in LINKABLE_TYPES


def refusal(n: int) -> str | None:
    """Why a receipt of type `n` cannot be linked, as a sentence; None when it can."""
    if is_linkable(n):
        return None
    return f"This is an {RECEIPT_TYPES.get(n, f'unknown (type {n})')} receipt; only sales and returns link to clients."
