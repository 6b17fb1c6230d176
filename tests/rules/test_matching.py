"""Match keys and masks of the brand-wide duplicate lookup (sync.rules.matching)."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest

from sync.rules.matching import mask_email, mask_name, mask_phone, name_key


def test_name_key_folds_case_spaces_and_yo_and_needs_all_three():
    a = name_key({"last_name": " Ковалёва ", "first_name": "АННА", "birthday": "1990-04-12"})
    b = name_key({"last_name": "ковалева", "first_name": "Анна", "birthday": dt.date(1990, 4, 12)})
    assert a == b == "ковалева|анна|1990-04-12"
    assert name_key({"last_name": "Ковалёва", "first_name": "Анна"}) is None
    assert name_key({"last_name": "—", "first_name": "—", "birthday": "1990-04-12"}) is None  # erased


def test_the_migration_backfills_with_the_same_key():
    migration = importlib.import_module("sync.hub.migrations.versions.0009_duplicates")
    for c in (
        {"last_name": "Ковалёва  Смит", "first_name": "Анна-Мария", "birthday": "1990-04-12"},
        {"last_name": "Orlova", "first_name": "Vera", "birthday": "1985-01-02"},
        {"last_name": "Орлова", "first_name": "", "birthday": "1985-01-02"},
    ):
        assert migration.name_key(c) == name_key(c)


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("+79161234567", "+7 *** ***-**-67"), ("+442071234567", "+44 *** ***-**-67"), (None, None)],
)
def test_a_phone_shows_its_country_and_last_two_digits(phone, masked):
    assert mask_phone(phone) == masked


def test_a_name_shows_the_first_name_and_the_initial_and_an_email_its_first_letter_and_domain():
    assert mask_name("Анна", "Ковалёва") == "Анна К."
    assert mask_name("Анна", None) == "Анна"
    assert mask_email("anna.k@mail.ru") == "a***@mail.ru" and mask_email(None) is None
