"""The profile's read model: which bucket a ledger line moved, and edits not sent yet."""

from __future__ import annotations

import json

import pytest

from app.cache import clients, queries
from app.cache.store import Cache
from sync.models import ClientProfile
from tests.sync.helpers import TEST_KEY as KEY  # encrypted, as the app's cache

CID = "0190a000-0000-7000-8000-000000000001"


@pytest.fixture
def cache(tmp_path):
    c = Cache(tmp_path / "cache.sqlite", KEY)
    yield c
    c.close()


def hub_client(**extra) -> dict:
    return {
        "id": CID,
        "store_id": "s1",
        "created_at": "2026-01-01T00:00:00+00:00",
        "last_name": "Иванова",
        "first_name": "Анна",
        "sizes": {"clothing": "42", "shoe": "40"},
        "preferred_brands": ["Max Mara"],
        **extra,
    }


def put(db, entity: str, data: dict) -> None:
    db.execute(
        "INSERT INTO entities (entity, id, client_id, data) VALUES (?, ?, ?, ?)",
        [entity, data["id"], CID, json.dumps(data)],
    )


def entry(id: str, kind: str, points: int, bucket: str | None = None, ref: str | None = None) -> dict:
    return {
        "id": id,
        "kind": kind,
        "points": points,
        "at": "2026-03-01T10:00:00+00:00",
        "bucket_id": bucket or id,
        "ref_id": ref,
        "receipt_id": "r1",
        "reason": "x",
    }


def test_ledger_lines_name_the_bucket_an_expiry_or_reversal_moved(cache):
    def fill(db):
        data = hub_client()
        clients.save_client(db, data, data)
        for e in (
            entry("acc", "accrual", 500),
            entry("camp", "campaign", 300),
            entry("x-acc", "expiry", -500, "acc"),
            entry("x-camp", "expiry", -300, "camp"),
            entry("red", "redemption", -100, "acc"),
            entry("rest", "reversal", 100, ref="red"),
            entry("rev", "reversal", -50, "acc", ref="camp"),
        ):
            put(db, "ledger", e)

    cache.write_sync(fill)
    p = cache.read_sync(queries.profile, CID)
    source = {x.id: x.source for x in p.ledger}
    assert source == {
        "acc": None,
        "camp": None,
        "x-acc": "accrual",
        "x-camp": "campaign",
        "red": "accrual",
        "rest": "redemption",
        "rev": "campaign",
    }


def test_an_unsent_edit_is_history_at_once_field_by_field_against_the_hub(cache):
    def fill(db):
        data = hub_client()
        clients.save_client(db, data, data)
        put(
            db,
            "history",
            {
                "id": "h1",
                "field": "notes",
                "old_value": None,
                "new_value": "VIP",
                "mutation_id": "m1",
                "at": "2026-02-01T10:00:00+00:00",
                "consultant_name": "Анна Петрова",
            },
        )

    cache.write_sync(fill)
    assert [(h.field, h.pending, h.author) for h in cache.read_sync(queries.profile, CID).history] == [
        ("notes", False, "Анна Петрова")
    ]
    cache.write_sync(clients.update_client, CID, {"sizes": {"clothing": "42", "shoe": "38.5"}})
    history = cache.read_sync(queries.profile, CID).history
    assert [(h.field, h.old_value, h.new_value, h.pending) for h in history] == [
        ("sizes", {"clothing": "42", "shoe": "40"}, {"clothing": "42", "shoe": "38.5"}, True),
        ("notes", None, "VIP", False),
    ]
    assert history[0].at is not None


def test_a_client_registered_here_has_no_unsent_change_to_show(cache):
    cid = cache.write_sync(clients.register_client, ClientProfile(last_name="Петрова", first_name="Ольга"), "s1")
    assert cache.read_sync(queries.profile, cid).history == ()
