"""Loyalty program rules of the hub: a pure library (no database, no HTTP, no clock).

A brand's program is data (a TOML file, see docs/loyalty.md); the calculator
(calculator.py) turns receipts and the client's ledger into new, append-only ledger
entries with deterministic ids. The hub stores the entries and publishes the figures.
"""

from .calculator import (
    AccountSummary,
    LedgerEntry,
    Member,
    PointsAt,
    PurchaseResult,
    Receipt,
    ReceiptLine,
    ReferralCode,
    ReferralLink,
    Registration,
    ReturnResult,
    available_points,
    balance,
    check_ledger,
    deduct,
    entry_id,
    fiscal_receipt_id,
    grant,
    line_redeem_cap,
    max_redeem,
    on_birthday,
    on_purchase,
    on_referral_unlock,
    on_register,
    on_return,
    pending_points,
    receipt_from_record,
    redeem_cap_kopecks,
    referral_code,
    referral_discount,
    run_expiry,
    spend_in_window,
    summary,
    tier_at,
)
from .program import (
    BUILTIN_PROGRAMS,
    Duration,
    Program,
    ProgramError,
    Tier,
    builtin_program,
    load_program,
)

__all__ = [
    "BUILTIN_PROGRAMS", "AccountSummary", "Duration", "LedgerEntry", "Member", "PointsAt",
    "Program", "ProgramError", "PurchaseResult", "Receipt", "ReceiptLine", "ReferralCode",
    "ReferralLink", "Registration", "ReturnResult", "Tier", "available_points", "balance",
    "builtin_program", "check_ledger", "deduct", "entry_id", "fiscal_receipt_id", "grant",
    "line_redeem_cap", "load_program", "max_redeem", "on_birthday", "on_purchase",
    "on_referral_unlock", "on_register", "on_return", "pending_points", "receipt_from_record",
    "redeem_cap_kopecks", "referral_code", "referral_discount", "run_expiry", "spend_in_window",
    "summary", "tier_at",
]
