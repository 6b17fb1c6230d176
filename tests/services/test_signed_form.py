from __future__ import annotations

import datetime as dt
import json
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.services.signature import Signature
from app.services.signed_form import SignedForm, canonical_bytes, form_sha256
from tests.services import signed_samples as samples


def test_the_same_data_gives_the_same_hash():
    assert form_sha256(samples.form()) == form_sha256(samples.form())
    assert len(form_sha256(samples.form())) == 64


def test_the_canonical_form_is_compact_sorted_utf8_without_floats():
    raw = canonical_bytes(samples.form())
    text = raw.decode("utf-8")
    assert "Шереметьева" in text  # not \u-escaped
    assert ": " not in text and ", " not in text.replace("Brunello Cucinelli", "")
    doc = json.loads(raw)
    assert list(doc) == sorted(doc)
    assert doc["signed_at"] == "2026-12-01T15:05:12.345678Z"  # UTC
    assert doc["signature"]["strokes"][0][0] == ["40.00", "120.00"]
    assert json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() == raw


def test_equal_values_in_other_spellings_hash_alike():
    base = samples.form()
    decomposed = base.model_copy(
        update={"data": base.data.model_copy(update={"name": unicodedata.normalize("NFD", "Анастасия Йоко")})}
    )
    composed = base.model_copy(update={"data": base.data.model_copy(update={"name": "Анастасия Йоко"})})
    assert form_sha256(decomposed) == form_sha256(composed)
    # The same instant in another zone; coordinates equal to two decimals; trimmed input.
    assert form_sha256(base.model_copy(update={"signed_at": base.signed_at.astimezone(dt.UTC)})) == form_sha256(base)
    rounded = [[(round(x, 2), round(y, 2)) for x, y in s] for s in samples.drawn_strokes()]
    nudged = [[(x + 0.001, y - 0.0001) for x, y in s] for s in rounded]
    assert form_sha256(base.model_copy(update={"signature": Signature.of(*samples.PAD, nudged)})) == form_sha256(
        base.model_copy(update={"signature": Signature.of(*samples.PAD, rounded)})
    )
    typed = SignedForm.model_validate(
        {**base.model_dump(), "data": {**base.data.model_dump(), "surname": " Шереметьева "}}
    )
    assert form_sha256(typed) == form_sha256(base)


def test_a_time_without_zone_is_refused():
    with pytest.raises(ValidationError):
        samples.form().model_validate({**samples.form().model_dump(), "signed_at": dt.datetime(2026, 12, 1, 18, 5)})


def test_one_decision_per_purpose():
    base = samples.form()
    with pytest.raises(ValidationError):
        SignedForm.model_validate(
            {**base.model_dump(), "consents": [*base.model_dump()["consents"], base.model_dump()["consents"][0]]}
        )


# --- sensitivity: any change of a field, a consent or a stroke gives another hash ------------

_DATA_FIELDS = ["surname", "name", "patronymic", "phone", "email", "heard_from", "referral_code"]
_text = (
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=30)
    .map(lambda s: unicodedata.normalize("NFC", s).strip())
    .filter(bool)
)


def _with_data(form: SignedForm, **changes: object) -> SignedForm:
    return SignedForm.model_validate({**form.model_dump(), "data": {**form.data.model_dump(), **changes}})


@settings(max_examples=150, deadline=None)
@given(field=st.sampled_from(_DATA_FIELDS), value=_text)
def test_any_changed_text_field_changes_the_hash(field, value):
    base = samples.form()
    changed = _with_data(base, **{field: value})
    if getattr(changed.data, field) == getattr(base.data, field):
        return
    assert form_sha256(changed) != form_sha256(base)


@settings(max_examples=100, deadline=None)
@given(days=st.integers(min_value=-20000, max_value=5000).filter(lambda d: d != 0))
def test_a_changed_birthday_changes_the_hash(days):
    base = samples.form()
    assert base.data.birthday is not None
    assert form_sha256(_with_data(base, birthday=base.data.birthday + dt.timedelta(days=days))) != form_sha256(base)


@pytest.mark.parametrize(
    "changes",
    [
        {"gender": "male"},
        {"gender": ""},
        {"sizes": {"clothing": "44", "shoes": "37"}},
        {"sizes": {"clothing": "42"}},
        {"preferred_brands": ("Loro Piana", "Brunello Cucinelli")},
        {"preferred_brands": ("Brunello Cucinelli",)},
        {"birthday": None},
    ],
)
def test_changed_structured_fields_change_the_hash(changes):
    assert form_sha256(_with_data(samples.form(), **changes)) != form_sha256(samples.form())


