"""The fiscal receipt QR parser and the code classifier."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.services.scanning.codes import (
    Barcode,
    CardCode,
    ReceiptCode,
    Symbology,
    UnknownCode,
    classify,
    ean13_valid,
)
from app.services.scanning.receipt_qr import ReceiptQR, ReceiptQRError, parse_receipt_qr

TYPICAL = "t=20261120T1405&s=45000.00&fn=9281000100200300&i=1234&fp=3522207165&n=1"


def test_typical_payload_any_order_and_missing_seconds():
    a = parse_receipt_qr(TYPICAL)
    b = parse_receipt_qr("n=1&fp=3522207165&i=1234&fn=9281000100200300&s=45000&t=20261120T140500")
    assert a == b
    assert (a.s, a.t, a.kind, a.fn, a.i, a.fp) == (
        4_500_000,
        dt.datetime(2026, 11, 20, 14, 5),
        "sale",
        "9281000100200300",
        "1234",
        "3522207165",
    )
    assert a.to_payload() == TYPICAL


@pytest.mark.parametrize("s, kopecks", [("1500", 150_000), ("1500.5", 150_050), ("0.07", 7), ("12.30", 1230)])
def test_sum_forms(s, kopecks):
    assert parse_receipt_qr(TYPICAL.replace("s=45000.00", f"s={s}")).s == kopecks


def test_seconds_are_kept_and_keys_may_be_upper_case():
    qr = parse_receipt_qr(" T=20261120T140509&S=1&FN=9281000100200300&I=1&FP=1&N=2 \n")
    assert qr.t == dt.datetime(2026, 11, 20, 14, 5, 9) and qr.kind == "sale return"
    assert qr.to_payload() == "t=20261120T140509&s=1.00&fn=9281000100200300&i=1&fp=1&n=2"


def test_model_feeds_the_link_mutation():
    from sync.models import ReceiptLinkPayload

    payload = ReceiptLinkPayload(client_id="c1", **parse_receipt_qr(TYPICAL).model_dump())
    assert (payload.fn, payload.i, payload.fp, payload.s, payload.n) == (
        "9281000100200300",
        "1234",
        "3522207165",
        4_500_000,
        1,
    )


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "empty"),
        ("hello", "not a key=value pair"),
        ("https://example.com/?t=1", "unknown field"),
        ("t=20261120T1405&s=10", "missing fn, i, fp, n"),
        ("t=2026&s=1&fn=9281000100200300&i=1&fp=1&n=1", "t must look like"),
        ("t=20261340T1405&s=1&fn=9281000100200300&i=1&fp=1&n=1", "not a real date"),
        ("t=20261120T2505&s=1&fn=9281000100200300&i=1&fp=1&n=1", "not a real date"),
        ("t=20261120T1405&s=1.5.5&fn=9281000100200300&i=1&fp=1&n=1", "s must be"),
        ("t=20261120T1405&s=1,50&fn=9281000100200300&i=1&fp=1&n=1", "s must be"),
        ("t=20261120T1405&s=-1&fn=9281000100200300&i=1&fp=1&n=1", "s must be"),
        ("t=20261120T1405&s=10&fn=92810001&i=1&fp=1&n=1", "fn must be 16 digits"),
        ("t=20261120T1405&s=10&fn=928100010020030٣&i=1&fp=1&n=1", "fn must be 16 digits"),  # Arabic-Indic digit
        ("t=20261120T1405&s=10&fn=9281000100200300&i=12345678901&fp=1&n=1", "i must be 1 to 10 digits"),
        ("t=20261120T1405&s=10&fn=9281000100200300&i=1&fp=&n=1", "fp must be 1 to 10 digits"),
        ("t=20261120T1405&s=10&fn=9281000100200300&i=1&fp=1&n=7", "n must be"),
        ("t=20261120T1405&s=10&fn=9281000100200300&i=1&fp=1&n=1&n=1", "appears twice"),
        ("x" * 300, "too long"),
    ],
)
def test_garbage_is_rejected_with_a_reason(text, reason):
    with pytest.raises(ReceiptQRError) as e:
        parse_receipt_qr(text)
    assert reason in str(e.value)


def test_the_model_refuses_what_the_qr_cannot_hold():
    good = parse_receipt_qr(TYPICAL).model_dump()
    for bad in (
        {"t": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)},
        {"t": dt.datetime(2026, 1, 1, 0, 0, 0, 5)},
        {"s": -1},
        {"fn": "123"},
        {"n": 5},
    ):
        with pytest.raises(ValidationError):
            ReceiptQR(**(good | bad))


# --- properties ---------------------------------------------------------------------------

times = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
receipts = st.builds(
    ReceiptQR,
    t=times,
    s=st.integers(min_value=0, max_value=10**12),
    fn=st.from_regex(r"\A[0-9]{16}\Z"),
    i=st.from_regex(r"\A[0-9]{1,10}\Z"),
    fp=st.from_regex(r"\A[0-9]{1,10}\Z"),
    n=st.sampled_from([1, 2, 3, 4]),
)


@settings(max_examples=300)
@given(receipts)
def test_every_valid_model_round_trips(qr):
    assert parse_receipt_qr(qr.to_payload()) == qr


@st.composite
def printed_payloads(draw) -> tuple[str, ReceiptQR]:
    """The many ways a till may print one receipt: order, key case, seconds, short sums."""
    qr = draw(receipts)
    t = qr.t
    stamp = f"{t.year:04d}{t.month:02d}{t.day:02d}T{t.hour:02d}{t.minute:02d}"
    if t.second or draw(st.booleans()):
        stamp += f"{t.second:02d}"
    rub, kop = divmod(qr.s, 100)
    forms = [f"{rub}.{kop:02d}"]
    if kop == 0:
        forms.append(str(rub))
    if kop % 10 == 0:
        forms.append(f"{rub}.{kop // 10}")
    fields = [
        ("t", stamp),
        ("s", draw(st.sampled_from(forms))),
        ("fn", qr.fn),
        ("i", qr.i),
        ("fp", qr.fp),
        ("n", str(qr.n)),
    ]
    fields = draw(st.permutations(fields))
    text = "&".join(f"{k.upper() if draw(st.booleans()) else k}={v}" for k, v in fields)
    return text, qr


@settings(max_examples=300)
@given(printed_payloads())
def test_every_valid_payload_parses_and_round_trips(case):
    text, qr = case
    parsed = parse_receipt_qr(text)
    assert parsed == qr
    assert parse_receipt_qr(parsed.to_payload()) == parsed


@settings(max_examples=500)
@given(st.one_of(st.text(max_size=300), st.none(), st.integers(), st.binary(max_size=50)))
def test_no_input_raises_anything_but_the_parsers_error(value):
    with contextlib.suppress(ReceiptQRError):
        parse_receipt_qr(value)


@settings(max_examples=500)
@given(printed_payloads(), st.integers(min_value=0, max_value=120), st.text(max_size=6))
def test_damaged_payloads_parse_or_fail_cleanly(case, at, junk):
    """Characters dropped or inserted in a valid payload, as a bad scan would."""
    text = case[0]
    at = min(at, len(text))
    for damaged in (text[:at] + junk + text[at:], text[:at] + text[at + 1 :]):
        try:
            parse_receipt_qr(damaged)
        except ReceiptQRError as e:
            assert str(e)


# --- classify -------------------------------------------------------------------------------


def test_classify_receipt_card_ecard_unknown():
    receipt = classify(Barcode(Symbology.QR_CODE, TYPICAL))
    assert isinstance(receipt, ReceiptCode) and receipt.receipt.s == 4_500_000
    card = classify(Barcode(Symbology.EAN_13, "2000010002108"))
    assert isinstance(card, CardCode) and (card.number, card.source) == ("2000010002108", "ean13")
    assert classify(Barcode(Symbology.CODE_128, "VIP-00042")) == CardCode(
        Barcode(Symbology.CODE_128, "VIP-00042"), "VIP-00042", "code128"
    )
    assert isinstance(classify("2000010002109"), UnknownCode)  # bad check digit, typed
    assert classify(" VIP-00042\n") == CardCode(Barcode(Symbology.OTHER, " VIP-00042\n"), "VIP-00042", "typed")
    assert isinstance(classify(Barcode(Symbology.QR_CODE, "VIP-00042")), UnknownCode)  # a QR needs the e-card form
    assert isinstance(classify(Barcode(Symbology.CODE_128, "a b")), UnknownCode)


@pytest.mark.parametrize(
    "text, number",
    [
        ("vitrine:card:2000010002108", "2000010002108"),
        ("VITRINE:CARD:A-1234", "A-1234"),
        ("https://club.example.ru/card/2000010002108", "2000010002108"),
        ("https://club.example.ru/card/2000010002108/?utm=app", "2000010002108"),
        ("https://club.example.ru/cards/2000010002108", None),
        ("http://club.example.ru/card/2000010002108", None),
        ("vitrine:card:12", None),
        ("vitrine:card:" + "9" * 33, None),
    ],
)
def test_ecard_qr(text, number):
    code = classify(Barcode(Symbology.QR_CODE, text))
    if number is None:
        assert isinstance(code, UnknownCode)
    else:
        assert isinstance(code, CardCode) and code.number == number and code.source == "ecard"


def test_ecard_hosts_can_be_limited():
    text = "https://club.example.ru/card/2000010002108"
    assert isinstance(classify(text, card_hosts={"club.example.ru"}), CardCode)
    assert isinstance(classify(text, card_hosts={"other.example"}), UnknownCode)


def test_a_damaged_receipt_says_what_is_wrong():
    code = classify(Barcode(Symbology.QR_CODE, TYPICAL.replace("fn=9281000100200300", "fn=92810")))
    assert isinstance(code, UnknownCode) and code.reason == "fn must be 16 digits"
    code = classify("hello")
    assert isinstance(code, UnknownCode) and code.reason == "neither a receipt QR nor a loyalty card"


@given(st.from_regex(r"\A[0-9]{12}\Z"))
def test_ean13_check_digit(body):
    valid = [d for d in "0123456789" if ean13_valid(body + d)]
    assert len(valid) == 1
