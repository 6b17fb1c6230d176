"""A form's draft: the fields typed since it opened, kept in the cache as they are typed.

Shared by the registration and the profile edit forms. Only the changed fields are
kept, so a draft restored later lands on the client as she is then, not as she was.
"""

from __future__ import annotations

import concurrent.futures
import logging
from datetime import UTC, datetime

from app.cache import drafts
from app.cache.drafts import Draft
from app.cache.store import Cache
from app.state.session import Session

log = logging.getLogger("vitrine.app")


class FormDraft:
    def __init__(self, cache: Cache, key: str, owner: str, base: dict):
        self._cache, self.key, self.owner, self.base = cache, key, owner, dict(base)
        self.kept_at: datetime | None = None  # when something typed was last kept

    async def load(self) -> Draft | None:
        return await self._cache.read(drafts.load_draft, self.key, self.owner)

    def restored(self, draft: Draft | None) -> dict:
        """The opened form with the draft's fields typed over it (fields it no longer has are dropped)."""
        changes = draft.changes if draft else {}
        return {**self.base, **{k: v for k, v in changes.items() if k in self.base}}

    def keep(self, form: dict) -> None:
        """Queue the draft's new state; queued writes keep their order, so the last keystroke wins."""
        changes = {k: v for k, v in form.items() if v != self.base.get(k)}
        self.kept_at = datetime.now(UTC) if changes else None
        self._cache.submit(drafts.save_draft, self.key, self.owner, changes).add_done_callback(_report)

    async def discard(self) -> None:
        await self._cache.write(drafts.discard_draft, self.key)


def _report(fut: concurrent.futures.Future[None]) -> None:
    if not fut.cancelled() and fut.exception() is not None:
        log.error("a form draft could not be kept", exc_info=fut.exception())


def owner_of(who: Session | None) -> str:
    """Whose draft: the consultant logged in (a draft is never shown to another)."""
    if who is None:
        return ""
    return who.consultant_id or f"{who.store_id}:{who.consultant_name}"
