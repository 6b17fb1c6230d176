"""One e-mail rule (sync.rules.contacts): the profile form and the hub's model agree."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.state.profile_form import fields_from_form, form_from_client
from sync.models import ClientProfile

CLIENT = {"last_name": "Петрова", "first_name": "Ольга"}

EMAILS = [
    ("anna@mail.ru", "anna@mail.ru"),
    ("Anna.Petrova@Yandex.RU", "anna.petrova@yandex.ru"),
    ("a@b.c", "a@b.c"),
    ("o'neil+shop@sub.example.com", "o'neil+shop@sub.example.com"),
    ("a@b", None),  # no dot in the domain: the form's (stricter) rule, now the hub's too
    ("anna@localhost", None),
    ("a.b@c", None),  # the dot must be in the domain, not the local part
    ("anna", None),
    ("@mail.ru", None),
    ("anna@", None),
    ("anna @mail.ru", None),
    ("anna@mail .ru", None),
]


def form_says(email: str) -> str | None:
    """What the form stores for a typed address (None when it refuses it)."""
    form = form_from_client(CLIENT) | {"email": email}
    changed, errors = fields_from_form(form, CLIENT)
    return None if "email" in errors else changed["email"]


def hub_says(email: str) -> str | None:
    """What the hub's model stores (None when it refuses it)."""
    try:
        return ClientProfile(**CLIENT, email=email).email
    except ValidationError:
        return None


@pytest.mark.parametrize("email, stored", EMAILS)
def test_form_and_hub_model_accept_and_store_the_same_addresses(email, stored):
    assert (form_says(email), hub_says(email)) == (stored, stored)
