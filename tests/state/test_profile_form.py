"""Profile form ⇄ client: what a consultant types becomes a valid field-level patch."""

from __future__ import annotations

from datetime import date

from app.state.profile_form import fields_from_form, form_from_client

CLIENT = {
    "id": "c1",
    "last_name": "Иванова",
    "first_name": "Анна",
    "middle_name": None,
    "phone": "+79161234567",
    "email": "anna@mail.ru",
    "birthday": "1987-06-05",
    "card_number": "2000010002108",
    "sizes": {"shoe": "38"},
    "preferred_brands": ["Prada"],
    "styles": [],
    "colours": ["чёрный"],
    "consents": {"sms": {"granted": True, "date": "2024-01-01"}},
    "notes": None,
}
TODAY = date(2026, 11, 22)


def test_unchanged_form_changes_nothing():
    assert fields_from_form(form_from_client(CLIENT), CLIENT, TODAY) == ({}, {})


def test_phone_in_any_format_is_stored_e164_and_lists_split():
    form = form_from_client(CLIENT)
    form.update(phone="8 (916) 765-43-21", preferred_brands="Prada, Loro Piana; Tod's", size_clothing="44")
    changed, errors = fields_from_form(form, CLIENT, TODAY)
    assert errors == {}
    assert changed == {
        "phone": "+79167654321",
        "preferred_brands": ["Prada", "Loro Piana", "Tod's"],
        "sizes": {"shoe": "38", "clothing": "44"},
    }


def test_bad_input_gives_per_field_errors_and_no_patch():
    form = form_from_client(CLIENT)
    form.update(last_name=" ", phone="12", email="anna@", birthday="31.02.1990")
    changed, errors = fields_from_form(form, CLIENT, TODAY)
    assert changed == {}
    assert errors == {
        "last_name": "form.required",
        "phone": "form.phone",
        "email": "form.email",
        "birthday": "form.birthday",
    }
    assert form["phone"] == "12"  # what was typed stays in the form


def test_birthday_formats_and_future_dates():
    form = form_from_client(CLIENT)
    form["birthday"] = "1990-03-21"
    assert fields_from_form(form, CLIENT, TODAY)[0] == {"birthday": "1990-03-21"}
    form["birthday"] = "01.01.2030"
    assert fields_from_form(form, CLIENT, TODAY)[1] == {"birthday": "form.birthday"}


def test_consent_change_is_dated_today():
    form = form_from_client(CLIENT)
    form["consent_sms"] = False
    form["consent_email"] = True
    changed, _ = fields_from_form(form, CLIENT, TODAY)
    assert changed["consents"]["sms"] == {"granted": False, "date": "2026-11-22"}
    assert changed["consents"]["email"] == {"granted": True, "date": "2026-11-22"}
