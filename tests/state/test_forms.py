"""The client forms' lifecycle on a real cache file, offline (no hub needed): a registration
starts empty, a draft belongs to one form and one consultant, survives reopening the cache,
and ends with "Отмена" or a successful save; a refused save names the fields to fix."""

from __future__ import annotations

from pathlib import Path

from app.cache import clients as cached_clients
from app.cache import drafts
from app.services.secrets import EncryptedFileStore
from app.state.app import App
from app.state.context import Config
from app.state.messages import Message
from app.state.profile_form import fields_to_fix
from app.state.session import Session
from tests.conftest import free_port
from tests.state.helpers import shown

ANNA = Session(consultant_name="Анна Смирнова", store_name="Петровка", store_id="s1", consultant_id="k1")
OLGA = Session(consultant_name="Ольга Белова", store_name="Петровка", store_id="s1", consultant_id="k2")


async def device(folder: Path, who: Session | None = ANNA) -> App:
    """The app on the cache in `folder`, the hub unreachable, `who` logged in."""
    ctrl = App(
        Config(f"http://127.0.0.1:{free_port()}", folder, sync_interval=60),
        secrets=EncryptedFileStore(folder / "secrets"),
    )
    await ctrl.start()
    ctrl.session.current = who
    return ctrl


def stored(ctrl: App, form: str, who: Session = ANNA) -> drafts.Draft | None:
    return ctrl.cache.read_sync(drafts.load_draft, form, who.consultant_id)


async def drafts_written(ctrl: App) -> None:
    """Wait for the draft writes queued so far (typing queues them; reads do not wait)."""
    await ctrl.cache.write(lambda db: None)


async def type_in(ctrl: App, **values: str) -> None:
    for name, value in values.items():
        ctrl.register.set_field(name, value)
    await drafts_written(ctrl)


async def register(ctrl: App, last_name: str, first_name: str) -> str:
    await ctrl.register.open()
    await type_in(ctrl, last_name=last_name, first_name=first_name)
    cid = await ctrl.register.save()
    assert cid
    return cid


async def test_cancel_discards_the_registration_and_the_next_one_starts_empty(tmp_path):
    ctrl = await device(tmp_path)
    await ctrl.register.open()
    assert ctrl.ui.route == "/register" and set(ctrl.register.form.values()) <= {"", False}
    await type_in(ctrl, last_name="Брошенная", phone="12", email="anna@")
    assert await ctrl.register.save() is None
    assert set(ctrl.register.errors) == {"first_name", "phone", "email"}
    assert stored(ctrl, drafts.REGISTER) is not None

    await ctrl.register.cancel()
    assert ctrl.ui.route == "/clients"
    assert stored(ctrl, drafts.REGISTER) is None
    await ctrl.register.open()
    assert ctrl.register.form["last_name"] == "" and ctrl.register.form["phone"] == ""
    assert ctrl.register.errors == {} and ctrl.register.failed_saves == 0 and ctrl.register.draft_from is None
    await ctrl.close()


async def test_registration_draft_survives_reopening_the_cache_for_its_consultant_only(tmp_path):
    ctrl = await device(tmp_path)
    await ctrl.register.open()
    await type_in(ctrl, last_name="Черновая", phone="+7 916 555-01-02", phone_typo="x")
    assert await ctrl.register.save() is None  # a refused save keeps the draft, its errors are not kept
    await ctrl.close()

    again = await device(tmp_path)
    await again.register.open()
    form = again.register.form
    assert (form["last_name"], form["phone"], form["first_name"]) == ("Черновая", "+7 916 555-01-02", "")
    assert "phone_typo" not in form  # only the form's own fields come back
    assert again.register.errors == {} and again.register.draft_from is not None
    # The draft is the registration's: no profile edit picks it up.
    assert again.cache.read_sync(drafts.load_draft, drafts.profile_key("any"), "k1") is None

    # Another consultant on this device gets an empty form, and Anna's draft stays hers.
    again.session.current = OLGA
    await again.register.open()
    assert again.register.form["last_name"] == "" and again.register.draft_from is None
    assert stored(again, drafts.REGISTER) is not None
    await again.close()


