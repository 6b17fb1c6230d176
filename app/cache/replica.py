"""The cache's side of sync, as the sync engine sees it: `CacheReplica` implements
app.sync_engine.replica_port.Replica over a `Cache`.

Each write runs in one transaction through `Cache.write`/`Cache.write_attached`, so an
applied page and its cursor commit together, and a mutation leaves the outbox in the
same transaction that records the hub's answer. Reads go through `Cache.read`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import msgspec
from sqlite_utils import Database

from app.cache import bulk_load, cipher, clients, outbox, pages, sync_state
from app.cache.store import Cache
from sync.models import Mutation, MutationResult
from sync.page import BadPage, FilePage, RawPage


def record_results(db: Database, results: list[MutationResult]) -> list[str]:
    """Apply the hub's answers; a client whose change was refused shows the hub's view again."""
    touched = outbox.record_results(db, results)
    for entity_id in touched:
        clients.rebase_client(db, entity_id)
    return touched


LAST_SYNC = "last_sync_at"
_UNREADABLE_PAGE: tuple[type[Exception], ...] = (ValueError, KeyError, msgspec.MsgspecError, *cipher.DatabaseError)


class CacheReplica:
    """The engine's view of a `Cache` (see app.sync_engine.replica_port.Replica).

    The cache's functions are looked up when called (`pages.apply_page`, ...), so a test
    can wrap them.
    """

    def __init__(self, cache: Cache):
        self.cache = cache
        self._page_stem = cache.path.name + ".page"

    async def pending_after(
        self, limit: int, position: int, max_bytes: int | None = None
    ) -> tuple[list[Mutation], int]:
        return await self.cache.read(outbox.pending_after, limit, position, max_bytes)

    async def record_results(self, results: list[MutationResult]) -> None:
        await self.cache.write(record_results, results)

    async def counts(self) -> dict[str, int]:
        return await self.cache.read(outbox.counts)

    async def last_sync(self) -> datetime | None:
        found = await self.cache.read(sync_state.get_state, LAST_SYNC)
        return datetime.fromisoformat(found) if found else None

    async def set_last_sync(self, at: datetime) -> None:
        await self.cache.write(sync_state.set_state, LAST_SYNC, at.isoformat())

    async def cursor(self) -> int:
        return await self.cache.read(sync_state.cursor)

    async def file_pull(self) -> bool:
        return await self.cache.read(sync_state.file_pull)

    async def end_file_pull(self) -> None:
        await self.cache.write(sync_state.end_file_pull)

    async def bulk_loading(self) -> bool:
        return await self.cache.read(bulk_load.bulk_loading)

    async def begin_bulk(self) -> None:
        await self.cache.write(bulk_load.begin_bulk)

    async def finish_bulk(self) -> None:
        await self.cache.write(bulk_load.finish_bulk)

    async def apply_json_pages(self, raw_pages: list[RawPage], bulk: bool) -> tuple[int, BadPage | None]:
        return await self.cache.write(pages.apply_pages, raw_pages, bulk)

    async def apply_page_file(self, page: FilePage) -> int:
        try:
            return await self.cache.write_attached("page", page.path, pages.apply_page_file, page.next_cursor)
        except _UNREADABLE_PAGE as e:
            raise BadPage(f"The hub sent a page that cannot be read: {e}") from e

    def page_path(self, n: int) -> Path:
        return self.cache.path.with_name(f"{self._page_stem}{n}")

    async def remove_page_files(self) -> None:
        await asyncio.to_thread(_remove_files, self.cache.path.parent, self._page_stem)


def _remove_files(folder: Path, stem: str) -> None:
    for left in folder.glob(stem + "*"):
        left.unlink(missing_ok=True)
