"""The fiscal receipt QR parser and the code classifier."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.scanning.codes import CardCode, ReceiptCode, UnknownCode, classify
from app.services.scanning.receipt_qr import ReceiptQR, ReceiptQRError, parse_receipt_qr


def test_typical_payload_any_order_and_missing_seconds():
    a = parse_receipt_qr("t=20261120T1405&s=45000.00&fn=9281000100200300&i=1234&fp=3522207165&n=1")
    b = parse_receipt_qr("n=1&fp=3522207165&i=1234&fn=9281000100200300&s=45000&t=20261120T140500")
    assert a == b
    assert (a.s, a.t, a.kind) == (4_500_000, dt.datetime(2026, 11, 20, 14, 5), "sale")


@pytest.mark.parametrize("text, reason", [
    ("", "empty"), ("hello", "not a receipt"), ("t=20261120T1405&s=10", "missing"), ("t=2026&s=1&fn=1&i=1&fp=1&n=1", "t"),
    ("t=20261120T1405&s=1.5.5&fn=9281000100200300&i=1&fp=1&n=1", "s"),
    ("t=20261120T1405&s=10&fn=92810001&i=1&fp=1&n=1", "fn"),
    ("t=20261120T1405&s=10&fn=9281000100200300&i=1&fp=1&n=7", "n"),
])
def test_garbage_is_rejected_with_a_reason(text, reason):
    with pytest.raises(ReceiptQRError) as e:
        parse_receipt_qr(text)
    assert reason in str(e.value)


receipts = st.builds(
    ReceiptQR,
    t=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)).map(
        lambda d: d.replace(microsecond=0)),
    s=st.integers(min_value=0, max_value=10**11),
    fn=st.from_regex(r"\A[0-9]{16}\Z"), i=st.from_regex(r"\A[1-9][0-9]{0,9}\Z"), fp=st.from_regex(r"\A[0-9]{1,10}\Z"),
    n=st.sampled_from([1, 2, 3, 4]),
)


@settings(max_examples=300)
@given(receipts)
def test_every_valid_payload_round_trips(qr):
    assert parse_receipt_qr(qr.to_payload()) == qr


@settings(max_examples=500)
@given(st.text(max_size=300))
def test_no_input_raises_anything_but_the_parsers_error(text):
    try:
        parse_receipt_qr(text)
    except ReceiptQRError:
        pass


def test_classify_receipt_card_ecard_unknown():
    assert isinstance(classify("t=20261120T1405&s=10&fn=9281000100200300&i=1&fp=1&n=1"), ReceiptCode)
    card = classify("2000010002108")
    assert isinstance(card, CardCode) and card.number == "2000010002108"
    assert isinstance(classify("vitrine:card:2000010002108"), CardCode)
    assert isinstance(classify("2000010002109"), UnknownCode)  # bad check digit
