"""The cache's side of 152-FZ: consent records read per purpose, and a client tombstone that
forgets everything of hers (pages.apply_page -> erasure.forget_clients)."""

from __future__ import annotations

import json

from app.cache import clients, drafts, pages, queries, records
from app.cache.search import search
from app.cache.store import Cache
from sync.models import ClientProfile


def _client(cid: str, **kw) -> dict:
    return {
        "id": cid,
        "last_name": "Ольденбургская",
        "first_name": "Вера",
        "phone": "+79035550101",
        "store_id": "s1",
        "created_at": "2026-01-01T00:00:00+00:00",
        **kw,
    }


def _consent(n: int, cid: str, purpose: str, granted: bool, at: str, version: str | None = "v1") -> dict:
    return {
        "seq": n,
        "entity": "consent",
        "entity_id": f"k{n}",
        "client_id": cid,
        "data": {
            "id": f"k{n}",
            "client_id": cid,
            "purpose": purpose,
            "granted": granted,
            "text_version": version,
            "source": "form",
            "form_id": "f1",
            "received_at": at,
        },
    }


def test_the_profile_shows_the_latest_record_per_purpose_by_the_hubs_time(tmp_path):
    cache = Cache(tmp_path / "c.sqlite")
    snapshot = _client("c1", consents={"sms": {"granted": True, "date": "2020-01-01"}})
    changes = [
        {"seq": 1, "entity": "client", "entity_id": "c1", "data": snapshot},
        _consent(2, "c1", "processing", True, "2026-03-01T10:00:00+00:00", "pd-1"),
        _consent(3, "c1", "sms", False, "2026-03-02T10:00:00+00:00"),
        _consent(4, "c1", "sms", True, "2026-02-01T10:00:00+00:00"),  # arrived later in the feed, older on the hub
    ]
    cache.write_sync(pages.apply_page, changes, 4)
    got = cache.read_sync(queries.consents, "c1")
    assert {p: (c.granted, c.date, c.text_version) for p, c in got.items()} == {
        "processing": (True, "2026-03-01", "pd-1"),
        "sms": (False, "2026-03-02", "v1"),
    }
    shown = cache.read_sync(queries.client, "c1")
    assert shown is not None and shown.consents["sms"].granted is False  # the record, not the old snapshot
    # a toggle made here and not synced yet stays on top until the hub answers
    cache.write_sync(clients.update_client, "c1", {"consents": {"sms": {"granted": True, "date": "2026-04-01"}}})
    shown = cache.read_sync(queries.client, "c1")
    assert shown is not None and (shown.consents["sms"].granted, shown.consents["sms"].date) == (True, "2026-04-01")
    cache.close()


def test_a_client_tombstone_forgets_every_trace_of_her(tmp_path):
    cache = Cache(tmp_path / "c.sqlite")
    keep = _client("c2", last_name="Иванова", phone="+79035550999")
    changes = [
        {"seq": 1, "entity": "client", "entity_id": "c1", "data": _client("c1")},
        {"seq": 2, "entity": "client", "entity_id": "c2", "data": keep},
        {"seq": 3, "entity": "diary", "entity_id": "d1", "data": {"id": "d1", "client_id": "c1", "text": "Секрет"}},
        _consent(4, "c1", "processing", True, "2026-03-01T10:00:00+00:00"),
    ]
    cache.write_sync(pages.apply_page, changes, 4)
    cache.write_sync(clients.update_client, "c1", {"notes": "Позвонить"})
    cache.write_sync(
        records.add_record, "diary", "diary.revise", "d1", "c1", {"id": "d1", "text": "Ещё"}, {"text": "x"}
    )
    cache.write_sync(records.log_view, "c1")
    cache.write_sync(drafts.save_draft, drafts.profile_key("c1"), "demo", {"email": "vera@example.ru"})
    cache.write_sync(
        lambda db: db.execute(
            "INSERT INTO field_history (client_id, field, old_value, new_value, at, source) VALUES (?, ?, ?, ?, ?, ?)",
            ["c1", "phone", '"+79035550000"', '"+79035550101"', "2026-01-01", "hub"],
        )
    )
    cache.write_sync(clients.register_client, ClientProfile(last_name="Новая", first_name="Ольга"), "s1")
    gone = [
        {"seq": 5, "entity": "client", "entity_id": "c1", "deleted": True, "data": None},
        {"seq": 6, "entity": "diary", "entity_id": "d1", "deleted": True, "data": None},
    ]
    cache.write_sync(pages.apply_page, gone, 6)

    def left(db) -> dict:
        return {
            t: db.execute(f"SELECT count(*) FROM {t} WHERE {w}", a).fetchone()[0]
            for t, w, a in (
                ("clients", "id = ?", ["c1"]),
                ("entities", "client_id = ? OR id = ?", ["c1", "d1"]),
                ("field_history", "client_id = ?", ["c1"]),
                ("drafts", "form = ?", [drafts.profile_key("c1")]),
                ("outbox", "entity_id IN (?, ?) OR json_extract(payload, '$.client_id') = ?", ["c1", "d1", "c1"]),
                ("search_doc", "client_id = ?", ["c1"]),
                ("search_vocab", "term = ?", ["ольденбургская"]),
                ("consent_state", "client_id = ?", ["c1"]),
            )
        }

    assert cache.read_sync(left) == dict.fromkeys(left_keys(), 0)
    assert [h.id for h in cache.read_sync(search, "Ольденбургская", 5)] == []
    # the others are untouched: another client, another's queued registration
    assert [h.id for h in cache.read_sync(search, "Иванова", 5)] == ["c2"]
    kinds = [
        json.loads(p)["last_name"] for (p,) in cache.read_sync(lambda db: db.execute("SELECT payload FROM outbox"))
    ]
    assert kinds == ["Новая"]
    cache.close()


