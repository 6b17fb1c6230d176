from __future__ import annotations

import hashlib
import unicodedata

import pytest

from app.services import consent_texts
from app.services.consent_texts import LANGUAGES, PURPOSES, UnknownConsentText


def test_every_stored_text_loads_with_its_hash():
    texts = consent_texts.all_texts()
    assert {(t.purpose, t.language) for t in texts} == {(p, lang) for p in PURPOSES for lang in LANGUAGES}
    for t in texts:
        assert t.text.startswith("# ") and t.title, t
        assert t.sha256 == hashlib.sha256(t.text.encode("utf-8")).hexdigest()
        assert unicodedata.is_normalized("NFC", t.text)
        assert "\r" not in t.text


@pytest.mark.parametrize("purpose", PURPOSES)
def test_every_purpose_has_both_languages_in_the_same_versions(purpose):
    by_language = {lang: consent_texts.versions(purpose, lang) for lang in LANGUAGES}
    assert by_language["ru"], purpose
    assert all(v == by_language["ru"] for v in by_language.values()), by_language
    assert consent_texts.load(purpose, "ru").version == consent_texts.load(purpose, "en").version


def test_the_russian_texts_are_russian_and_name_their_law():
    for t in consent_texts.current("ru"):
        assert any("а" <= ch <= "я" for ch in t.text)
        assert ("152-ФЗ" if t.purpose == "processing" else "38-ФЗ") in t.text, t.purpose
    for t in consent_texts.current("en"):
        assert not any("а" <= ch.lower() <= "я" for ch in t.text), t.purpose


def test_a_pinned_version_loads_and_an_unknown_one_is_refused():
    assert consent_texts.load("processing", "ru", 1).version == 1
    with pytest.raises(UnknownConsentText):
        consent_texts.load("processing", "ru", 99)
    with pytest.raises(UnknownConsentText):
        consent_texts.load("newsletter", "ru")
    with pytest.raises(UnknownConsentText):
        consent_texts.load("processing", "de")


def test_current_lists_every_purpose_in_order():
    assert [t.purpose for t in consent_texts.current("en")] == list(PURPOSES)
