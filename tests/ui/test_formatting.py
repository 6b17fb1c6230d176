import datetime as dt

import pytest

from app.ui import formatting as fmt

POINTS = {
    "ru": {"one": "балл", "few": "балла", "many": "баллов", "other": "балла"},
    "en": {"one": "point", "other": "points"},
}
NBSP = "\u00a0"


@pytest.mark.parametrize(("n", "ru", "en"), [
    (0, "0 баллов", "0 points"),
    (1, "1 балл", "1 point"),
    (2, "2 балла", "2 points"),
    (5, "5 баллов", "5 points"),
    (11, "11 баллов", "11 points"),
    (21, "21 балл", "21 points"),
    (101, "101 балл", "101 points"),
    (1_000_000, "1 000 000 баллов", "1,000,000 points"),
    (4644, "4 644 балла", "4,644 points"),
])
def test_counts_take_the_plural_form_of_each_language(n, ru, en):
    assert fmt.count(n, "ru", POINTS["ru"]).replace(NBSP, " ") == ru
    assert fmt.count(n, "en", POINTS["en"]).replace(NBSP, " ") == en


def test_negative_numbers_use_a_true_minus_and_signed_ones_a_plus():
    assert fmt.number(-7692, "ru").replace(NBSP, " ") == "\u22127 692"
    assert fmt.number(12057, "ru", signed=True).replace(NBSP, " ") == "+12 057"
    assert fmt.number(-20000, "en") == "\u221220,000"
    assert fmt.count(-21, "ru", POINTS["ru"]).replace(NBSP, " ") == "\u221221 балл"


def test_money_is_whole_roubles_grouped():
    assert fmt.money(30_000_000, "ru").replace(NBSP, " ") == "300 000 ₽"
    assert fmt.money(None, "en") == "0" + NBSP + "₽"
    assert fmt.money(123_456_00, "en").replace(NBSP, " ") == "123,456 ₽"


def test_decimals_follow_the_language():
    assert fmt.number(38.5, "ru") == "38,5"
    assert fmt.number(38.5, "en") == "38.5"


def test_dates_in_each_language():
    assert fmt.date("2026-03-21", "ru") == "21.03.2026"
    assert fmt.date(dt.date(2026, 3, 21), "en") == "Mar 21, 2026"
    assert fmt.date(None, "ru") == ""
    moment = dt.datetime(2026, 3, 21, 14, 5, tzinfo=dt.timezone.utc)
    assert fmt.date_time(moment, "ru").startswith("21.03.2026")


def test_a_receipt_sum_shows_its_kopecks():
    assert fmt.money_exact(1_234_560, "ru").replace(NBSP, " ") == "12 345,60 ₽"
    assert fmt.money_exact(1_234_500, "en").replace(NBSP, " ") == "12,345.00 ₽"
