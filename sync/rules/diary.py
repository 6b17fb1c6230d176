"""Diary rules both ends apply: which tags an entry may carry, which follow-up dates are allowed,
and how concurrent revisions of one entry are ordered.

Tags come from the brand's list (data on the hub, published to its stores' devices as the
`diary_tags` entity): an entry carries each at most once, in the list's order, and a tag
that is not on the list is refused (never silently dropped: what the consultant chose is
either kept or explained). A follow-up date is a calendar day from the day the entry was
written (a device's own day: an entry written offline keeps the date it was given) up to
FOLLOW_UP_MAX_DAYS ahead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

MAX_TAGS = 20
FOLLOW_UP_MAX_DAYS = 366 * 2


class DiaryRuleError(ValueError):
    """An entry breaks a rule; `code` is machine-readable (the hub's rejection code)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def normalise_tags(tags: Iterable[str], allowed: Sequence[str]) -> list[str]:
    """`tags` each once, in the brand list's order; DiaryRuleError for one not on the list.

    Compared as typed after trimming and case-folding, so "Подарки " is the list's "подарки".
    """
    by_key = {t.strip().casefold(): t for t in allowed}
    chosen: set[str] = set()
    for tag in tags:
        key = tag.strip().casefold()
        if key not in by_key:
            raise DiaryRuleError("unknown_tag", f"The tag {tag!r} is not on the brand's list.")
        chosen.add(by_key[key])
    if len(chosen) > MAX_TAGS:
        raise DiaryRuleError("too_many_tags", f"An entry carries at most {MAX_TAGS} tags.")
    return [t for t in allowed if t in chosen]


def check_follow_up(day: dt.date | None, written: dt.date) -> dt.date | None:
    """The follow-up day of an entry written (or moved) on `written`; DiaryRuleError when it is
    before that day or more than FOLLOW_UP_MAX_DAYS after it."""
    if day is None:
        return None
    if day < written:
        raise DiaryRuleError("follow_up_past", "A follow-up date cannot be in the past.")
    if (day - written).days > FOLLOW_UP_MAX_DAYS:
        raise DiaryRuleError("follow_up_far", "A follow-up date is at most two years ahead.")
    return day


def revision_order(rev: dict) -> tuple[str, int]:
    """Sort key of an entry's revisions: when each was written (on its device), then hub order.

    Two consultants editing one entry offline both keep their text: the later written is on
    top, whichever device synced first; the other stays as a revision in the history.
    """
    at = rev.get("at")
    moment = dt.datetime.fromisoformat(at).astimezone(dt.UTC).isoformat() if at else ""
    return (moment, int(rev.get("hub_order") or 0))


def may_change_entry(author_id: str | None, me_id: str | None, *, manager: bool, her_store: bool = True) -> bool:
    """Whether an account may revise or delete a diary entry: only one of its own store's
    (`her_store`), and then its author or a manager of that store. The hub refuses any other
    change; the app offers no other."""
    if not her_store:
        return False
    return manager or (author_id is not None and author_id == me_id)
