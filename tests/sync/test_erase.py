"""client.erase reaches every device: two consultants' tablets and a manager's, each with
its own cache, syncing with the real hub subprocess on loopback.

The first tablet gives her a history (a changed phone and e-mail), a revised diary entry,
a contact, a signed form with its signature blob and consents; the second pulls all of it
and also has a queued edit of hers and a draft of her profile. The manager erases her; at
their next sync neither tablet holds anything of hers: no client row, no search hit by name
or phone, no entity, no revision text, no field history, no draft, no queued operation,
no row anywhere in the cache file that holds her phone, e-mail or diary text.
"""

from __future__ import annotations

import json

from app.cache import drafts, search
from sync.models import new_id, utcnow

PHONE, NEW_PHONE = "+79035550101", "+79035550202"
EMAIL, NEW_EMAIL = "vera.orlova@example.ru", "vera.o@example.ru"
SURNAME = "Ольденбургская"
DIARY = "Просила не говорить мужу о покупке"
REVISED = "Подарок к годовщине, сюрприз"


def _everything(device) -> str:
    """Every text value of every table of the device's cache, as one string."""

    def dump(db) -> str:
        out: list[str] = []
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for t in tables:
            if t.startswith("search_names_"):  # FTS5 shadow tables: binary segments, read via search
                continue
            for row in db.execute(f'SELECT * FROM "{t}"'):
                out.extend(str(v) for v in row if v is not None)
        return "\n".join(out)

    return device.cache.read_sync(dump)


def _of_her(device, client_id: str, entry_id: str, form_id: str) -> dict:
    def read(db) -> dict:
        def n(q: str, *args) -> int:
            return db.execute(q, args).fetchone()[0]

        return {
            "client": n("SELECT count(*) FROM clients WHERE id = ?", client_id),
            "entities": n("SELECT count(*) FROM entities WHERE client_id = ?", client_id),
            "entry": n("SELECT count(*) FROM entities WHERE id IN (?, ?)", entry_id, form_id),
            "history": n("SELECT count(*) FROM field_history WHERE client_id = ?", client_id),
            "outbox": n(
                "SELECT count(*) FROM outbox WHERE entity_id IN (?, ?) OR json_extract(payload, '$.client_id') = ?",
                client_id,
                entry_id,
                client_id,
            ),
            "drafts": n("SELECT count(*) FROM drafts WHERE form = 'profile:' || ?", client_id),
            "search_doc": n("SELECT count(*) FROM search_doc WHERE client_id = ?", client_id),
            "consents": n("SELECT count(*) FROM consent_state WHERE client_id = ?", client_id),
        }

    return device.cache.read_sync(read)


def _found(device, query: str, client_id: str) -> bool:
    return any(h.id == client_id for h in device.cache.read_sync(search.search, query, 20))


async def test_an_erase_reaches_a_second_device_and_leaves_nothing_of_her(hub, devices):
    a, b = devices(hub, "demo"), devices(hub, "demo")
    manager = devices(hub, "manager1")
    assert a.store_id == manager.store_id
    await a.settle()
    await b.settle()
    cid = await a.register(SURNAME, "Вера", phone=PHONE, email=EMAIL, notes="Не переносит запах лаванды")
    await a.settle()
    await a.update(cid, phone=NEW_PHONE, email=NEW_EMAIL)
    entry, _ = await a.diary_add(cid, DIARY)
    await a.settle()
    await a.diary_revise(entry, cid, REVISED)
    form_id, _ = await a.sign_form(cid, b"\x89PNG signature of Vera")
    await a.raw(
        "consent.record",
        new_id(),
        {"client_id": cid, "consents": {"processing": {"granted": True, "text_version": "pd-2026.1"}}},
    )
    await a.settle()

    await b.settle()
    before = _of_her(b, cid, entry, form_id)
    assert before["client"] == 1 and before["entities"] >= 5 and before["history"] == 0
    assert before["consents"] == 2  # processing (consent.record) and sms (the form)
    assert _found(b, SURNAME, cid) and _found(b, NEW_PHONE, cid)
    revisions = b.entity("diary", entry)["revisions"]
    assert [r["text"] for r in revisions] == [DIARY, REVISED]
    # b has its own traces of her: a queued edit (not sent yet) and a half-typed profile
    await b.update(cid, notes="Позвонить " + NEW_PHONE)
    await b.cache.write(drafts.save_draft, f"profile:{cid}", "demo", {"email": "typed." + NEW_EMAIL})
    assert _of_her(b, cid, entry, form_id)["outbox"] == 1

    await manager.settle()
    erase_id = await manager.raw("client.erase", cid, {"request_ref": "DSR-77"})
    await manager.settle()
    assert [r for r in manager.outbox() if r["id"] == erase_id] == []  # applied, left the outbox

    await b.engine.sync_once()  # pushes the stale edit (refused: she is unknown now), then pulls
    await a.settle()
    for device in (a, b, manager):
        left = _of_her(device, cid, entry, form_id)
        assert left == dict.fromkeys(left, 0), (device.device_id, left)
        assert not _found(device, SURNAME, cid) and not _found(device, NEW_PHONE, cid)
        text = _everything(device).lower()  # the search vocabulary keeps words in lower case
        secrets = (PHONE, NEW_PHONE, PHONE[2:], NEW_PHONE[2:], EMAIL, NEW_EMAIL, SURNAME, DIARY, REVISED, "лаванды")
        for secret in secrets:
            assert secret.lower() not in text, (device.device_id, secret)
    # the hub kept her consent proof and the form's hashes, not the signature image
    view = hub.view
    sha = json.loads(_form_data(view, form_id))["signature_sha256"]
    assert view.q("SELECT count(*) FROM blobs WHERE sha256 = ?", sha)[0][0] == 0
    assert view.q("SELECT count(*) FROM consents WHERE client_id = ? AND source = 'erase'", cid)[0][0] == 5
    assert json.loads(view.q("SELECT data FROM clients WHERE id = ?", cid)[0][0])["erased_at"] <= utcnow().isoformat()


def _form_data(view, form_id: str) -> str:
    return view.q("SELECT data FROM records WHERE entity = 'form' AND id = ?", form_id)[0][0]
