"""Writing the diary on the device, and the reads its screens need beyond search and paging.

Each write is one transaction: the entry as it now reads (marked pending, so the screen
shows it at once) and its mutation in the outbox. A revision or a tombstone written here
is also appended to the entry's `revisions`, marked pending, so its history shows it
offline; the hub's version replaces the whole entry when it comes back.

`follow_ups` reads diary_follow_up (diary_index): the consultant's open follow-ups by day,
the query the task list reads too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from app.cache import diary_index
from app.cache.outbox import enqueue
from app.cache.queries import Contact, DiaryEntry
from sync.models import new_id
from sync.rules.jsontext import dumps

TAGS_ENTITY = "diary_tags"


@dataclass(frozen=True, slots=True)
class Author:
    id: str | None
    name: str


def _save(db: Database, entry_id: str, client_id: str, data: dict) -> None:
    text = dumps(data)
    db.execute(
        "INSERT OR REPLACE INTO entities (entity, id, client_id, data) VALUES ('diary', ?, ?, ?)",
        [entry_id, client_id, text],
    )
    diary_index.index_entries(db, [(entry_id, client_id, text)])


def add_entry(
    db: Database,
    client_id: str,
    author: Author,
    at: str,
    text: str,
    *,
    pinned: bool = False,
    tags: list[str] | None = None,
    follow_up: str | None = None,
    photos: list[str] | None = None,
    entry_id: str | None = None,
) -> str:
    """A new entry (diary.add); returns its id."""
    entry_id = entry_id or new_id()
    body = {
        "text": text,
        "pinned": pinned,
        "tags": list(tags or ()),
        "follow_up": follow_up,
        "follow_up_done": False,
        "photos": list(photos or ()),
    }
    data = {
        "id": entry_id,
        "client_id": client_id,
        **body,
        "author_id": author.id,
        "author_name": author.name,
        "created_at": at,
        "updated_at": at,
        "deleted": False,
        "revisions": [],
        "pending": True,
    }
    _save(db, entry_id, client_id, data)
    payload: dict[str, Any] = {"client_id": client_id, "text": text, "pinned": pinned, "tags": body["tags"]}
    if follow_up:
        payload["follow_up"] = follow_up
    if body["photos"]:
        payload["photos_sha256"] = body["photos"]
    enqueue(db, "diary.add", entry_id, payload)
    return entry_id


def entry_data(db: Database, entry_id: str) -> dict | None:
    row = db.execute("SELECT data FROM entities WHERE entity = 'diary' AND id = ?", [entry_id]).fetchone()
    return None if row is None else json.loads(row[0])


def entry(db: Database, entry_id: str) -> DiaryEntry | None:
    d = entry_data(db, entry_id)
    return None if d is None else DiaryEntry.from_data(d)


REVISABLE = ("text", "pinned", "tags", "follow_up", "follow_up_done", "photos")


def revise_entry(db: Database, entry_id: str, author: Author, at: str, changes: dict[str, Any]) -> bool:
    """A revision (diary.revise) with `changes` (of REVISABLE) over the entry as it reads
    here; False when the entry is not (or no longer) here."""
    data = entry_data(db, entry_id)
    if data is None or data.get("deleted"):
        return False
    changes = {k: v for k, v in changes.items() if k in REVISABLE}
    data.update(changes)
    _append_revision(data, "revise", author, at, {k: data.get(k) for k in REVISABLE})
    _save(db, entry_id, data["client_id"], data)
    payload: dict[str, Any] = {"text": data["text"]}
    for key in ("pinned", "tags", "follow_up", "follow_up_done"):
        if key in changes:
            payload[key] = changes[key]
    if "photos" in changes:
        payload["photos_sha256"] = changes["photos"]
    enqueue(db, "diary.revise", entry_id, payload)
    return True


def delete_entry(db: Database, entry_id: str, author: Author, at: str) -> bool:
    """A tombstone (diary.delete): gone from the diary and search here; its history stays on the hub."""
    data = entry_data(db, entry_id)
    if data is None or data.get("deleted"):
        return False
    data["deleted"] = True
    _append_revision(data, "delete", author, at, {"text": None})
    _save(db, entry_id, data["client_id"], data)
    enqueue(db, "diary.delete", entry_id, {})
    return True


def _append_revision(data: dict, kind: str, author: Author, at: str, body: dict) -> None:
    revs = list(data.get("revisions") or ())
    if not revs:  # the entry as first written, so the history starts where it started
        revs.append(
            {
                "kind": "add",
                "author_id": data.get("author_id"),
                "author_name": data.get("author_name"),
                "at": data.get("created_at"),
                "text": data.get("text") if kind == "delete" else None,
                "pending": bool(data.get("pending")),
            }
        )
    revs.append({"kind": kind, "author_id": author.id, "author_name": author.name, "at": at, **body, "pending": True})
    data["revisions"] = revs
    data["updated_at"] = at
    data["pending"] = True


@dataclass(frozen=True, slots=True)
class Revision:
    kind: str
    """add | revise | delete"""
    text: str | None
    author_name: str | None
    at: str | None
    pending: bool


def history(db: Database, entry_id: str) -> list[Revision]:
    """An entry's revisions, newest first (the first write included)."""
    data = entry_data(db, entry_id)
    if data is None:
        return []
    revs = data.get("revisions") or []
    out = [
        Revision(r.get("kind", "revise"), r.get("text"), r.get("author_name"), r.get("at"), bool(r.get("pending")))
        for r in revs
    ]
    if not out:
        out = [Revision("add", data.get("text"), data.get("author_name"), data.get("created_at"), True)]
    elif out[0].text is None and out[0].kind == "add":  # written here: its first text is the entry's own
        first = out[0]
        out[0] = Revision("add", data.get("text"), first.author_name, first.at, first.pending)
    return sorted(out, key=lambda r: r.at or "", reverse=True)


