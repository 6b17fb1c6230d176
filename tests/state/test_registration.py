"""The signed registration on a real (encrypted) cache, offline: every field's message, the
signature refused or kept, the PDF and its blobs stored and queued behind the client, the
local duplicate check, activation of an existing client, hand-over left with the PIN."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from pypdf import PdfReader

from app.cache import blobs, signed_forms
from app.services.platform import PlatformServices
from app.services.platform.documents import Saved
from app.services.signed_form import form_sha256
from app.state import registration
from app.state.app import App
from app.state.lock import LockState
from app.state.messages import Message
from app.ui.strings import EN, RU, t
from tests.services.signed_samples import drawn_strokes
from tests.state.test_forms import ANNA, device, drafts_written, register

GOOD = {
    "last_name": "Шереметьева",
    "first_name": "Анастасия",
    "middle_name": "Владимировна",
    "phone": "8 916 123-45-67",
    "email": "A.Sheremeteva@example.ru",
    "birthday": "14.03.1988",
    "gender": "female",
    "size_clothing": "42",
    "preferred_brands": "Loro Piana, Brioni",
    "heard_from": "Рекомендация подруги",
    "referral_code": "anna-7q2",
    "consent_processing": True,
    "consent_sms": True,
}


def _form(**changes: object) -> dict:
    return {**registration.blank(), **GOOD, **changes}


# --- every field's validation message -------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("last_name", "  ", "form.required"),
        ("first_name", "", "form.required"),
        ("phone", "12", "form.phone"),
        ("phone", "+7 916 123-45-6x", "form.phone"),
        ("email", "anna@", "form.email"),
        ("birthday", "31.02.1990", "form.birthday"),
        ("birthday", "01.01.2999", "form.birthday"),
        ("birthday", "вчера", "form.birthday"),
        ("card_number", "12AB", "form.card"),
        ("gender", "other", "form.gender"),
        ("referral_code", "ab", "form.referral"),
        ("referral_code", "код-клиента", "form.referral"),
        ("heard_from", "x" * 201, "form.too_long"),
        ("consent_processing", False, "form.consent_required"),
    ],
)
def test_each_field_has_its_message_in_both_languages(field, value, key):
    changed, errors = registration.check(_form(**{field: value}), {}, today=date(2026, 12, 1))
    assert changed == {} and errors == {field: key}
    assert t("ru", key) != key and t("en", key) != key and key in RU and key in EN


def test_a_good_questionnaire_passes_and_normalises():
    changed, errors = registration.check(_form(), {}, today=date(2026, 12, 1))
    assert errors == {}
    assert changed["phone"] == "+79161234567" and changed["email"] == "a.sheremeteva@example.ru"
    assert changed["gender"] == "f" and "consents" not in changed
    data = registration.data_of(_form())
    assert (data.surname, data.phone, data.birthday, data.referral_code) == (
        "Шереметьева",
        "+79161234567",
        date(1988, 3, 14),
        "ANNA-7Q2",
    )
    assert data.sizes == {"clothing": "42"} and data.preferred_brands == ("Loro Piana", "Brioni")


@pytest.mark.parametrize(
    ("strokes", "key"),
    [
        ([], "signature.empty"),
        ([[(10, 10), (12, 12)]], "signature.too_few_points"),
        ([[(100 + i * 0.5, 100) for i in range(20)]], "signature.too_small"),
    ],
)
def test_a_drawing_that_is_no_signature_has_its_message(strokes, key):
    from app.services.signature import Signature

    assert registration.signature_error(Signature.of(600, 240, strokes)) == key
    assert key in RU and key in EN


# --- signing on the device ----------------------------------------------------------------


async def _typed(ctrl: App, form: dict, strokes=None) -> None:
    for name, value in form.items():
        ctrl.register.set_field(name, value)
    pad = ctrl.register.pad
    pad.resize(600, 240)
    for stroke in drawn_strokes() if strokes is None else strokes:
        pad.begin(*stroke[0])
        for p in stroke[1:]:
            pad.extend(*p)
    await drafts_written(ctrl)


def _outbox(ctrl: App) -> list[tuple[str, str, dict]]:
    rows = ctrl.cache.read_sync(
        lambda db: db.execute("SELECT kind, entity_id, payload FROM outbox ORDER BY seq").fetchall()
    )
    return [(k, e, json.loads(p)) for k, e, p in rows]


async def test_signing_stores_the_client_the_pdf_and_queues_the_form_behind_her(tmp_path):
    ctrl = await device(tmp_path)
    await ctrl.register.open()
    ctrl.register.hand_over()
    await _typed(ctrl, GOOD)
    form_id = await ctrl.register.sign()
    assert form_id and ctrl.register.errors == {} and ctrl.register.signed_form == form_id
    queued = [(k, p) for k, _, p in _outbox(ctrl) if k != "client.viewed"]
    assert [k for k, _ in queued] == ["client.register", "form.sign"]  # she first, then her form
    cid = ctrl.register.client_id
    sign = queued[1][1]
    assert sign["client_id"] == cid and sign["form_type"] == "registration"
    assert sign["consents"]["processing"] == {"granted": True, "text_version": "processing.v1.ru"}
    assert sign["consents"]["calls"] == {"granted": False, "text_version": "calls.v1.ru"}
    pdf = ctrl.cache.read_sync(blobs.load, sign["pdf_sha256"])
    png = ctrl.cache.read_sync(blobs.load, sign["signature_sha256"])
    assert pdf is not None and pdf[1] == "application/pdf" and png is not None and png[1] == "image/png"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf[0])).pages)
    assert "Шереметьева" in text and sign["form_sha256"] in text.replace("\n", "")
    forms = ctrl.cache.read_sync(signed_forms.forms_of, cid)
    assert [(f.id, f.pending, f.processing) for f in forms] == [(form_id, True, True)]
    assert ctrl.cache.read_sync(signed_forms.has_processing_consent, cid)
    assert ctrl.cache.read_sync(signed_forms.without_processing_consent, [cid]) == set()


async def test_the_stored_hash_is_the_canonical_hash_of_what_was_signed(tmp_path, monkeypatch):
    ctrl = await device(tmp_path)
    await ctrl.register.open()
    await _typed(ctrl, GOOD)
    seen = {}
    real = registration.decisions

    def spy(form, shown):
        seen["decisions"] = real(form, shown)
        return seen["decisions"]

    monkeypatch.setattr(registration, "decisions", spy)
    await ctrl.register.sign()
    sign = next(p for k, _, p in _outbox(ctrl) if k == "form.sign")
    from app.services.signed_form import SignedForm

    again = SignedForm(
        form_id=next(e for k, e, _ in _outbox(ctrl) if k == "form.sign"),
        client_id=sign["client_id"],
        data=registration.data_of(_form()),
        consents=seen["decisions"],
        signature=ctrl.register.pad.signature(),
        signed_at=sign["signed_at"],
        store=ANNA.store_name,
        consultant=ANNA.consultant_name,
    )
    assert form_sha256(again) == sign["form_sha256"]


async def test_a_refused_signing_keeps_everything_typed_and_says_why(tmp_path):
    ctrl = await device(tmp_path)
    await ctrl.register.open()
    await _typed(ctrl, {**GOOD, "email": "anna@", "consent_processing": False}, strokes=[[(10, 10), (11, 11)]])
    assert await ctrl.register.sign() is None
    errors = ctrl.register.errors
    assert errors["email"] == Message("form.email")
    assert errors["consent_processing"] == Message("form.consent_required")
    assert errors["signature"] == Message("signature.too_few_points")
    assert ctrl.register.form["last_name"] == "Шереметьева" and ctrl.register.form["email"] == "anna@"
    assert ctrl.register.pad.strokes == [[(10, 10), (11, 11)]]  # she may add to it
    assert [k for k, _, _ in _outbox(ctrl) if k != "client.viewed"] == []
    # the draft survives a restart
    ctrl.cache.close()
    again = await device(tmp_path)
    await again.register.open()
    assert again.register.form["referral_code"] == "anna-7q2" and again.register.form["gender"] == "female"


async def test_the_pad_undoes_redoes_and_clears():
    from app.state.signature_pad import SignaturePadModel

    pad = SignaturePadModel()
    pad.begin(1, 1)
    pad.extend(2, 2)
    pad.begin(5, 5)
    pad.undo()
    assert pad.strokes == [[(1, 1), (2, 2)]] and pad.undone == [[(5, 5)]]
    pad.redo()
    assert pad.strokes == [[(1, 1), (2, 2)], [(5, 5)]] and pad.undone == []
    pad.clear()
    assert pad.strokes == [] and pad.signature().strokes == ()


async def test_typing_a_known_phone_email_or_name_and_birthday_offers_her(tmp_path):
    ctrl = await device(tmp_path)
    await ctrl.register.open()
    await _typed(ctrl, GOOD)
    await ctrl.register.sign()
    await ctrl.register.open()
    reg = ctrl.register

    async def settle() -> None:  # the check typing spawned, run once more to its end
        await reg._find_matches()

    reg.set_field("phone", "+7 (916) 123-45-67")
    await settle()
    assert [(why, c.last_name) for why, c in reg.matches] == [("phone", "Шереметьева")]
    reg.set_field("phone", "")
    reg.set_field("email", "a.sheremeteva@EXAMPLE.ru")
    await settle()
    assert [why for why, _ in reg.matches] == ["email"]
    reg.set_field("email", "")
    for k, v in {"last_name": "шереметьева", "first_name": "АНАСТАСИЯ", "birthday": "14.03.1988"}.items():
        reg.set_field(k, v)
    await settle()
    assert [why for why, _ in reg.matches] == ["name_birthday"]
    reg.set_field("birthday", "15.03.1988")
    await settle()
    assert reg.matches == []


async def test_an_existing_client_signs_later_and_the_profile_says_what_was_missing(tmp_path):
    ctrl = await device(tmp_path)
    cid = await register(ctrl, "Квикова", "Мария")  # a quick card
    assert ctrl.cache.read_sync(signed_forms.without_processing_consent, [cid]) == {cid}
    await ctrl.forms.load(cid, ctrl.profile.data.client.fields if ctrl.profile.data else {})
    assert not ctrl.forms.signed and ctrl.forms.missing == ["phone", "email", "birthday", "gender"]
    await ctrl.register.open_for(cid)
    assert ctrl.register.client_id == cid and ctrl.register.form["last_name"] == "Квикова"
    await _typed(ctrl, {"phone": "+79160000001", "gender": "female", "consent_processing": True})
    assert await ctrl.register.sign()
    kinds = [(k, e) for k, e, _ in _outbox(ctrl) if k != "client.viewed"]
    assert kinds[-2:] == [("client.update", cid), ("form.sign", kinds[-1][1])]
    assert ("client.register", cid) in kinds and kinds.count(("client.register", cid)) == 1
    await ctrl.forms.load(cid, {})
    assert ctrl.forms.signed and len(ctrl.forms.forms) == 1
    pdf = await ctrl.forms.pdf(ctrl.forms.forms[0])
    assert pdf is not None and pdf.startswith(b"%PDF")
    # "Open PDF" hands the same bytes to the platform's document service (a fake here).
    saver = RecordingSaver()
    ctrl.ctx.platform = PlatformServices(documents=saver)
    assert await ctrl.forms.open_pdf(ctrl.forms.forms[0], "anketa.pdf")
    assert saver.got == [("anketa.pdf", pdf)]


class RecordingSaver:
    def __init__(self) -> None:
        self.got: list[tuple[str, bytes]] = []

    async def save(self, name: str, content: bytes, mime: str = "application/pdf") -> Saved:
        self.got.append((name, content))
        return Saved(True)


async def test_hand_over_is_left_with_the_consultants_pin_only(tmp_path):
    ctrl = await device(tmp_path)
    await ctrl.lock.begin(ANNA, resumed=False)
    assert ctrl.lock.state is LockState.SETUP
    ctrl.lock.pin = ctrl.lock.confirm = "4817"
    assert await ctrl.lock.set_pin()
    await ctrl.register.open()
    ctrl.register.hand_over()
    await _typed(ctrl, GOOD)
    assert await ctrl.register.sign()
    ctrl.register.exit_pin = "1111"
    assert not await ctrl.register.leave_handover()
    assert ctrl.register.handover and ctrl.register.exit_error is not None
    assert ctrl.register.exit_error.key == "lock.wrong"
    ctrl.register.exit_pin = "4817"
    assert await ctrl.register.leave_handover()
    assert not ctrl.register.handover and ctrl.ui.route.startswith("/clients/")


async def test_she_signs_the_texts_in_the_language_she_read(tmp_path):
    ctrl = await device(tmp_path)
    await ctrl.register.open()
    ctrl.register.hand_over()
    ctrl.ui.switch_lang()  # hand-over's language button
    await _typed(ctrl, GOOD)
    assert await ctrl.register.sign()
    sign = next(p for k, _, p in _outbox(ctrl) if k == "form.sign")
    assert {c["text_version"] for c in sign["consents"].values()} == {
        f"{p}.v1.en" for p in ("processing", "sms", "email", "messengers", "calls")
    }
    pdf = ctrl.cache.read_sync(blobs.load, sign["pdf_sha256"])
    assert pdf is not None
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf[0])).pages)
    assert "Client questionnaire" in text and "Consent to the processing of personal data" in text


async def test_five_wrong_pins_in_hand_over_end_the_session_not_the_mode_alone(tmp_path):
    ctrl = await device(tmp_path)
    await ctrl.lock.begin(ANNA, resumed=False)
    ctrl.lock.pin = ctrl.lock.confirm = "4817"
    assert await ctrl.lock.set_pin()
    await ctrl.register.open()
    ctrl.register.hand_over()
    for _ in range(5):
        ctrl.register.exit_pin = "1111"
        assert not await ctrl.register.leave_handover()
    assert ctrl.session.current is None and ctrl.ui.route == "/login"  # the password decides now
    assert not ctrl.register.handover and ctrl.register.exit_error == Message("lock.too_many")


# --- the referral code reaches the hub ------------------------------------------------------


async def test_the_referral_code_typed_reaches_the_hub_and_an_unknown_one_loses_nothing(tmp_path, monkeypatch):
    import sqlite3

    from app.cache import replica
    from sync.hub import demo, loyalty_service
    from sync.hub.storage import HubDB
    from tests.conftest import start_hub, wait_http
    from tests.state.test_app import logged_in, wait_for

    (tmp_path / "hub").mkdir()
    (tmp_path / "app").mkdir()
    hub = start_hub(tmp_path / "hub", clients=20)
    try:
        conn = sqlite3.connect(hub.db_path)
        store = demo.stores(1)[0]["id"]
        owner = conn.execute("SELECT id FROM clients WHERE store_id = ? ORDER BY id", [store]).fetchone()[0]
        conn.close()
        db = HubDB(str(hub.db_path))
        try:
            with db.write() as c:
                code = loyalty_service.code_for(c, owner, "client", store)
        finally:
            db.dispose()
        assert code

        answers: dict[str, dict] = {}

        def record(db, results):  # what the hub answered each mutation
            answers.update({r.id: {"status": r.status, **(r.result or {})} for r in results})
            return replica_record(db, results)

        replica_record = replica.record_results
        monkeypatch.setattr(replica, "record_results", record)
        ctrl = await logged_in(hub, tmp_path / "app")
        await wait_for(lambda: ctrl.clients.total > 0 and not ctrl.sync.status.syncing)
        typed = {"known": code.lower(), "unknown": "NOBODY-1234"}
        phones = {"known": "8 916 123-45-01", "unknown": "8 916 123-45-02"}
        hub.stop()  # registered offline: both wait in the outbox, read before the hub answers
        ids: dict[str, str] = {}
        for which, referral in typed.items():
            await ctrl.register.open()
            ctrl.register.hand_over()
            await _typed(
                ctrl, {**GOOD, "last_name": f"Рефералова-{which}", "phone": phones[which]} | {"referral_code": referral}
            )
            assert await ctrl.register.sign(), ctrl.register.errors
            cid = ctrl.register.client_id
            assert cid
            ids[which] = cid
        queued = {e: (m_id, p) for m_id, k, e, p in _outbox_ids(ctrl) if k == "client.register"}
        assert queued[ids["known"]][1]["referral_code"] == code.upper()
        assert queued[ids["unknown"]][1]["referral_code"] == "NOBODY-1234"

        hub.start()
        wait_http(hub.url + "/healthz")
        ctrl.sync.sync_now()
        await wait_for(lambda: all(queued[c][0] in answers for c in ids.values()))
        known, unknown = (answers[queued[ids[w]][0]] for w in ("known", "unknown"))
        assert known["status"] == "applied" and known["referral"]["accepted"] is True
        # An unknown code is noted, the registration applied all the same: she is kept.
        assert unknown["status"] == "applied" and unknown["referral"] == {
            "accepted": False,
            "notes": ["Referral code NOBODY-1234 is not known"],
        }
        assert not [k for _, k, _, _ in _outbox_ids(ctrl) if k == "client.register"]
        held = ctrl.cache.read_sync(
            lambda db: {r[0] for r in db.execute("SELECT id FROM clients WHERE id IN (?, ?)", list(ids.values()))}
        )
        assert held == set(ids.values())
        conn = sqlite3.connect(hub.db_path)
        on_hub = {r[0] for r in conn.execute("SELECT id FROM clients WHERE id IN (?, ?)", list(ids.values()))}
        links = dict(conn.execute("SELECT client_id, owner_id FROM referrals").fetchall())
        conn.close()
        assert on_hub == set(ids.values())
        assert links.get(ids["known"]) == owner and ids["unknown"] not in links
        await ctrl.close()
    finally:
        hub.stop()


def _outbox_ids(ctrl: App) -> list[tuple[str, str, str, dict]]:
    rows = ctrl.cache.read_sync(
        lambda db: db.execute("SELECT id, kind, entity_id, payload FROM outbox ORDER BY seq").fetchall()
    )
    return [(i, k, e, json.loads(p)) for i, k, e, p in rows]
