from __future__ import annotations

import hashlib
import io
import re

import pytest
from PIL import Image
from pypdf import PdfReader

from app.services import consent_texts
from app.services.signed_form import SignedForm, form_sha256
from app.services.signed_pdf import ConsentTextMismatch, build, render
from tests.services import signed_samples as samples


@pytest.fixture(scope="module")
def ru_pdf() -> bytes:
    return render(samples.pdf_input("ru"))


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_reads_back_the_client_the_consent_versions_and_the_hash(ru_pdf):
    text = _text(ru_pdf)
    form = samples.form("ru")
    assert "Шереметьева" in text and "Анастасия" in text and "Владимировна" in text
    assert "+7 916 123-45-67" in text and "a.sheremeteva@example.ru" in text and "14.03.1988" in text
    assert "ANNA-7Q2" in text and "Рекомендация подруги" in text
    assert "Бутик на Петровке" in text and "Екатерина Соболева" in text
    assert "01.12.2026 18:05 (UTC+03:00)" in text
    for c in form.consents:
        t = consent_texts.load(c.purpose, c.language, c.version)
        assert f"{t.title} (версия {c.version}, {c.language})" in text  # page 1's list
        assert f"версия {c.version}, {c.language}, SHA-256 {t.sha256[:16]}" in text  # under the full text
    # The form's hash, on every page.
    reader = PdfReader(io.BytesIO(ru_pdf))
    sha = form_sha256(form)
    assert all(sha in page.extract_text() for page in reader.pages)
    assert re.search(r"дано.*Согласие на обработку персональных данных", text)


def test_the_full_consent_texts_are_in_it(ru_pdf):
    flat = re.sub(r"\s+", " ", _text(ru_pdf))
    for t in consent_texts.current("ru"):
        last_paragraph = t.text.strip().rsplit("\n\n", 1)[-1]
        assert re.sub(r"\s+", " ", last_paragraph) in flat, t.purpose


def test_the_signature_image_is_on_the_form_and_under_each_consent(ru_pdf):
    reader = PdfReader(io.BytesIO(ru_pdf))
    pages_with_image = [i for i, page in enumerate(reader.pages) if page.images]
    assert pages_with_image[0] == 0
    first = reader.pages[0].images[0].image
    assert first is not None and first.width == 1000  # the print-resolution rendering, not a thumbnail
    # Each consent ends with its decision and the signature (one per consent + the form's):
    # one image object, drawn that many times (`/Name Do` in the pages' content streams).
    assert len({hashlib.sha256(img.data).hexdigest() for page in reader.pages for img in page.images}) == 1
    drawn = 0
    for page in reader.pages:
        contents = page.get_contents()
        assert contents is not None
        drawn += len(re.findall(rb"/I\d+ Do\b", contents.get_data()))
    assert drawn == 1 + len(samples.form().consents)


def test_granted_and_refused_decisions_are_printed(ru_pdf):
    text = _text(ru_pdf)
    assert text.count("Решение клиента: ☑ дано") == 2  # processing, sms
    assert text.count("Решение клиента: ☐ не дано") == 3


def test_the_same_form_gives_the_same_bytes(ru_pdf):
    assert render(samples.pdf_input("ru")) == ru_pdf


def test_an_english_document():
    text = _text(render(samples.pdf_input("en")))
    assert "Client questionnaire" in text and "Шереметьева" in text
    assert "Consent to the processing of personal data (version 1, en)" in text
    assert form_sha256(samples.form("en")) in text


def test_a_consent_whose_stored_text_differs_is_refused():
    doc = samples.pdf_input("ru")
    wrong = (doc.form.consents[0].model_copy(update={"text_sha256": "0" * 64}), *doc.form.consents[1:])
    with pytest.raises(ConsentTextMismatch):
        render(doc.model_copy(update={"form": doc.form.model_copy(update={"consents": wrong})}))


def test_a_quick_card_with_only_the_processing_consent():
    base = samples.form()
    form = SignedForm.model_validate(
        {
            **base.model_dump(),
            "data": {"name": "Ольга", "phone": "+79031112233"},
            "consents": [c.model_dump() for c in base.consents if c.purpose == "processing"],
        }
    )
    pdf = render(samples.pdf_input().model_copy(update={"form": form}))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2  # the form and the one consent
    text = _text(pdf)
    assert "Ольга" in text and "+7 903 111-22-33" in text and "—" in text
    assert "Согласие на получение рекламы" not in text
    assert form_sha256(form) in text


def test_build_gives_the_blobs_and_their_hashes(ru_pdf):
    built = build(samples.pdf_input("ru"))
    assert built.pdf == ru_pdf
    assert built.pdf_sha256 == hashlib.sha256(ru_pdf).hexdigest()
    assert built.form_sha256 == form_sha256(samples.form())
    assert built.signature_sha256 == hashlib.sha256(built.signature_png).hexdigest()
    embedded = PdfReader(io.BytesIO(ru_pdf)).pages[0].images[0].image
    assert embedded is not None and embedded.size == Image.open(io.BytesIO(built.signature_png)).size
