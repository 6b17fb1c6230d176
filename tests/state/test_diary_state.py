"""The diary's model on a real cache and hub: a draft (text, tags, day, photo) survives a
restart; a refused photo or day keeps what was typed; a contact with a follow-up; paging;
who may change an entry (her own; a manager any of her store's)."""

from __future__ import annotations

import datetime as dt
import io

from PIL import Image

from app.cache import diary_records, sync_state
from app.cache.diary_records import Author
from app.state.session import SESSION_KEY, Session
from sync.hub import demo
from tests.state.helpers import engine, signed_in
from tests.state.test_app import logged_in, make, wait_for


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (900, 600), (120, 90, 60)).save(out, "JPEG")
    return out.getvalue()


async def test_a_draft_with_tags_day_and_photo_survives_a_restart(demo_hub, tmp_path):
    ctrl = await logged_in(demo_hub, tmp_path)
    await wait_for(lambda: len(ctrl.clients.rows) > 0)
    await wait_for(lambda: bool(ctrl.cache.read_sync(diary_records.brand_tags)))
    await engine(ctrl).stop()
    cid = ctrl.clients.rows[1].id
    await ctrl.profile.open(cid)
    d = ctrl.diary
    d.start("diary.template_gift", "Подарок для ")
    d.set("text", "Подарок для мужа: запонки с гравировкой")
    d.toggle_tag("подарки")
    d.set("follow_up", "2020-01-01")
    assert not await d.add_photo(b"%PDF not a photo")
    assert d.error is not None and d.error.key == "diary.photo_not_image"
    assert not await d.add_photo(b"x", 30 << 20)  # a 30 MB file: refused from its size
    assert d.error is not None and d.error.key == "diary.photo_too_large"
    assert await d.add_photo(_jpeg())
    assert not await d.save()  # a day in the past: refused, all kept
    assert d.error is not None and d.error.key == "diary.follow_up_past"
    typed = dict(d.form)
    assert typed["text"] == "Подарок для мужа: запонки с гравировкой" and typed["tags"] == ["подарки"]
    assert len(typed["photos"]) == 1
    await ctrl.close()

    again = make(tmp_path, demo_hub.url)  # the app restarted, offline
    demo_hub.stop()
    try:
        await again.start()
        await again.profile.open(cid)
        assert again.diary.composing and again.diary.form == typed
        again.diary.set("follow_up", "")
        assert await again.diary.save()
        e = again.diary.entries[0]
        assert (e.text, e.tags, e.pending, len(e.photos)) == (typed["text"], ("подарки",), True, 1)
        assert e.photos[0] in again.diary.thumbs  # its thumbnail, from the encrypted cache
        await again.close()
        third = make(tmp_path, demo_hub.url)
        await third.start()
        await third.profile.open(cid)
        assert not third.diary.composing  # saved: the draft is gone
        await third.close()
    finally:
        demo_hub.start()


async def test_a_contact_with_a_follow_up_and_500_entries_paged_to_the_end(demo_hub, tmp_path):
    ctrl = await logged_in(demo_hub, tmp_path)
    await wait_for(lambda: len(ctrl.clients.rows) > 0)
    await engine(ctrl).stop()
    cid = ctrl.clients.rows[2].id
    await ctrl.profile.open(cid)
    d = ctrl.diary
    d.open_contact("visit")
    assert not await d.log_contact()
    assert d.contact_error is not None and d.contact_error.key == "diary.contact_empty"
    d.set_contact("text", "Примерила пальто, ждёт 46 размер")
    d.set_contact("follow_up", "2099-01-01")
    assert not await d.log_contact()
    assert d.contact_error is not None and d.contact_error.key == "diary.follow_up_far"
    assert d.contact["text"] == "Примерила пальто, ждёт 46 размер"  # kept
    day = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    d.set_contact("follow_up", day)
    assert await d.log_contact()
    assert [(c.kind, c.channel) for c in d.communications[:2]] == [("contact", "visit"), ("diary", None)]
    assert [f.due for f in d.follow_ups] == [day]

    me = Author(d.me.id, d.me.name)

    def many(db):
        for n in range(500):
            diary_records.add_entry(db, cid, me, f"2026-01-01T00:{n // 60:02d}:{n % 60:02d}+00:00", f"запись {n}")

    await ctrl.cache.write(many)
    await d.load()
    assert len(d.entries) == 50 and d.cursor is not None
    while d.cursor is not None:
        await d.more()
    assert len(d.entries) == 501 and len({e.id for e in d.entries}) == 501
    await ctrl.close()


async def _entry(ctrl, cid: str, text: str):
    d = ctrl.diary
    await ctrl.profile.open(cid)
    d.start()
    d.set("text", text)
    assert await d.save()
    await engine(ctrl).sync_once()
    assert engine(ctrl).status.rejected == 0
    await d.load()
    return next(e for e in d.entries if e.text == text)


async def test_a_manager_is_known_after_login_and_may_change_any_entry_of_her_store(demo_hub, tmp_path):
    consultant = await logged_in(demo_hub, tmp_path / "consultant")
    await wait_for(lambda: len(consultant.clients.rows) > 0)
    assert signed_in(consultant).role == "consultant" and not signed_in(consultant).manager
    await engine(consultant).stop()
    cid = consultant.clients.rows[3].id
    hers = await _entry(consultant, cid, "Ищет бежевое пальто к марту, размер 44")
    assert not hers.pending and hers.revisions == 1  # it reached the hub

    manager = make(tmp_path / "manager", demo_hub.url)
    await manager.start()
    manager.session.login, manager.session.password = "manager1", demo.CONSULTANT_PASSWORD
    assert await manager.session.log_in()
    assert signed_in(manager).role == "manager" and signed_in(manager).manager
    assert signed_in(manager).store_id == signed_in(consultant).store_id
    await wait_for(lambda: len(manager.clients.rows) > 0)
    await engine(manager).stop()
    await engine(manager).sync_once()
    await manager.profile.open(cid)
    seen = next(e for e in manager.diary.entries if e.id == hers.id)
    assert manager.diary.may_change(seen)  # not hers, but of her store
    own = await _entry(manager, cid, "Звонила управляющая: пальто отложено")

    await engine(consultant).sync_once()
    await consultant.diary.load()
    by_id = {e.id: e for e in consultant.diary.entries}
    assert consultant.diary.may_change(by_id[hers.id]) and not consultant.diary.may_change(by_id[own.id])

    await manager.diary.delete(hers.id)  # the hub accepts it from a manager
    await engine(manager).sync_once()
    assert engine(manager).status.rejected == 0 and engine(manager).status.pending == 0
    await engine(consultant).sync_once()
    await consultant.diary.load()
    assert hers.id not in {e.id for e in consultant.diary.entries}
    await manager.close()
    await consultant.close()


async def test_a_session_stored_without_a_role_learns_it_from_the_hub(demo_hub, tmp_path):
    ctrl = await logged_in(demo_hub, tmp_path)
    old = signed_in(ctrl).model_copy(update={"role": ""})  # as an earlier version stored it
    await ctrl.cache.write(sync_state.set_state, SESSION_KEY, old.dumps())
    await ctrl.close()
    again = make(tmp_path, demo_hub.url)
    await again.start()
    await wait_for(lambda: signed_in(again).role == "consultant")
    stored = Session.loads(again.cache.read_sync(sync_state.get_state, SESSION_KEY))
    assert stored is not None and stored.role == "consultant"
    await again.close()
