"""A till's sale written straight into a hub's storage and tied to a client, at a given time
(the tests that drive the hub's clock: the loyalty job, the imported tier floor)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import insert

from sync.hub import handlers, members
from sync.hub.storage import HubDB, schema
from sync.models import new_id


def sell(db: HubDB, store_id: str, cid: str, at: dt.datetime, total: int, item: str) -> tuple[dict[str, Any], dict]:
    """(the receipt, the hub's answer to tying it to her) for a one-line sale at `at`."""
    rid = new_id()
    receipt: dict[str, Any] = {
        "id": rid,
        "store_id": store_id,
        "fn": "9281000100200399",
        "i": rid[-12:],
        "fp": "1",
        "type": 1,
        "at": at.isoformat(),
        "total": total,
        "lines": [{"sku": "A", "name": item, "price": total}],
    }
    with db.write() as conn:
        client = members.load(conn, cid)
        assert client is not None
        conn.execute(
            insert(schema.receipts),
            [
                {
                    "id": rid,
                    "store_id": store_id,
                    "fn": receipt["fn"],
                    "i": receipt["i"],
                    "fp": "1",
                    "data": json.dumps(receipt),
                }
            ],
        )
        attached = handlers._attach(conn, receipt, client, "till", now=at)  # as a till's receipt is
    return receipt, attached
