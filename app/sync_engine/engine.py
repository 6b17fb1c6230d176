"""The device's sync engine: push the outbox, pull the change feed, retry, report status.

Like Home Assistant's coordinators: it wraps the protocol client, and turns transport
errors into states the UI can show (online/offline, pending, last sync, progress).
Runs beside the UI on the same event loop; it reaches the cache only through the
`Replica` port (app.sync_engine.replica_port), whose writes run in the cache's writer
thread, never blocking the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import logging
import random
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from app.sync_engine.pipeline import FetchAhead, Leads
from app.sync_engine.replica_port import Replica
from sync import page as page_format
from sync.client import AuthExpired, DeviceRevoked, HubClient, HubError, HubUnreachable, bad_page
from sync.models import MAX_REQUEST_BYTES, Mutation, MutationResult, utcnow
from sync.page import BadPage, FilePage, RawPage

log = logging.getLogger("vitrine.sync")

PUSH_BATCH = 200
# A push request carries at most this much JSON (and PUSH_BATCH mutations): a long diary
# text or two must not take a batch past the hub's body limit (MAX_REQUEST_BYTES, 8 MiB).
PUSH_BYTES = 1 << 20
# A mutation bigger than this alone could never be sent: the hub refuses its request from
# the headers, and a client still writing the body sees the connection reset, not the 413.
MAX_MUTATION_BYTES = MAX_REQUEST_BYTES - 4096  # room for the batch's envelope
TOO_LARGE = "too_large"
TOO_LARGE_REASON = "This change is too large to send to the hub."
PULL_LIMIT = page_format.JSON_MAX_ROWS  # rows per page (the hub's maximum)
PULL_AHEAD = 4  # pages fetched ahead of the writer
PULL_BATCH_BYTES = 8 << 20  # pages applied in one transaction, at most this much JSON
BULK_MIN_ROWS = 20_000  # a pull this big loads in bulk (bulk_load.begin_bulk)
BULK_BATCH_BYTES = 24 << 20  # ... and in bigger transactions: each commit writes every index page it dirtied
FILE_LIMIT = page_format.FILE_MAX_ROWS  # rows per page pulled as a SQLite file (the hub's maximum)
FILES_AHEAD = 2  # such pages fetched ahead of the writer


@dataclasses.dataclass(frozen=True)
class SyncStatus:
    online: bool | None = None  # None: not tried yet
    syncing: bool = False
    pending: int = 0
    rejected: int = 0
    last_sync: datetime | None = None
    error: str | None = None
    auth_expired: bool = False
    device_revoked: bool = False  # a manager revoked this device: the app wipes it (and syncs no more)
    pulled: int = 0  # changes applied in the current pull
    pull_total: int | None = None  # changes the hub had for us when it started
    bulk: bool = False  # the current pull loads in bulk (name search waits for its end)


def _too_large(m: Mutation) -> MutationResult:
    """A mutation the hub cannot take, answered on the device: shown as rejected, and the outbox goes on."""
    log.warning("mutation %s (%s) is too large for the hub; rejected on the device", m.id, m.kind)
    return MutationResult(id=m.id, status="rejected", code=TOO_LARGE, reason=TOO_LARGE_REASON)


def backoff_delay(attempt: int, base: float = 1.0, cap: float = 60.0, rnd: random.Random | None = None) -> float:
    """Exponential backoff with full jitter (AWS style): uniform in [0, min(cap, base*2^n)]."""
    r = rnd or random
    return r.uniform(0, min(cap, base * (2 ** min(attempt, 16))))


class SyncEngine:
    def __init__(
        self,
        replica: Replica,
        client: HubClient,
        device_id: str,
        *,
        on_status: Callable[[SyncStatus], None] | None = None,
        interval: float = 30.0,
        blob_loader: Callable[[str], tuple[bytes, str] | None] | None = None,
        page_files: bool = True,
    ):
        self.replica = replica
        self.client = client
        self.device_id = device_id
        self.interval = interval
        self.on_status = on_status
        self.blob_loader = blob_loader
        self.status = SyncStatus()
        self._kick = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None
        self.page_files = page_files  # a first sync pulls pages as SQLite files (see _pull_files)

    # --- status ---------------------------------------------------------------------

    def _set(self, **changes) -> None:
        self.status = dataclasses.replace(self.status, **changes)
        if self.on_status:
            try:
                self.on_status(self.status)
            except Exception:  # a UI callback must not stop sync
                log.exception("status callback failed")

    async def refresh_counts(self) -> None:
        counts = await self.replica.counts()
        last = await self.replica.last_sync()
        self._set(
            pending=counts["pending"] + counts["waiting"],
            rejected=counts["rejected"],
            last_sync=last or self.status.last_sync,
        )

    # --- one round ------------------------------------------------------------------

    async def sync_once(self) -> SyncStatus:
        """Push everything pending, then pull until the feed is drained."""
        async with self._lock:
            self._set(syncing=True, error=None)
            try:
                # A push the hub refuses does not keep the device from pulling: the
                # consultant still gets everyone else's changes, and the status shows
                # the push's error (raised after the pull). A lost session or network
                # stops both. (An expired access token never gets here: the client
                # renews it with the refresh token and sends the request again.)
                push_error: HubError | None = None
                try:
                    await self.push()
                except (AuthExpired, HubUnreachable):
                    raise
                except HubError as e:
                    push_error = e
                    log.info("push failed (%s); pulling all the same", e)
                await self.pull()
                if push_error is not None:
                    raise push_error
                now = utcnow()
                await self.replica.set_last_sync(now)
                self._set(online=True, last_sync=now, auth_expired=False)
            except AuthExpired as e:
                revoked = isinstance(e, DeviceRevoked)
                self._set(online=True, error=e.detail or e.title, auth_expired=True, device_revoked=revoked)
                raise
            except HubUnreachable as e:
                self._set(online=False, error=e.detail)
                raise
            except HubError as e:
                self._set(online=True, error=f"{e.title}: {e.detail}" if e.detail else e.title)
                raise
            finally:
                self._set(syncing=False)
                await self.refresh_counts()
        return self.status

    async def push(self) -> int:
        """Send the outbox in order, in batches; each mutation leaves it only once answered.

        One pass walks the outbox once: what the hub answers `waiting` (a blob not there
        yet) stays queued for the next pass and does not hold up what comes after it.
        """
        sent = 0
        position = 0
        while True:
            batch, position = await self.replica.pending_after(PUSH_BATCH, position, PUSH_BYTES)
            if not batch:
                return sent
            sendable = [m for m in batch if len(m.model_dump_json().encode()) <= MAX_MUTATION_BYTES]
            if len(sendable) < len(batch):
                await self.replica.record_results([_too_large(m) for m in batch if m not in sendable])
                sent += len(batch) - len(sendable)
                batch = sendable
                if not batch:
                    continue
            await self._upload_blobs(batch)
            try:
                results = (await self.client.push(self.device_id, batch)).results
            except HubError as e:
                if e.status != 413:
                    raise
                results = await self._push_one_by_one(batch)
            await self.replica.record_results(results)
            sent += len(batch)
            await self.refresh_counts()

    async def _push_one_by_one(self, batch) -> list[MutationResult]:
        """A batch the hub found too large (413), sent a mutation at a time; one too large
        even alone can never be sent, so it is refused here, shown as rejected, and the
        outbox goes on."""
        results: list[MutationResult] = []
        for m in batch:
            try:
                results += (await self.client.push(self.device_id, [m])).results
            except HubError as e:
                if e.status != 413:
                    await self.replica.record_results(results)  # what was answered stays answered
                    raise
                results.append(_too_large(m))
        return results

    async def _upload_blobs(self, batch) -> None:
        if self.blob_loader is None:
            return
        for m in batch:
            for key, value in m.payload.items():
                if not key.endswith("sha256"):
                    continue
                # one hash, or a list of them (a diary entry's photos)
                for sha in [value] if isinstance(value, str) else value if isinstance(value, list) else []:
                    found = await asyncio.to_thread(self.blob_loader, sha) if isinstance(sha, str) else None
                    if found is not None:
                        await self.client.put_blob(sha, found[0], found[1])

    async def pull(self) -> int:
        """Pull the feed from the cursor until drained.

        Pages are fetched ahead of the cache's writer (`FetchAhead`: each page's headers
        name the cursor of the next); the writer applies each page with its cursor in
        one transaction, so a crash keeps whole pages and a cursor that matches them.

        A pull of BULK_MIN_ROWS or more (a first sync, or a device long offline) loads
        in bulk: secondary indexes set aside and rebuilt once at the end, bigger
        transactions (see Replica.begin_bulk). A first sync takes its pages as SQLite
        files (`_pull_files`), the rest as JSON (`_pull_pages`).
        """
        cursor = await self.replica.cursor()
        if self.page_files and (cursor == 0 or await self.replica.file_pull()):
            try:
                return await self._pull_files(cursor)
            except HubError as e:
                if e.status not in (404, 405):
                    raise
                self.page_files = False  # a hub without them: JSON pages from here on
                await self.replica.end_file_pull()
        return await self._pull_pages(cursor)

    async def _is_bulk(self, total: int | None) -> bool:
        """Whether a pull of `total` changes loads in bulk; it starts the pull's progress."""
        bulk = (total or 0) >= BULK_MIN_ROWS or await self.replica.bulk_loading()
        self._set(pulled=0, pull_total=total, bulk=bulk)
        return bulk

    @contextlib.asynccontextmanager
    async def _bulk_load(self, bulk: bool) -> AsyncIterator[None]:
        """Around a pull's loop: a bulk load's indexes are rebuilt when it ends, done or
        failed (a failed one does not leave them away while offline; the next pull sets
        them aside again)."""
        try:
            yield
        except Exception:
            if bulk:
                await self.replica.finish_bulk()
            raise
        else:
            if bulk:
                await self.replica.finish_bulk()
        finally:
            if bulk:
                self._set(bulk=False)

    async def _pull_files(self, cursor: int) -> int:
        """Pull as `pull` does, each page a SQLite file (GET /v1/changes.sqlite).

        For a fresh cache (a first sync: up to hundreds of thousands of changes), and to
        resume such a pull broken off: the cache copies a file's rows with SQL, where a
        JSON page costs a parse and a bound insert per change in Python.
        The next request goes out as soon as a page's headers arrive, so the hub writes
        one page while the last one's body streams. Each file is applied with its cursor
        in one transaction, and deleted.
        """
        numbers = itertools.count()

        def fetch(at: int, first: bool, on_meta: Callable[[Leads], None]):
            return self.client.pull_file(
                at, FILE_LIMIT, self.replica.page_path(next(numbers)), with_total=first, on_headers=on_meta
            )

        applied = 0
        try:
            async with FetchAhead[FilePage](fetch, cursor, FILES_AHEAD, "vitrine-pull-files") as ahead:
                page = await ahead.next()
                bulk = await self._is_bulk(page.total_estimate)
                if bulk:
                    await self.replica.begin_bulk()
                async with self._bulk_load(bulk):
                    while True:
                        try:
                            applied += await self.replica.apply_page_file(page)
                        except BadPage as e:
                            raise bad_page(e) from e
                        finally:
                            await asyncio.to_thread(page.path.unlink, True)
                        self._set(pulled=applied)
                        if not page.has_more:
                            break
                        page = await ahead.next()
            await self.replica.end_file_pull()
            return applied
        finally:
            await self.replica.remove_page_files()

    async def _pull_pages(self, cursor: int) -> int:
        """Pull as `pull` does, in JSON pages (GET /v1/changes).

        The writer takes every page that has arrived (up to a batch of JSON bytes) and
        applies them, the cursor after the last, in one transaction.
        """

        def fetch(at: int, first: bool, on_meta: Callable[[Leads], None]):
            return self.client.pull_page(at, PULL_LIMIT, with_total=first)

        async with FetchAhead[RawPage](fetch, cursor, PULL_AHEAD, "vitrine-pull-fetch") as ahead:
            page = await ahead.next()
            bulk = await self._is_bulk(page.total_estimate)
            batch_bytes = BULK_BATCH_BYTES if bulk else PULL_BATCH_BYTES
            applied = 0
            async with self._bulk_load(bulk):  # apply_json_pages sets the indexes aside with the first batch
                while True:
                    batch, size = [page], page.size
                    while batch[-1].has_more and size < batch_bytes and (more := ahead.arrived()) is not None:
                        batch.append(more)
                        size += more.size
                    n, unreadable = await self.replica.apply_json_pages(batch, bulk)
                    if n:
                        applied += n
                        self._set(pulled=applied)
                    if unreadable is not None:  # the pages before it are applied
                        raise bad_page(unreadable)
                    if not batch[-1].has_more:
                        return applied
                    page = await ahead.next()  # (a failed request raises here, after what arrived)

    # --- background loop ------------------------------------------------------------

    def kick(self) -> None:
        """Sync now (after a local write, or when the consultant asks)."""
        self._kick.set()

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="vitrine-sync")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):  # cancelled as asked, or ended already
                await self._task
            self._task = None

    async def _run(self) -> None:
        failures = 0
        await self.refresh_counts()
        while True:
            self._kick.clear()
            try:
                await self.sync_once()
                failures = 0
                delay = self.interval
            except DeviceRevoked:
                return  # nothing more to say to the hub: the app wipes the device
            except AuthExpired:
                delay = self.interval * 10  # nothing to do until the consultant logs in again
            except HubError as e:
                failures += 1
                delay = (
                    backoff_delay(failures, base=1.0, cap=min(60.0, self.interval * 2))
                    if e.retryable
                    else self.interval
                )
                log.info("sync failed (%s); next try in %.1fs", e, delay)
            except Exception:  # keep syncing whatever happened
                failures += 1
                delay = backoff_delay(failures)
                log.exception("sync round crashed")
                self._set(error="Sync failed unexpectedly; will retry.")
            with contextlib.suppress(TimeoutError):  # no kick: the next round is due
                await asyncio.wait_for(self._kick.wait(), timeout=delay)
