"""The diary through the sync engine against a real hub: revisions, tombstones, concurrent
edits on two devices offline, tags from the brand's list, follow-ups, photos, contacts."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random
from functools import partial

from PIL import Image

from app.cache import diary, diary_records
from app.cache.diary_records import Author
from app.services import photos
from sync.models import new_id, utcnow
from tests.sync.helpers import CONSULTANTS

DEMO = CONSULTANTS["demo"]
ME = Author(DEMO["id"], DEMO["name"])


def _client(device, salt: str) -> str:
    ids = device.clients_of_store()
    return random.Random(device.device_id + salt).choice(ids)


def _at(minutes: int = 0) -> str:
    return (utcnow() + dt.timedelta(minutes=minutes)).isoformat()


def _day(days: int) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


async def _add(device, client_id: str, text: str, **kw) -> str:
    return await device.cache.write(partial(diary_records.add_entry, **kw), client_id, ME, _at(), text)


def _codes(device) -> list[tuple[str, str, str | None]]:
    return device.cache.read_sync(
        lambda db: db.execute("SELECT kind, status, code FROM outbox ORDER BY seq").fetchall()
    )


def _outcome(device) -> dict[str, tuple[str, str | None]]:
    return {kind: (status, code) for kind, status, code in _codes(device)}


async def test_the_brands_tags_reach_the_device_and_an_entry_keeps_them_in_the_lists_order(hub, devices):
    a = devices(hub, "demo")
    await a.settle()
    tags = a.cache.read_sync(diary_records.brand_tags)
    assert tags[:3] == ["предпочтения", "размеры", "подарки"] and "монограмма" in tags
    cid = _client(a, "tags")
    entry = await _add(a, cid, "Монограмма на манжетах", tags=["монограмма", "предпочтения"])
    await a.settle()
    assert a.entity("diary", entry)["tags"] == ["предпочтения", "монограмма"]  # the hub's order, the list's
    page = a.cache.read_sync(diary.diary_page, cid, 50, None, "монограмма")
    assert [e.id for e in page.entries] == [entry]
    assert a.cache.read_sync(diary.diary_page, cid, 50, None, "жалоба").entries == ()


async def test_a_tag_not_on_the_brands_list_is_refused_and_the_entry_stays_visible(hub, devices):
    a = devices(hub, "demo")
    await a.settle()
    cid = _client(a, "bad-tag")
    entry = await _add(a, cid, "Любит кашемир", tags=["выдуманный тег"])
    await a.engine.sync_once()
    assert _outcome(a)["diary.add"] == ("rejected", "unknown_tag")
    assert a.entity("diary", entry)["pending"] is True  # nothing typed is lost: it is shown, with the refusal


async def test_revision_and_tombstone_offline_with_history_then_synced(hub, devices):
    a, b = devices(hub, "demo"), devices(hub, "demo")
    await a.settle()
    await b.settle()
    cid = _client(a, "revise")
    entry = await _add(a, cid, "Ищет пальто кэмел", follow_up=_day(10))
    await a.settle()
    assert [f.entry_id for f in a.cache.read_sync(diary_records.follow_ups, ME.id, None, 100, cid)] == [entry]

    # offline: revise, then look at the history before anything is sent
    assert await a.cache.write(diary_records.revise_entry, entry, ME, _at(1), {"text": "Ищет пальто кэмел, 44"})
    hist = a.cache.read_sync(diary_records.history, entry)
    assert [(r.kind, r.text, r.pending) for r in hist] == [
        ("revise", "Ищет пальто кэмел, 44", True),
        ("add", "Ищет пальто кэмел", False),
    ]
    await a.settle()
    await b.settle()
    seen = b.entity("diary", entry)
    assert seen["text"] == "Ищет пальто кэмел, 44" and len(seen["revisions"]) == 2
    assert seen["follow_up"] == _day(10)  # a revision keeps what it did not send

    assert await b.cache.write(diary_records.delete_entry, entry, ME, _at(2))
    assert all(e.id != entry for e in b.cache.read_sync(diary.diary_page, cid, 500).entries)  # gone at once
    await b.settle()
    await a.settle()
    gone = a.entity("diary", entry)
    assert gone["deleted"] is True and [r["kind"] for r in gone["revisions"]] == ["add", "revise", "delete"]
    assert all(e.id != entry for e in a.cache.read_sync(diary.diary_page, cid, 500).entries)
    assert not any(h.entry_id == entry for h in a.cache.read_sync(diary.search_diary, "кэмел", 50))
    assert a.cache.read_sync(diary_records.follow_ups, ME.id, None, 100, cid) == []
    # the history is still there to open
    assert a.cache.read_sync(diary_records.history, entry)[0].kind == "delete"


async def test_two_devices_editing_one_entry_offline_both_keep_their_text(hub, devices):
    """The author on her tablet and a manager on another, both offline: after sync the later
    written is on top on both devices, whichever synced first; the other is a visible revision."""
    a, m = devices(hub, "demo"), devices(hub, "manager1")
    await a.settle()
    await m.settle()
    cid = _client(a, "concurrent")
    entry = await _add(a, cid, "Свадьба дочери в июне")
    await a.settle()
    await m.settle()
    manager = Author(None, "Управляющая")
    # both offline: the author writes first, the manager a minute later
    await a.cache.write(diary_records.revise_entry, entry, ME, _at(1), {"text": "A: свадьба 14 июня"})
    await m.cache.write(diary_records.revise_entry, entry, manager, _at(2), {"text": "M: подарок — запонки"})
    # the later edit reaches the hub first, the earlier one after it
    await m.settle()
    await a.settle()
    await m.settle()
    for d in (a, m):
        seen = d.entity("diary", entry)
        assert seen["text"] == "M: подарок — запонки", d.login  # the later written is on top
        texts = [r["text"] for r in seen["revisions"]]
        assert "A: свадьба 14 июня" in texts and "M: подарок — запонки" in texts and "pending" not in seen
        hist = d.cache.read_sync(diary_records.history, entry)
        assert [r.text for r in hist][:2] == ["M: подарок — запонки", "A: свадьба 14 июня"]
    assert [r["text"] for r in hub.view.diary_revisions(entry)][1:] == ["M: подарок — запонки", "A: свадьба 14 июня"]


async def test_only_the_author_or_a_manager_changes_an_entry(hub, devices):
    a, other = devices(hub, "demo"), devices(hub, "consultant02")
    await a.settle()
    cid = _client(a, "author")
    entry = await _add(a, cid, "Не звонить до обеда")
    await a.settle()
    await other.settle()
    someone = Author(CONSULTANTS["consultant02"]["id"], CONSULTANTS["consultant02"]["name"])
    await other.cache.write(diary_records.revise_entry, entry, someone, _at(1), {"text": "чужая правка"})
    await other.cache.write(diary_records.delete_entry, entry, someone, _at(2))
    await other.engine.sync_once()
    assert _outcome(other) == {"diary.revise": ("rejected", "not_author"), "diary.delete": ("rejected", "not_author")}
    assert [r["kind"] for r in hub.view.diary_revisions(entry)] == ["add"]


async def test_follow_ups_done_and_moved_sync_and_bad_days_are_refused(hub, devices):
    a, b = devices(hub, "demo"), devices(hub, "demo")
    await a.settle()
    cid = _client(a, "follow")
    soon = await _add(a, cid, "Позвонить, когда придёт Brioni", follow_up=_day(3))
    later = await _add(a, cid, "Примерка брюк", follow_up=_day(30))
    await a.settle()
    await b.settle()
    mine = b.cache.read_sync(diary_records.follow_ups, ME.id, dt.date.today().isoformat(), 100)
    assert [f.entry_id for f in mine if f.client_id == cid] == [soon, later]  # by day
    await b.cache.write(diary_records.revise_entry, soon, ME, _at(1), {"follow_up_done": True})
    await b.cache.write(diary_records.revise_entry, later, ME, _at(1), {"follow_up": _day(5)})
    await b.settle()
    await a.settle()
    left = [f for f in a.cache.read_sync(diary_records.follow_ups, ME.id, None, 100) if f.client_id == cid]
    assert [(f.entry_id, f.due) for f in left] == [(later, _day(5))]
    assert a.entity("diary", soon)["follow_up_done"] is True

    # a day in the past, sent by a device that did not check: refused by the hub's rule
    entry = new_id()
    payload = {"client_id": cid, "text": "Прошлое", "follow_up": _day(-3)}
    await a.raw("diary.add", entry, payload)
    await a.engine.sync_once()
    assert ("diary.add", "rejected", "follow_up_past") in _codes(a)


def _camera_jpeg() -> bytes:
    img = Image.new("RGB", (3000, 2000), (180, 140, 100))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90
    exif[0x8825] = {1: "N", 2: (55.0, 45.0, 0.0), 3: "E", 4: (37.0, 37.0, 0.0)}  # GPS
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


async def test_a_photo_entry_uploads_its_blob_and_another_device_reads_it(hub, devices):
    a, b = devices(hub, "demo"), devices(hub, "consultant01")
    await a.settle()
    photo = photos.prepare(_camera_jpeg())
    sha = hashlib.sha256(photo.jpeg).hexdigest()
    a.blobs[sha] = photo.jpeg  # what the blob loader reads (the app's reads app.cache.blobs)
    cid = _client(a, "photo")
    entry = await _add(a, cid, "Подгонка рукава, фото до", photos=[sha])
    await a.settle()
    await b.settle()
    assert b.entity("diary", entry)["photos"] == [sha]
    got = await b.client.get_blob(sha)
    assert got == photo.jpeg
    with Image.open(io.BytesIO(got)) as img:
        assert (img.width, img.height) == (1067, 1600)  # upright (rotated by its orientation) and shrunk
        assert not img.getexif()
    # her erasure (152-FZ) takes her diary's photos off the hub too
    m = devices(hub, "manager1")
    await m.settle()
    await m.raw("client.erase", cid, {"request_ref": "DSR-diary"})
    await m.settle()
    assert hub.view.q("SELECT count(*) FROM blobs WHERE sha256 = ?", sha) == [(0,)]


async def test_a_photo_not_uploaded_keeps_the_entry_waiting(hub, devices):
    a = devices(hub, "demo")
    await a.settle()
    cid = _client(a, "photo-wait")
    missing = hashlib.sha256(b"not uploaded").hexdigest()
    entry = await _add(a, cid, "Фото потом", photos=[missing])
    await a.engine.sync_once()
    assert _outcome(a)["diary.add"][0] == "waiting"  # sent again at the next sync, never lost
    assert hub.view.diary_revisions(entry) == []


async def test_a_logged_contact_shows_with_the_diary_in_time_order(hub, devices):
    a, b = devices(hub, "demo"), devices(hub, "consultant01")
    await a.settle()
    cid = _client(a, "contact")
    entry = await _add(a, cid, "Хочет шарф к пальто")
    contact = await a.cache.write(
        diary_records.log_contact, cid, ME, _at(1), "calls", "Предложила шарф, придёт в субботу"
    )
    await a.settle()
    await b.settle()
    assert b.entity("contact", contact)["channel"] == "calls"
    lines = b.cache.read_sync(diary_records.communications, cid)
    assert [(x.kind, x.text, x.author_name) for x in lines[:2]] == [
        ("contact", "Предложила шарф, придёт в субботу", DEMO["name"]),
        ("diary", "Хочет шарф к пальто", DEMO["name"]),
    ]
    assert b.entity("diary", entry) is not None
