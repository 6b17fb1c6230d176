"""Hardening of the hub (issue 13): one bad mutation cannot fail its batch, login throttling,
a request-size limit answered before the body is read, security headers, /docs switchable."""

from __future__ import annotations

import logging

from sync.models import new_id, utcnow
from tests.hub.conftest import headers

PROBLEM = "application/problem+json"


def _mutation(kind: str, entity_id: str, payload: dict, client_time: str | None = None) -> dict:
    return {"id": new_id(), "kind": kind, "entity_id": entity_id, "payload": payload,
            "client_time": client_time or utcnow().isoformat()}


def _register(store: str, last_name: str, client_time: str | None = None) -> dict:
    return _mutation("client.register", new_id(), {"last_name": last_name, "first_name": "Вера", "store_id": store,
                                                   "phone": "+79991234567"}, client_time)


def test_an_unexpected_error_rejects_that_mutation_alone_and_replays_the_same(api, demo, caplog):
    h = headers(demo)
    store = demo["_me"]["store_id"]
    # A client_time far in the future: the welcome bonus's expiry date overflows (OverflowError).
    good1, bad, good2 = _register(store, "Первая"), _register(store, "Далёкая", "9999-12-31T23:59:00Z"), \
        _register(store, "Третья")
    batch = {"device_id": "hardening-d1", "mutations": [good1, bad, good2]}
    with caplog.at_level(logging.ERROR, logger="vitrine.hub"):
        r = api.post("/v1/mutations", json=batch, headers=h)
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    assert [x["status"] for x in res] == ["applied", "rejected", "applied"]
    assert res[1]["code"] == "internal_error"
    reason = res[1]["reason"]
    assert "internal error" in reason and "Traceback" not in reason and "Далёкая" not in reason
    assert "OverflowError" not in reason and "+7999" not in reason
    # logged by type and stack, without the mutation's data
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert "OverflowError" in logged and bad["id"] in logged
    assert "Далёкая" not in logged and "79991234567" not in logged

    # its transaction was rolled back: no client, no ledger entry in the feed
    feed = api.get("/v1/changes?cursor=0&limit=5000", headers=h).json()["changes"]
    ids = {c["entity_id"] for c in feed if c["entity"] == "client"}
    assert good1["entity_id"] in ids and good2["entity_id"] in ids and bad["entity_id"] not in ids
    assert not [c for c in feed if c["client_id"] == bad["entity_id"]]

    # a replay answers the same: the first answer, as duplicates
    again = api.post("/v1/mutations", json=batch, headers=h).json()["results"]
    assert [x["status"] for x in again] == ["duplicate"] * 3
    assert again[1]["code"] == "internal_error" and again[1]["reason"] == reason
    assert again[1]["result"]["first"]["status"] == "rejected"
