"""The cache's side of sync, as the sync engine sees it.

Each function runs in one transaction through `Cache.write`/`Cache.read`, so an applied
page and its cursor commit together, and a mutation leaves the outbox in the same
transaction that records the hub's answer.
"""

from __future__ import annotations

from sqlite_utils import Database

from app.cache import clients, outbox
from sync.models import MutationResult


def record_results(db: Database, results: list[MutationResult]) -> list[str]:
    """Apply the hub's answers; a client whose change was refused shows the hub's view again."""
    touched = outbox.record_results(db, results)
    for entity_id in touched:
        clients.rebase_client(db, entity_id)
    return touched