def left_keys() -> list[str]:
    return ["clients", "entities", "field_history", "drafts", "outbox", "search_doc", "search_vocab", "consent_state"]


def test_a_merge_tombstone_keeps_unsent_work_and_files_it_under_the_survivor(tmp_path):
    """A merged client leaves as an erased one does, but this device's unsent work about her
    stays: her outbox rows unchanged (the hub redirects them), her pending records and her
    profile draft under the survivor; what the hub holds of hers goes (it comes back under
    the survivor)."""
    cache = Cache(tmp_path / "c.sqlite")
    changes = [
        {"seq": 1, "entity": "client", "entity_id": "c1", "data": _client("c1")},
        {"seq": 2, "entity": "client", "entity_id": "c2", "data": _client("c2", last_name="Иванова")},
        {"seq": 3, "entity": "diary", "entity_id": "d1", "data": {"id": "d1", "client_id": "c1", "text": "Старое"}},
        _consent(4, "c1", "processing", True, "2026-03-01T10:00:00+00:00"),
    ]
    cache.write_sync(pages.apply_page, changes, 4)
    edit = cache.write_sync(clients.update_client, "c1", {"notes": "Позвонить"})
    note = {"id": "d2", "client_id": "c1", "text": "Отложить кашемировое пальто"}
    cache.write_sync(records.add_record, "diary", "diary.add", "d2", "c1", note, {"client_id": "c1", "text": "x"})
    cache.write_sync(drafts.save_draft, drafts.profile_key("c1"), "demo", {"styles": ["casual"]})
    before = cache.read_sync(lambda db: db.execute("SELECT id, kind, entity_id, payload FROM outbox").fetchall())
    tomb = {"seq": 5, "entity": "client", "entity_id": "c1", "deleted": True, "data": {"id": "c1", "merged_into": "c2"}}
    cache.write_sync(pages.apply_page, [tomb], 5)

    assert cache.read_sync(queries.client, "c1") is None
    assert (
        cache.read_sync(lambda db: db.execute("SELECT id, kind, entity_id, payload FROM outbox").fetchall()) == before
    )
    assert edit in [r[0] for r in before]
    filed = cache.read_sync(lambda db: db.execute("SELECT entity, id, client_id, data FROM entities").fetchall())
    assert {(e, i, c) for e, i, c, _ in filed} == {("diary", "d2", "c2")}  # the hub's d1 and consent: gone
    assert all(json.loads(d)["client_id"] == "c2" for *_, d in filed)
    indexed = cache.read_sync(lambda db: db.execute("SELECT entry_id, client_id FROM diary_doc").fetchall())
    assert indexed == [("d2", "c2")]
    assert cache.read_sync(drafts.load_draft, drafts.profile_key("c2"), "demo") is not None
    assert cache.read_sync(drafts.load_draft, drafts.profile_key("c1"), "demo") is None
    cache.close()
