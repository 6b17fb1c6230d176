"""Texts of the profile's loyalty card and points history."""

from __future__ import annotations

from typing import cast

from app.cache.queries import Account, ClientDetail, LedgerLine, ProfileData, Receipt
from app.ui.profile import ledger_text, next_tier_text

NBSP = "\u00a0"


def test_the_next_tier_reads_whole_with_or_without_a_deadline():
    open_ended = Account(next_tier="Gold", to_next_tier=30_000_000, next_tier_by=None)
    assert next_tier_text(open_ended, "ru").replace(NBSP, " ") == "До уровня Gold: покупки ещё на 300 000 ₽"
    assert next_tier_text(open_ended, "en").replace(NBSP, " ") == "To Gold: 300,000 ₽ more in purchases"
    dated = Account(next_tier="Gold", to_next_tier=30_000_000, next_tier_by="2026-06-01")
    assert next_tier_text(dated, "ru").replace(NBSP, " ") == "До уровня Gold: покупки ещё на 300 000 ₽ до 01.06.2026"


def profile_with(receipt: Receipt) -> ProfileData:
    return ProfileData(
        client=cast(ClientDetail, None),  # the texts under test never read the client
        consultant_name=None,
        account=None,
        receipts=(receipt,),
        ledger=(),
        contacts=(),
        history=(),
        links=(),
        pending=(),
    )


def test_two_expiries_of_one_receipt_say_which_points_burnt():
    p = profile_with(Receipt(id="r1", i="18280", at=None, total=0, items=(), points_earned=0, points_spent=0))

    def line(kind: str, source: str | None) -> str:
        return ledger_text(
            p, LedgerLine(id="e", at=None, points=-7692, kind=kind, receipt_id="r1", reason=None, source=source), "ru"
        )

    assert line("expiry", "accrual") == "Сгорание баллов за покупку, чек № 18280"
    assert line("expiry", "campaign") == "Сгорание бонуса по акции, чек № 18280"
    assert line("expiry", None) == "Сгорание баллов, чек № 18280"  # an older cache without the bucket
    assert line("redemption", "accrual") == "Оплата баллами, чек № 18280"  # no finer text: the kind's own
