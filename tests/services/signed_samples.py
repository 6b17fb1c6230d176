"""A signed registration to test with: a Cyrillic client, every consent, a drawn signature."""

from __future__ import annotations

import datetime as dt
import math

from app.services import consent_texts
from app.services.consent_texts import Language
from app.services.signature import Signature
from app.services.signed_form import ConsentDecision, RegistrationData, SignedForm
from app.services.signed_pdf import Operator, SignedPdfInput

PAD = (600.0, 240.0)
MSK = dt.timezone(dt.timedelta(hours=3))


def drawn_strokes() -> list[list[tuple[float, float]]]:
    """Something like a cursive surname, a flourish under it and a loop."""
    s1 = [(40 + t * 3.2, 120 - 40 * math.sin(t / 6) - 15 * math.sin(t / 2.1)) for t in range(110)]
    s2 = [(120 + t * 4.0, 160 + 8 * math.sin(t / 3)) for t in range(60)]
    s3 = [(200 + 20 * math.cos(t / 5), 90 + 20 * math.sin(t / 5)) for t in range(32)]
    return [s1, s2, s3]


def signature() -> Signature:
    return Signature.of(*PAD, drawn_strokes())


def decisions(
    language: Language = "ru", granted: tuple[str, ...] = ("processing", "sms")
) -> tuple[ConsentDecision, ...]:
    return tuple(
        ConsentDecision(
            purpose=t.purpose, version=t.version, language=language, text_sha256=t.sha256, granted=t.purpose in granted
        )
        for t in consent_texts.current(language)
    )


def data() -> RegistrationData:
    return RegistrationData(
        surname="Шереметьева",
        name="Анастасия",
        patronymic="Владимировна",
        phone="+79161234567",
        email="a.sheremeteva@example.ru",
        birthday=dt.date(1988, 3, 14),
        gender="female",
        sizes={"clothing": "42", "shoes": "37"},
        preferred_brands=("Brunello Cucinelli", "Loro Piana"),
        heard_from="Рекомендация подруги",
        referral_code="ANNA-7Q2",
    )


def form(language: Language = "ru") -> SignedForm:
    return SignedForm(
        form_id="01JF8ZQ2V6M3K9X4T7N5R2B8CD",
        client_id="c-42",
        data=data(),
        consents=decisions(language),
        signature=signature(),
        signed_at=dt.datetime(2026, 12, 1, 18, 5, 12, 345678, tzinfo=MSK),
        store="Бутик на Петровке",
        consultant="Екатерина Соболева",
    )


OPERATOR = Operator(name="ООО «Витрина Бутик»", address="125009, Москва, ул. Петровка, д. 10", inn="7701234567")


def pdf_input(language: Language = "ru") -> SignedPdfInput:
    return SignedPdfInput(form=form(language), operator=OPERATOR, language=language)
