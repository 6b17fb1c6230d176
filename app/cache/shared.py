"""A client of another store, shared into this one (POST /v1/clients/{id}/share): into the
cache at once, before the feed brings her.

The hub's answer holds her snapshot and her entities as the feed carries them; they are
applied as a page of the feed would be, at the cursor the device already has (the feed
brings the same rows again later, which changes nothing).
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from app.cache import pages, sync_state


def put_shared(db: Database, client: dict[str, Any], entities: list[dict[str, Any]]) -> None:
    """Her snapshot and entities (dicts with entity, entity_id, client_id, data), in this transaction."""
    changes = [
        {"entity": "client", "entity_id": client["id"], "client_id": client["id"], "data": client},
        *({**e, "deleted": False} for e in entities),
    ]
    pages.apply_page(db, changes, sync_state.cursor(db))
