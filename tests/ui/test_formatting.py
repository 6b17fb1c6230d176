import datetime as dt

import pytest

from app.ui import formatting as fmt

POINTS = {
    "ru": {"one": "балл", "few": "балла", "many": "баллов", "other": "балла"},
    "en": {"one": "point", "other": "points"},
}
NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("n", "ru", "en"),
    [
        (0, "0 баллов", "0 points"),
        (1, "1 балл", "1 point"),
        (2, "2 балла", "2 points"),
        (5, "5 баллов", "5 points"),
        (11, "11 баллов", "11 points"),
        (21, "21 балл", "21 points"),
        (101, "101 балл", "101 points"),
        (1_000_000, "1 000 000 баллов", "1,000,000 points"),
        (4644, "4 644 балла", "4,644 points"),
    ],
)
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
    moment = dt.datetime(2026, 3, 21, 14, 5, tzinfo=dt.UTC)
    assert fmt.date_time(moment, "ru").startswith("21.03.2026")


def test_receipt_sums_keep_kopecks_and_sizes_take_the_decimal_mark():
    assert fmt.money(12_345_678, "ru", exact=True).replace(NBSP, " ") == "123 456,78 ₽"
    assert fmt.money(-5, "en", exact=True) == "\u22120.05" + NBSP + "₽"
    assert (fmt.size("38.5", "ru"), fmt.size("38,5", "en"), fmt.size("40", "ru")) == ("38,5", "38.5", "40")
    assert (fmt.size("M", "ru"), fmt.size("42-44", "ru"), fmt.size(None, "ru")) == ("M", "42-44", "")


def test_points_read_the_same_signed_or_not():
    from app.ui.strings import points

    assert points("ru", 12057, signed=True).replace(NBSP, " ") == "+12 057 баллов"
    assert points("ru", -7692).replace(NBSP, " ") == "\u22127 692 балла"
    assert points("en", 1) == "1" + NBSP + "point"
    assert points("ru", None).replace(NBSP, " ") == "0 баллов"
