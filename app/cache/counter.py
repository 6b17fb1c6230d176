"""What the counter panel needs from the cache: her account as the hub last published it."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database


def cached_account(db: Database, client_id: str) -> dict[str, Any] | None:
    """The account entity (balance, pending and expiring points, the counter rules) or None."""
    row = db.execute("SELECT data FROM entities WHERE entity = 'account' AND id = ?", [client_id]).fetchone()
    return None if row is None else json.loads(row[0])