def brand_tags(db: Database) -> list[str]:
    """The brand's diary tags, as the hub published them to this store (none before a first sync)."""
    row = db.execute(f"SELECT data FROM entities WHERE entity = '{TAGS_ENTITY}' LIMIT 1").fetchone()
    return list(json.loads(row[0]).get("tags") or []) if row else []


@dataclass(frozen=True, slots=True)
class FollowUp:
    entry_id: str
    client_id: str
    client_name: str
    due: str
    text: str


def follow_ups(
    db: Database, author_id: str | None, since: str | None = None, limit: int = 100, client_id: str | None = None
) -> list[FollowUp]:
    """Open follow-ups by day (then entry): a consultant's (`author_id`), from `since` (an ISO
    date; None: overdue ones too), or one client's whoever wrote them."""
    where: list[str] = []
    params: list[str | int | None] = []
    if client_id is not None:
        where.append("f.client_id = ?")
        params.append(client_id)
    else:
        where.append("f.author_id IS ?")
        params.append(author_id)
    if since is not None:
        where.append("f.due >= ?")
        params.append(since)
    rows = db.execute(
        "SELECT f.entry_id, f.client_id, f.due, trim(coalesce(c.last_name, '') || ' ' || coalesce(c.first_name, '')),"
        " json_extract(e.data, '$.text')"
        " FROM diary_follow_up f JOIN entities e ON e.entity = 'diary' AND e.id = f.entry_id"
        " LEFT JOIN clients c ON c.id = f.client_id"
        f" WHERE {' AND '.join(where)} ORDER BY f.due, f.entry_id LIMIT ?",
        [*params, limit],
    ).fetchall()
    return [FollowUp(r[0], r[1], r[3] or "", r[2], r[4] or "") for r in rows]


CHANNELS = ("calls", "messengers", "sms", "email", "visit")


def log_contact(
    db: Database,
    client_id: str,
    author: Author,
    at: str,
    channel: str,
    text: str,
    template: str | None = None,
    via: str | None = None,
) -> str:
    """A call, message or visit (contact.log), shown at once as pending; an outreach send
    (app.state.outreach) names its template and the app it went through."""
    contact_id = new_id()
    extra = {k: v for k, v in (("template", template), ("via", via)) if v}
    data = {
        "id": contact_id,
        "client_id": client_id,
        "channel": channel,
        "text": text,
        "at": at,
        "author_id": author.id,
        "author_name": author.name,
        "pending": True,
        **extra,
    }
    db.execute(
        "INSERT OR REPLACE INTO entities (entity, id, client_id, data) VALUES ('contact', ?, ?, ?)",
        [contact_id, client_id, dumps(data)],
    )
    payload = {"client_id": client_id, "channel": channel, "text": text, "at": at, **extra}
    enqueue(db, "contact.log", contact_id, payload)
    return contact_id


@dataclass(frozen=True, slots=True)
class Communication:
    """A line of the communications card: a contact or a diary entry."""

    kind: str
    """contact | diary"""
    at: str
    channel: str | None
    author_name: str | None
    text: str
    pending: bool


def communications(db: Database, client_id: str, limit: int = 50) -> list[Communication]:
    """Her contacts and newest diary entries (by their latest revision), newest first, each
    with its author. The diary's newest come from the paging index (diary_doc_page), so a
    client with 500 entries costs `limit` entity reads, not 500."""
    diary_rows = db.execute(
        "SELECT e.data FROM (SELECT doc FROM diary_doc WHERE client_id = ? ORDER BY substr(sort_key, 2) DESC LIMIT ?) k"
        " CROSS JOIN diary_doc d ON d.doc = k.doc CROSS JOIN entities e ON e.entity = 'diary' AND e.id = d.entry_id",
        [client_id, limit],
    ).fetchall()
    contact_rows = db.execute(
        "SELECT data FROM entities WHERE client_id = ? AND entity = 'contact'", [client_id]
    ).fetchall()
    out = []
    for (text,) in contact_rows:
        d = json.loads(text)
        c = Contact.from_data(d)
        out.append(Communication("contact", c.at or "", c.channel, c.author_name, c.text, bool(d.get("pending"))))
    for (text,) in diary_rows:
        d = json.loads(text)
        at = d.get("updated_at") or d.get("created_at") or ""
        out.append(Communication("diary", at, None, d.get("author_name"), d.get("text") or "", bool(d.get("pending"))))
    out.sort(key=lambda x: _utc(x.at), reverse=True)
    return out[:limit]


def _utc(at: str) -> str:
    """A comparable moment: times come from devices and the hub in ISO form, any offset."""
    try:
        return datetime.fromisoformat(at).astimezone(UTC).isoformat()
    except ValueError:
        return at


@dataclass(frozen=True, slots=True)
class DiaryFound:
    client_id: str
    client_name: str
    snippet: str


def search_clients(db: Database, text: str, limit: int = 20) -> list[DiaryFound]:
    """Every client whose diary mentions what was typed (diary.search_diary), with her name."""
    from app.cache.diary import search_diary

    hits = search_diary(db, text, limit)
    if not hits:
        return []
    marks = ",".join("?" * len(hits))
    names = {
        r[0]: r[1]
        for r in db.execute(
            f"SELECT id, trim(last_name || ' ' || first_name || ' ' || coalesce(middle_name, '')) FROM clients"
            f" WHERE id IN ({marks})",
            [h.client_id for h in hits],
        )
    }
    return [DiaryFound(h.client_id, names.get(h.client_id, ""), h.snippet) for h in hits if h.client_id in names]
