"""The diary's model on a real cache and hub: a draft (text, tags, day, photo) survives a
restart; a refused photo or day keeps what was typed; a contact with a follow-up; paging."""

from __future__ import annotations

import datetime as dt
import io

from PIL import Image

from app.cache import diary_records
from app.cache.diary_records import Author
from tests.state.helpers import engine
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