def test_a_registration_needs_the_processing_consent_granted():
    base = samples.form()
    refused = [c.model_copy(update={"granted": False}) if c.purpose == "processing" else c for c in base.consents]
    for consents in (refused, [c for c in base.consents if c.purpose != "processing"]):
        with pytest.raises(ValidationError, match="consent to processing"):
            SignedForm.model_validate({**base.model_dump(), "consents": [c.model_dump() for c in consents]})
    only_processing = [c.model_dump() for c in base.consents if c.purpose == "processing"]
    assert SignedForm.model_validate({**base.model_dump(), "consents": only_processing}).consent("sms") is None


@pytest.mark.parametrize("purpose", ["sms", "email", "messengers", "calls"])
def test_a_flipped_consent_changes_the_hash(purpose):
    base = samples.form()
    consents = [c.model_copy(update={"granted": not c.granted}) if c.purpose == purpose else c for c in base.consents]
    assert form_sha256(base.model_copy(update={"consents": tuple(consents)})) != form_sha256(base)


def test_another_text_version_or_language_changes_the_hash():
    base = samples.form()
    for update in ({"version": 2}, {"language": "en"}, {"text_sha256": "0" * 64}):
        consents = (base.consents[0].model_copy(update=update), *base.consents[1:])
        assert form_sha256(base.model_copy(update={"consents": consents})) != form_sha256(base)


@pytest.mark.parametrize(
    "update",
    [
        {"signed_at": dt.datetime(2026, 12, 1, 18, 5, 12, 345679, tzinfo=samples.MSK)},
        {"store": "Бутик в Столешниковом"},
        {"consultant": "Мария Белова"},
        {"form_id": "01JF8ZQ2V6M3K9X4T7N5R2B8CE"},
        {"client_id": "c-43"},
    ],
)
def test_changed_when_where_or_whom_changes_the_hash(update):
    assert form_sha256(samples.form().model_copy(update=update)) != form_sha256(samples.form())


_strokes = samples.drawn_strokes()


@settings(max_examples=150, deadline=None)
@given(
    stroke=st.integers(min_value=0, max_value=len(_strokes) - 1),
    data=st.data(),
    dx=st.sampled_from([-0.01, 0.01, 0.5, -3.0]),
    axis=st.sampled_from([0, 1]),
)
def test_any_moved_point_changes_the_hash(stroke, data, dx, axis):
    index = data.draw(st.integers(min_value=0, max_value=len(_strokes[stroke]) - 1))
    strokes = [list(s) for s in _strokes]
    x, y = strokes[stroke][index]
    strokes[stroke][index] = (x + dx, y) if axis == 0 else (x, y + dx)
    base = samples.form()
    moved = base.model_copy(update={"signature": Signature.of(*samples.PAD, strokes)})
    assert form_sha256(moved) != form_sha256(base)


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: s[:-1],  # a stroke dropped
        lambda s: [s[0] + s[1], *s[2:]],  # two strokes joined (pen not lifted)
        lambda s: [s[1], s[0], *s[2:]],  # drawn in another order
        lambda s: [s[0][:-1], *s[1:]],  # a point dropped
        lambda s: [*s, [(10.0, 10.0)]],  # a dot added
    ],
)
def test_changed_strokes_change_the_hash(edit):
    base = samples.form()
    edited = base.model_copy(update={"signature": Signature.of(*samples.PAD, edit(samples.drawn_strokes()))})
    assert form_sha256(edited) != form_sha256(base)


_coords = st.floats(min_value=-50, max_value=1000, allow_nan=False, allow_infinity=False)


@settings(max_examples=100, deadline=None)
@given(
    surname=_text,
    brands=st.lists(_text, max_size=4),
    strokes=st.lists(st.lists(st.tuples(_coords, _coords), min_size=1, max_size=20), min_size=1, max_size=4),
)
def test_the_stored_record_read_back_gives_the_same_hash(surname, brands, strokes):
    """What is verified later is the record as stored (JSON): it must hash as it did when signed."""
    base = samples.form()
    form = base.model_copy(
        update={
            "data": base.data.model_copy(update={"surname": surname, "preferred_brands": tuple(brands)}),
            "signature": Signature.of(*samples.PAD, strokes),
        }
    )
    stored = form.model_dump_json()
    assert form_sha256(SignedForm.model_validate_json(stored)) == form_sha256(form)
    assert canonical_bytes(SignedForm.model_validate_json(stored)) == canonical_bytes(form)
