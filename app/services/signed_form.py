"""A signed registration form and the SHA-256 that makes any later change detectable.

The hash is of a canonical serialisation of everything the document states: the form's
fields, each consent's decision with the exact text (purpose, version, language, sha256),
the signature's strokes, when, where and with whom it was signed. Canonical means anyone
can recompute it from the stored record:

- JSON, keys sorted, no whitespace between tokens (`,` and `:`), UTF-8, not ASCII-escaped;
- every string (keys too) Unicode NFC, so a name typed with combining marks hashes as the
  composed one;
- no floats: coordinates are decimal strings with exactly two decimals (`"12.50"`, and
  `"0.00"` for `-0.001`), so binary float noise and platforms do not matter;
- dates ISO 8601, times in UTC with microseconds and `Z`;
- lists keep their order (strokes are drawing order; brands are the order she gave).

Values are trimmed when the form is built (`str_strip_whitespace`), so a trailing space a
keyboard left is not part of what she signed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import unicodedata
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.services.consent_texts import Language, Purpose
from app.services.signature import Signature

SCHEMA = "vitrine.signed-form/1"
FORM_TYPE = "registration"
FORM_VERSION = "1"


class RegistrationData(BaseModel):
    """The questionnaire's fields as signed (validated and normalised by the form before this)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
    surname: str = ""
    name: str = Field(min_length=1)
    patronymic: str = ""
    phone: str = ""  # E.164
    email: str = ""
    birthday: dt.date | None = None
    gender: Literal["female", "male", ""] = ""
    sizes: dict[str, str] = Field(default_factory=dict)  # e.g. {"clothing": "42", "shoes": "37"}
    preferred_brands: tuple[str, ...] = ()
    heard_from: str = ""
    referral_code: str = ""


class ConsentDecision(BaseModel):
    """One consent on the form: which text she was shown and whether she granted it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    purpose: Purpose
    version: int = Field(ge=1)
    language: Language
    text_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    granted: bool


class SignedForm(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
    form_id: str = Field(min_length=1)
    client_id: str = Field(min_length=1)
    form_type: str = FORM_TYPE
    form_version: str = FORM_VERSION
    data: RegistrationData
    consents: tuple[ConsentDecision, ...]
    signature: Signature
    signed_at: dt.datetime
    store: str  # the store's name as printed
    consultant: str  # the consultant's name as printed

    @field_validator("signed_at")
    @classmethod
    def _aware(cls, v: dt.datetime) -> dt.datetime:
        if v.tzinfo is None:
            raise ValueError("signed_at needs a time zone")
        return v

    @field_validator("consents")
    @classmethod
    def _one_per_purpose(cls, v: tuple[ConsentDecision, ...]) -> tuple[ConsentDecision, ...]:
        purposes = [c.purpose for c in v]
        if len(set(purposes)) != len(purposes):
            raise ValueError("one decision per purpose")
        return v

    @model_validator(mode="after")
    def _registration_needs_processing(self) -> SignedForm:
        # No registration without the consent to processing (152-FZ art. 6, 9): the form
        # cannot be signed without it, so a document without it is not a registration.
        processing = self.consent("processing")
        if self.form_type == FORM_TYPE and (processing is None or not processing.granted):
            raise ValueError("a registration needs the consent to processing granted")
        return self

    def consent(self, purpose: str) -> ConsentDecision | None:
        return next((c for c in self.consents if c.purpose == purpose), None)


def _coord(v: float) -> str:
    return f"{round(v, 2) + 0.0:.2f}"  # + 0.0 turns -0.0 into 0.0


def _canon(value: Any) -> Any:
    """The JSON-ready canonical form of a plain value tree."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {unicodedata.normalize("NFC", str(k)): _canon(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canon(v) for v in value]
    if isinstance(value, bool | int) or value is None:
        return value
    raise TypeError(f"no canonical form for {type(value).__name__}")  # floats go through _coord


def canonical_document(form: SignedForm) -> dict[str, Any]:
    """The value tree that is serialised and hashed."""
    sig = form.signature
    return _canon(
        {
            "schema": SCHEMA,
            "form_id": form.form_id,
            "client_id": form.client_id,
            "form_type": form.form_type,
            "form_version": form.form_version,
            "data": form.data.model_dump(mode="json"),
            "consents": [c.model_dump(mode="json") for c in sorted(form.consents, key=lambda c: c.purpose)],
            "signature": {
                "width": _coord(sig.width),
                "height": _coord(sig.height),
                "strokes": [[[_coord(p.x), _coord(p.y)] for p in s.points] for s in sig.strokes],
            },
            "signed_at": form.signed_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "store": form.store,
            "consultant": form.consultant,
        }
    )


def canonical_bytes(form: SignedForm) -> bytes:
    return json.dumps(
        canonical_document(form), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def form_sha256(form: SignedForm) -> str:
    """The hex SHA-256 printed on the document and stored with the record."""
    return hashlib.sha256(canonical_bytes(form)).hexdigest()
