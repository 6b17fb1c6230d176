"""Search structures over the clients table (owned by the lookup work)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlite_utils import Database


def create_schema(db: Database) -> None:
    """Create the search tables and indexes (called once by migration m002_search)."""


def index_clients(db: Database, clients: Iterable[dict]) -> None:
    """Upsert search rows for these clients, inside the caller's transaction."""


def unindex_clients(db: Database, ids: Iterable[str]) -> None:
    """Drop search rows of these clients."""