async def test_registering_discards_the_draft(tmp_path):
    ctrl = await device(tmp_path)
    cid = await register(ctrl, "Зайцева", "Алиса")
    assert ctrl.ui.route == f"/clients/{cid}"
    assert stored(ctrl, drafts.REGISTER) is None
    await ctrl.register.open()
    assert ctrl.register.form["last_name"] == ""
    await ctrl.close()


async def test_profile_edit_draft_is_kept_per_client_across_a_restart(tmp_path):
    ctrl = await device(tmp_path)
    alice = await register(ctrl, "Зайцева", "Алиса")
    olga = await register(ctrl, "Лебедева", "Ольга")
    await ctrl.profile.open(alice)
    ctrl.profile.start_edit()
    ctrl.profile.set_field("size_shoe", "38,5")
    ctrl.profile.set_field("notes", "Любит зелёный")
    await ctrl.close()

    again = await device(tmp_path)
    # Meanwhile her e-mail changed (a sync, another device): the draft holds only what was typed.
    again.cache.write_sync(cached_clients.update_client, alice, {"email": "alice@mail.ru"})
    await again.profile.open(olga)
    assert again.profile.editing is False  # Olga has no draft
    await again.profile.open(alice)
    assert again.profile.editing is True and again.profile.draft_from is not None
    form = again.profile.form
    assert (form["size_shoe"], form["notes"], form["email"]) == ("38,5", "Любит зелёный", "alice@mail.ru")
    await again.register.open()
    assert again.register.form["notes"] == ""  # the profile draft is not the registration's

    await again.profile.open(alice)
    await again.profile.cancel_edit()
    assert again.profile.editing is False
    assert stored(again, drafts.profile_key(alice)) is None
    await again.profile.open(alice)
    assert again.profile.editing is False
    await again.close()


async def test_saving_an_edit_discards_its_draft(tmp_path):
    ctrl = await device(tmp_path)
    alice = await register(ctrl, "Зайцева", "Алиса")
    await ctrl.profile.open(alice)
    ctrl.profile.start_edit()
    ctrl.profile.set_field("phone", "12")
    assert await ctrl.profile.save() is False
    assert ctrl.profile.errors == {"phone": Message("form.phone")} and ctrl.profile.failed_saves == 1
    await drafts_written(ctrl)  # a refused save writes nothing: the draft may still be queued
    assert stored(ctrl, drafts.profile_key(alice)) is not None
    ctrl.profile.set_field("phone", "8 916 000-11-22")
    assert await ctrl.profile.save() is True
    assert shown(ctrl).client.phone == "+79160001122"
    assert stored(ctrl, drafts.profile_key(alice)) is None
    await ctrl.profile.open(alice)
    assert ctrl.profile.editing is False
    await ctrl.close()


async def test_a_refused_save_counts_and_names_the_fields_in_form_order(tmp_path):
    ctrl = await device(tmp_path)
    await ctrl.register.open()
    await type_in(ctrl, email="anna@", phone="12", last_name="", first_name="Анна")
    assert await ctrl.register.save() is None
    assert fields_to_fix(ctrl.register.errors) == ["last_name", "phone", "email"]
    assert ctrl.register.failed_saves == 1
    assert await ctrl.register.save() is None
    assert ctrl.register.failed_saves == 2  # focus moves again on each refusal
    await ctrl.close()


def test_fields_to_fix_leaves_out_the_form_wide_error():
    assert fields_to_fix({"_form": "form.invalid"}) == []
    assert fields_to_fix({"birthday": "x", "size_shoe": "y", "first_name": "z"}) == [
        "first_name",
        "birthday",
        "size_shoe",
    ]


async def test_a_registration_left_for_another_screen_reopens_marked_as_a_draft(tmp_path):
    ctrl = await device(tmp_path)
    await ctrl.register.open()
    assert ctrl.register.draft_from is None
    await type_in(ctrl, last_name="Ушедшая")
    ctrl.ui.go("/clients")
    await ctrl.register.open()
    assert ctrl.register.form["last_name"] == "Ушедшая" and ctrl.register.draft_from is not None
    await ctrl.close()
