"""The registration questionnaire: what the client typed ⇄ the signed form's data.

Pure functions, unit-tested without a UI. The questionnaire is the profile form's fields
(app.state.profile_form, same checks and messages) plus the answers only a signed form
keeps: gender, how she heard of the boutique, a referral code, and one consent per purpose.
Errors are string keys of app.ui.strings, per field; the form keeps whatever was typed.
"""

from __future__ import annotations

import re
from datetime import date

from app.services import consent_texts
from app.services.consent_texts import ConsentText
from app.services.signature import Signature, SignatureProblem, problem
from app.services.signed_form import ConsentDecision, RegistrationData
from app.state import profile_form
from sync.models import SIZE_FIELDS

GENDERS = ("female", "male")
_PROFILE_GENDER = {"female": "f", "male": "m"}
_REFERRAL = re.compile(r"^[A-Za-z0-9-]{4,20}$")
HEARD_FROM_MAX = 200

EXTRA_FIELDS: dict[str, object] = {
    "gender": "",
    "heard_from": "",
    "referral_code": "",
    **{f"consent_{p}": False for p in consent_texts.PURPOSES},
}
"""The questionnaire's fields beyond the profile form's (consent_sms etc. are the profile's too)."""

QUICK_FIELDS = ("last_name", "first_name", "phone")
"""The quick card: enough to find her again and to finish the questionnaire later."""

QUESTIONNAIRE = ("last_name", "first_name", "phone", "email", "birthday", "gender")
"""The answers the profile names as missing when she has not given them (a patronymic is not
everyone's, so it is never "missing")."""


def blank() -> dict:
    """An empty questionnaire."""
    return {**profile_form.form_from_client({}), **EXTRA_FIELDS}


def from_client(fields: dict) -> dict:
    """The questionnaire pre-filled from a client's record (activation of an existing client);
    the consents start unticked: she answers them again, on the texts she is shown now."""
    form = {**blank(), **profile_form.form_from_client(fields)}
    form["gender"] = {"f": "female", "m": "male"}.get(fields.get("gender") or "", "")
    for p in consent_texts.PURPOSES:
        form[f"consent_{p}"] = False
    return form


def missing(fields: dict) -> list[str]:
    """The questionnaire's answers a client's record lacks, in the form's order."""
    return [k for k in QUESTIONNAIRE if not fields.get(k)]


def check(form: dict, client: dict, today: date | None = None) -> tuple[dict, dict[str, str]]:
    """(the profile's changed fields, errors by field) for the whole questionnaire."""
    changed, errors = profile_form.fields_from_form(form, client, today)
    gender = form.get("gender") or ""
    if gender and gender not in GENDERS:
        errors["gender"] = "form.gender"
    code = (form.get("referral_code") or "").strip()
    if code and not _REFERRAL.match(code):
        errors["referral_code"] = "form.referral"
    if len((form.get("heard_from") or "").strip()) > HEARD_FROM_MAX:
        errors["heard_from"] = "form.too_long"
    if not form.get("consent_processing"):
        errors["consent_processing"] = "form.consent_required"
    if errors:
        return {}, errors
    if gender and _PROFILE_GENDER[gender] != client.get("gender"):
        changed["gender"] = _PROFILE_GENDER[gender]
    changed.pop("consents", None)  # the signed form records them, with their texts
    return changed, {}


def signature_error(signature: Signature) -> str | None:
    """The message key for a drawing that is not a signature, or None."""
    found: SignatureProblem | None = problem(signature)
    return None if found is None else f"signature.{found.value}"


def data_of(form: dict) -> RegistrationData:
    """The signed form's data from a questionnaire that passed `check`."""
    fields, _ = profile_form.fields_from_form(form, {})
    born = profile_form.parse_birthday(form.get("birthday") or "")
    return RegistrationData(
        surname=fields.get("last_name") or "",
        name=fields.get("first_name") or "",
        patronymic=fields.get("middle_name") or "",
        phone=fields.get("phone") or "",
        email=fields.get("email") or "",
        birthday=born,
        gender=form.get("gender") or "",
        sizes={k: v for k, v in (fields.get("sizes") or {}).items() if k in SIZE_FIELDS},
        preferred_brands=tuple(fields.get("preferred_brands") or ()),
        heard_from=(form.get("heard_from") or "").strip(),
        referral_code=(form.get("referral_code") or "").strip().upper(),
    )


def texts(language: str) -> list[ConsentText]:
    """The consent texts a new form shows (the latest of each purpose), processing first."""
    return consent_texts.current(language)


def decisions(form: dict, shown: list[ConsentText]) -> tuple[ConsentDecision, ...]:
    """Her answer to each text she was shown."""
    return tuple(
        ConsentDecision(
            purpose=t.purpose,
            version=t.version,
            language=t.language,
            text_sha256=t.sha256,
            granted=bool(form.get(f"consent_{t.purpose}")),
        )
        for t in shown
    )


def text_version(c: ConsentDecision) -> str:
    """How a consent record names the text: its file (`processing.v1.ru`)."""
    return f"{c.purpose}.v{c.version}.{c.language}"
