from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.services import phones
from sync.rules.contacts import normalise_phone


@pytest.mark.parametrize(
    "typed",
    [
        "+7 916 123-45-67",
        "+79161234567",
        "8-916-123-45-67",
        "8 (916) 123 45 67",
        "9161234567",
        "79161234567",
        "+7(916)123 45 67",
        " 8 916 1234567 ",
        "+7\u00a0916\u00a0123\u201245\u201267",  # no-break spaces and a figure dash, pasted
    ],
)
def test_normalise_any_russian_format(typed):
    assert normalise_phone(typed) == "+79161234567"


@pytest.mark.parametrize("typed", ["", None, "abc", "4567", "12345", "+7 916"])
def test_normalise_rejects_what_is_not_a_phone(typed):
    assert normalise_phone(typed) is None


def test_normalise_foreign_number_with_plus():
    assert normalise_phone("+44 20 7946 0958") == "+442079460958"


def test_strict_requires_a_range_in_use():
    # +7 000... has a possible length for Russia but no operator uses it.
    assert normalise_phone("+7 000 123-45-67") == "+70001234567"
    assert normalise_phone("+7 000 123-45-67", strict=True) is None
    assert normalise_phone("+7 916 123-45-67", strict=True) == "+79161234567"


@given(st.integers(min_value=900_000_0000, max_value=999_999_9999))
def test_every_format_of_a_mobile_number_meets_the_same_e164(n):
    s = str(n)
    formats = [s, "8" + s, "+7" + s, f"8 ({s[:3]}) {s[3:6]}-{s[6:8]}-{s[8:]}", f"+7 {s[:3]} {s[3:]}"]
    assert {normalise_phone(f) for f in formats} == {"+7" + s}


def test_format_phone():
    assert phones.format_phone("+79161234567") == "+7 916 123-45-67"
    assert phones.format_phone("+442079460958") == "+44 20 7946 0958"
    assert phones.format_phone("") == ""
    assert phones.format_phone(None) == ""


@given(st.integers(min_value=0, max_value=999_999_999))
def test_russian_mobile_fast_path_matches_phonenumbers(n):
    import phonenumbers

    e164 = f"+79{n:09d}"
    slow = phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    assert phones.format_phone(e164) == slow
    assert phones.mask_phone(e164) == phones.mask_phone(e164, visible=4) == slow[:7] + "***" + slow[10:]


@given(st.integers(min_value=0, max_value=999_999_999))
def test_mask_phone_generic_path_agrees_with_fast_path(n):
    e164 = f"+79{n:09d}"
    assert phones._mask_formatted(e164, 4) == phones.mask_phone(e164)


def test_mask_phone_visible_digits():
    assert phones.mask_phone("+79161234567", 2) == "+7 916 ***-**-67"


def test_mask_phone_keeps_code_and_last_four():
    assert phones.mask_phone("+79161234567") == "+7 916 ***-45-67"
    assert phones.mask_phone("+74951234567") == "+7 495 ***-45-67"
    assert phones.mask_phone("+442079460958") == "+44 20 **** 0958"
    assert phones.mask_phone(None) == ""


def test_mask_phone_hides_the_middle_digits():
    masked = phones.mask_phone("+79161234567")
    assert "123" not in masked.replace("+7 916", "")
    assert phones.digits(masked).endswith("4567")


def test_digits_and_keys():
    assert phones.digits("+7 (916) 123-45-67") == "79161234567"
    assert phones.digits(None) == ""
    assert phones.phone_key("+79161234567") == "76543216197"
    assert phones.phone_key(None) is None
    assert phones.suffix_key("45-67") == "7654"
    # A stored phone ends with the typed digits iff its key starts with their key.
    ends_4567, ends_4568 = phones.phone_key("+79161234567"), phones.phone_key("+79161234568")
    assert ends_4567 is not None and ends_4567.startswith(phones.suffix_key("4567"))
    assert ends_4568 is not None and not ends_4568.startswith(phones.suffix_key("4567"))


def test_ends_with():
    assert phones.ends_with("+79161234567", "45-67")
    assert phones.ends_with("+79161234567", "1234567")
    assert not phones.ends_with("+79161234567", "4568")
    assert not phones.ends_with("+79161234567", "")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("4567", True),
        ("+7 (916) 123-45-67", True),
        ("8-916", True),
        ("Анна", False),
        ("client1", False),
        ("--", False),
        ("", False),
    ],
)
def test_looks_like_phone(text, expected):
    assert phones.looks_like_phone(text) is expected
