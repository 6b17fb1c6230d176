"""What the sync engine needs of the device's replica of the hub: the `Replica` protocol.

The engine talks to the cache only through this (app.cache.replica.CacheReplica
implements it), so app.sync_engine does not import app.cache. Every method that writes
is one transaction: a page (or a batch of JSON pages) commits with the cursor after it,
and a mutation leaves the outbox with the hub's answer to it (docs/sync-protocol.md).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Protocol

from sync.models import Mutation, MutationResult
from sync.page import BadPage, FilePage, RawPage


class Replica(Protocol):
    # --- push ---------------------------------------------------------------------------

    async def pending_after(
        self, limit: int, position: int, max_bytes: int | None = None
    ) -> tuple[list[Mutation], int]:
        """Up to `limit` mutations to send, queued after `position`, as many as fit in
        `max_bytes` of JSON (at least one); and the position after them."""

    async def record_results(self, results: list[MutationResult]) -> None:
        """The hub's answers: each answered mutation leaves the outbox (or stays, `waiting`)."""

    async def counts(self) -> dict[str, int]:
        """The outbox by status: at least `pending`, `waiting`, `rejected`."""

    # --- bookkeeping ----------------------------------------------------------------------

    async def last_sync(self) -> datetime | None:
        """When a sync round last ended well."""

    async def set_last_sync(self, at: datetime) -> None: ...

    # --- pull -----------------------------------------------------------------------------

    async def cursor(self) -> int:
        """The last seq of the feed applied (0: a fresh replica)."""

    async def file_pull(self) -> bool:
        """A pull in SQLite pages was under way and did not end (it resumes in them)."""

    async def end_file_pull(self) -> None: ...

    async def bulk_loading(self) -> bool:
        """A bulk load began and was not finished."""

    async def begin_bulk(self) -> None:
        """Set indexes aside for a big pull (`apply_json_pages(..., bulk=True)` does it too)."""

    async def finish_bulk(self) -> None:
        """Put back what a bulk load set aside (nothing if none)."""

    async def apply_json_pages(self, pages: list[RawPage], bulk: bool) -> tuple[int, BadPage | None]:
        """Apply the pages in order, the cursor after the last, in one transaction: (changes
        applied, the error of a page that could not be read: the pages before it are applied)."""

    async def apply_page_file(self, page: FilePage) -> int:
        """Apply a downloaded SQLite page with its cursor, in one transaction: the changes
        applied. `BadPage` if it cannot be read (nothing applied)."""

    def page_path(self, n: int) -> Path:
        """Where the n-th SQLite page of a pull is downloaded (the engine deletes it once applied)."""

    async def remove_page_files(self) -> None:
        """Delete page files left behind (a pull broken off, a process killed)."""
