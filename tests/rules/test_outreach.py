"""Outreach rules: templates filled from a profile (Russian and English, values missing),
a template a brand may store, the consent each channel needs, and the links."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from sync.rules.outreach import (
    CHANNELS,
    DEFAULT_TEMPLATES,
    PLACEHOLDERS,
    Refusal,
    Template,
    TemplateError,
    check_template,
    fill,
    link,
    points_text,
    profile_values,
    refusal,
)

PHONE, EMAIL = "+79161234567", "anna@mail.ru"


def anna(lang: str, **over) -> dict[str, str | None]:
    """Her placeholder values, with some taken away (`over`)."""
    given: dict = {
        "first_name": "Анна",
        "middle_name": "Сергеевна",
        "points": 4644,
        "expiring": (1200, dt.date(2026, 12, 12)),
        "consultant": "Мария Иванова",
        "store": "Петровка",
        **over,
    }
    return profile_values(lang, **given)


def why(channel: str, consents: dict[str, bool], phone: str | None = PHONE, email: str | None = EMAIL) -> Refusal:
    found = refusal(channel, consents, phone=phone, email=email)
    assert found is not None
    return found


def text_of(template_id: str) -> str:
    return next(t.text for t in DEFAULT_TEMPLATES if t.id == template_id)


def test_russian_template_addresses_her_by_name_and_patronymic_with_points_and_expiry():
    out = fill(text_of("points_expiring.ru"), anna("ru"))
    assert out.startswith("Здравствуйте, Анна Сергеевна!")
    assert "12 декабря сгорят 1\u00a0200 баллов." in out
    assert "Петровка" in out and out.endswith("Мария Иванова")


def test_english_template_uses_the_first_name_and_english_words():
    out = fill(text_of("points_expiring.en"), anna("en"))
    assert out.startswith("Hello Анна! ")  # no patronymic in English
    assert "1,200 points expire on 12 December." in out


@pytest.mark.parametrize("template", DEFAULT_TEMPLATES, ids=lambda t: t.id)
def test_no_placeholder_or_bracket_is_left_when_the_profile_has_nothing(template):
    empty = profile_values(
        template.lang, first_name=None, middle_name=None, points=0, expiring=None, consultant=None, store=None
    )
    out = fill(template.text, empty)
    assert not any(c in out for c in "{}[]"), out
    assert " ," not in out and ",!" not in out and "  " not in out


def test_a_missing_part_drops_its_bracket_and_tidies_what_is_left():
    values = anna("ru", first_name=None, expiring=None)
    assert fill(text_of("points_expiring.ru"), values).startswith("Здравствуйте! Будем рады")
    assert fill(text_of("birthday.ru"), values).startswith("С днём рождения! Желаем")
    assert fill("Здравствуйте, {name}!", values) == "Здравствуйте!"  # outside brackets too
    assert fill("{unknown} текст {points}", values) == "текст 4\u00a0644 балла"


def test_russian_point_words():
    assert [points_text(n, "ru") for n in (1, 2, 5, 11, 21, 112, 1004)] == [
        "1 балл",
        "2 балла",
        "5 баллов",
        "11 баллов",
        "21 балл",
        "112 баллов",
        "1\u00a0004 балла",
    ]
    assert points_text(1, "en") == "1 point"


def test_a_template_with_an_unknown_placeholder_occasion_or_language_is_refused():
    ok = Template("x.ru", "birthday", "ru", "Т", "{name} {points}")
    assert check_template(ok) is ok
    for bad in (
        Template("x.ru", "birthday", "ru", "Т", "{pionts}"),
        Template("x.ru", "party", "ru", "Т", "x"),
        Template("x.de", "birthday", "de", "Т", "x"),
        Template("X Y", "birthday", "ru", "Т", "x"),
        Template("x.ru", "birthday", "ru", "", "x"),
    ):
        with pytest.raises(TemplateError):
            check_template(bad)
    for t in DEFAULT_TEMPLATES:
        check_template(t)
    assert {t.occasion for t in DEFAULT_TEMPLATES} == {
        "birthday",
        "points_expiring",
        "private_sale",
        "after_purchase",
        "welcome",
        "free",
    }
    assert set(PLACEHOLDERS) >= {"name", "points", "expiry_date", "expiring_points", "consultant", "store"}


ALL = {"sms": True, "email": True, "messengers": True, "calls": True}


@pytest.mark.parametrize(
    ("channel", "purpose"),
    [("sms", "sms"), ("email", "email"), ("whatsapp", "messengers"), ("telegram", "messengers"), ("call", "calls")],
)
def test_each_channel_needs_its_own_consent(channel, purpose):
    assert refusal(channel, ALL, phone=PHONE, email=EMAIL) is None
    without = {**ALL, purpose: False}
    r = why(channel, without)
    assert (r.code, r.purpose) == ("missing_consent", purpose)
    absent = {k: v for k, v in ALL.items() if k != purpose}  # never asked: no consent either
    assert why(channel, absent).code == "missing_consent"
    # the other purposes do not stand in for it
    others = [p for p in ALL if p != purpose]
    assert why(channel, dict.fromkeys(others, True)).purpose == purpose


def test_consent_without_the_contact_detail_is_refused_for_that():
    assert why("email", ALL, email=None).code == "missing_contact"
    assert why("sms", ALL, phone=None).purpose == "phone"
    # no consent is said first, whatever is on file
    assert why("sms", {}, phone=None, email=None).code == "missing_consent"


def test_links_open_each_channel_with_the_text():
    text = "Здравствуйте, Анна! 50% & ещё"
    for channel in CHANNELS:
        url = link(channel, text, phone=PHONE, email=EMAIL, subject="Витрина")
        parts = urlsplit(url)
        q = parse_qs(parts.query)
        if channel == "sms":
            assert url.startswith("sms:+79161234567?") and q["body"] == [text]
        elif channel == "email":
            assert url.startswith("mailto:anna@mail.ru?") and q["body"] == [text] and q["subject"] == ["Витрина"]
        elif channel == "call":
            assert url == "tel:+79161234567"
        elif channel == "whatsapp":
            assert url.startswith("https://wa.me/79161234567?") and q["text"] == [text]
        else:
            assert url.startswith("https://t.me/share/url?") and q["text"] == [text]
