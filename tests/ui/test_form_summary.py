"""The line over a form's actions: which fields to fix, named as the form labels them."""

from __future__ import annotations

from app.state.messages import Message
from app.ui.profile_form import LABELS, summary
from app.ui.strings import EN, RU


def test_summary_names_the_fields_in_form_order_in_both_languages():
    errors = {"email": Message("form.email"), "phone": Message("form.phone")}
    assert summary("ru", errors) == "Проверьте поля: Телефон, Email"
    assert summary("en", errors) == "Check these fields: Phone, Email"
    assert summary("ru", {"last_name": Message("form.required")}) == "Проверьте поле: Фамилия"


def test_summary_of_a_form_wide_error_and_of_none():
    assert summary("ru", {"_form": Message("form.invalid")}) == "Проверьте поля формы"
    assert summary("ru", {}) == ""


def test_every_field_label_exists_in_both_languages():
    assert all(key in RU and key in EN for key in LABELS.values())
