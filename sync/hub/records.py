"""Append-only client records: diary entries (revisions, tombstones), contacts, forms, blobs.

A record that starts from a client gets that client's store from the handler
(sync.hub.handlers), which looks the client up after the record's own payload checks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import Connection, insert, select

from sync.hub import feed, outreach
from sync.hub.auth import MANAGER, Account
from sync.hub.errors import Rejected, Waiting, parse
from sync.hub.storage import lock_clients, row_locks, schema
from sync.models import (
    ContactPayload,
    DiaryDeletePayload,
    DiaryPayload,
    DiaryRevisePayload,
    FormSignPayload,
    Mutation,
)
from sync.rules.diary import DiaryRuleError, check_follow_up, may_change_entry, normalise_tags, revision_order


def _revisions(conn: Connection, entry_id: str) -> list[dict]:
    records = schema.records
    rows = conn.execute(
        select(records.c.data).where(records.c.entity == "diary_rev").where(records.c.owner_id == entry_id)
    ).all()
    revs = [json.loads(r.data) for r in rows]
    return sorted(revs, key=lambda r: r["hub_order"])


def _publish_entry(conn: Connection, entry_id: str) -> dict:
    """Fold an entry's revisions into the entry devices see: the latest written on top
    (sync.rules.diary.revision_order), every other one kept in `revisions`."""
    revs = _revisions(conn, entry_id)
    first = revs[0]
    ordered = sorted(revs, key=revision_order)
    last = ordered[-1]
    texts = [r for r in ordered if r["kind"] != "delete"]
    current = texts[-1] if texts else first
    entry = {
        "id": entry_id,
        "client_id": first["client_id"],
        "text": current["text"],
        "pinned": current.get("pinned", False),
        "tags": current.get("tags", []),
        "follow_up": current.get("follow_up"),
        "follow_up_done": current.get("follow_up_done", False),
        "photos": current.get("photos", []),
        "author_id": first["author_id"],
        "author_name": first["author_name"],
        "created_at": first["at"],
        "updated_at": last["at"],
        "edited_by": last["author_name"] if len(revs) > 1 else None,
        "deleted": last["kind"] == "delete",
        "revisions": revs,
    }
    feed.publish(conn, "diary", entry_id, first["store_id"], entry)
    return entry


def _photos_uploaded(conn: Connection, photos: list[str], store_id: str) -> None:
    for sha in photos:
        if not has_blob(conn, sha, store_id):  # uploaded by this store's devices before the entry
            raise Waiting("blob_missing", f"Waiting for the upload of blob {sha[:12]}…")


def _checked(check, *args):
    try:
        return check(*args)
    except DiaryRuleError as e:
        raise Rejected(e.code, str(e)) from e


def new_entry(conn: Connection, m: Mutation) -> DiaryPayload:
    """A diary.add's payload, checked: the entry must not exist yet (its client is the handler's)."""
    p = parse(DiaryPayload, m.payload)
    if _revisions(conn, m.entity_id):
        raise Rejected("entry_exists", "A diary entry with this id already exists.")
    return p


def add_entry(conn: Connection, m: Mutation, account: Account, p: DiaryPayload, store_id: str, tags: list[str]) -> dict:
    """diary.add, after `new_entry`: the entry's first revision, in the client's store; `tags`
    is the brand's list (sync.hub.diary_tags)."""
    body = {
        "text": p.text,
        "pinned": p.pinned,
        "tags": _checked(normalise_tags, p.tags, tags),
        "follow_up": _follow_up(p.follow_up, m),
        "follow_up_done": False,
        "photos": list(p.photos_sha256),
    }
    _photos_uploaded(conn, body["photos"], store_id)
    return _add_revision(conn, m, account, [], p.client_id, store_id, body)


def _follow_up(day: dt.date | None, m: Mutation) -> str | None:
    checked = _checked(check_follow_up, day, m.client_time.date())
    return None if checked is None else checked.isoformat()


def may_change(account: Account, author_id: str) -> bool:
    """An entry is revised or deleted by its author, or by a manager of its store."""
    return may_change_entry(author_id, account.id, manager=account.role == MANAGER)  # the store is checked first


def change_entry(conn: Connection, m: Mutation, account: Account, tags: list[str]) -> dict:
    """diary.revise or diary.delete: a revision of an entry, in the entry's client and store.

    Only an entry of the account's store: another store's is answered like an unknown one;
    only by its author or a manager (`may_change`)."""
    existing = _revisions(conn, m.entity_id)
    if not existing or existing[0]["store_id"] != account.store_id:
        raise Rejected("unknown_entry", "This diary entry is not known to the hub.")
    client_id, store_id = existing[0]["client_id"], existing[0]["store_id"]
    if not may_change(account, existing[0]["author_id"]):
        raise Rejected("not_author", "Only the entry's author or a manager may change it.")
    if row_locks(conn):
        # Two revisions of one entry at once (PostgreSQL, several workers) would both take
        # the same hub_order and each publish the entry without the other: the client's
        # writers take turns (storage.locks), and this one reads the revisions again.
        lock_clients(conn, [client_id])
        existing = _revisions(conn, m.entity_id)
    if m.kind == "diary.revise":
        p = parse(DiaryRevisePayload, m.payload)
        sent = p.model_fields_set
        prev = next(
            (r for r in sorted(existing, key=revision_order, reverse=True) if r["kind"] != "delete"), existing[0]
        )
        body = {
            "text": p.text,
            "pinned": prev.get("pinned", False) if p.pinned is None else p.pinned,
            "tags": prev.get("tags", []) if p.tags is None else _checked(normalise_tags, p.tags, tags),
            "follow_up": _follow_up(p.follow_up, m) if "follow_up" in sent else prev.get("follow_up"),
            "follow_up_done": prev.get("follow_up_done", False) if p.follow_up_done is None else p.follow_up_done,
            "photos": prev.get("photos", []) if p.photos_sha256 is None else list(p.photos_sha256),
        }
        _photos_uploaded(conn, body["photos"], store_id)
    else:
        parse(DiaryDeletePayload, m.payload)
        body = {"text": None}
    return _add_revision(conn, m, account, existing, client_id, store_id, body)


def _add_revision(
    conn: Connection, m: Mutation, account: Account, existing: list[dict], client_id: str, store_id: str, body: dict
) -> dict:
    rev = {
        "id": m.id,
        "entry_id": m.entity_id,
        "client_id": client_id,
        "store_id": store_id,
        "kind": m.kind.split(".")[1],
        "author_id": account.id,
        "author_name": account.name,
        "at": m.client_time.isoformat(),
        "hub_order": len(existing),
        **body,
    }
    conn.execute(insert(schema.records).values(entity="diary_rev", id=m.id, owner_id=m.entity_id, data=feed.dumps(rev)))
    entry = _publish_entry(conn, m.entity_id)
    return {"entry_id": m.entity_id, "revisions": len(entry["revisions"]), "deleted": entry["deleted"]}


def contact(conn: Connection, m: Mutation, account: Account, p: ContactPayload, store_id: str) -> dict:
    """contact.log with its payload parsed and its client's store found (by the handler)."""
    records = schema.records
    data = {
        "id": m.entity_id,
        "client_id": p.client_id,
        "channel": p.channel,
        "text": p.text,
        "at": (p.at or m.client_time).isoformat(),
        "author_id": account.id,
        "author_name": account.name,
        **({"template": p.template} if p.template else {}),
        **({"via": p.via} if p.via else {}),
    }
    if conn.execute(select(records.c.id).where(records.c.entity == "contact", records.c.id == m.entity_id)).first():
        raise Rejected("contact_exists", "This contact entry already exists.")
    conn.execute(insert(records).values(entity="contact", id=m.entity_id, owner_id=p.client_id, data=feed.dumps(data)))
    outreach.log_contact(conn, data, store_id)  # what the results count (sync.hub.results)
    feed.publish(conn, "contact", m.entity_id, store_id, data)
    return {"contact_id": m.entity_id}


def form(conn: Connection, m: Mutation, account: Account, p: FormSignPayload, store_id: str) -> dict:
    """form.sign with its payload parsed and its client's store found (by the handler)."""
    records = schema.records
    for sha in filter(None, (p.signature_sha256, p.pdf_sha256)):
        if not has_blob(conn, sha, store_id):  # uploaded by this store's devices
            raise Waiting("blob_missing", f"Waiting for the upload of blob {sha[:12]}…")
    if conn.execute(select(records.c.id).where(records.c.entity == "form", records.c.id == m.entity_id)).first():
        raise Rejected("form_exists", "This form is already signed.")
    data = {
        "id": m.entity_id,
        **p.model_dump(mode="json"),
        "consultant_id": account.id,
        "consultant_name": account.name,
    }
    conn.execute(insert(records).values(entity="form", id=m.entity_id, owner_id=p.client_id, data=feed.dumps(data)))
    feed.publish(conn, "form", m.entity_id, store_id, data)
    return {"form_id": m.entity_id}


# Blobs are stored once by content (blobs) and readable per store (blob_stores): a store
# reads a blob only after one of its own devices uploaded it, so knowing a hash (from
# another store's feed, say) reaches nothing. The uploader's content type is not kept.
BLOB_CONTENT_TYPE = "application/octet-stream"


def has_blob(conn: Connection, sha256: str, store_id: str) -> bool:
    """Whether `store_id` has uploaded this blob."""
    owners = schema.blob_stores
    return (
        conn.execute(select(owners.c.sha256).where(owners.c.sha256 == sha256, owners.c.store_id == store_id)).first()
        is not None
    )


def put_blob(conn: Connection, sha256: str, content: bytes, store_id: str) -> bool:
    """Store a blob under its hash for `store_id`; False when that store had it already
    (another store's copy is not told apart from none). Raises on a bad hash."""
    if hashlib.sha256(content).hexdigest() != sha256:
        raise ValueError("the content does not match its sha256")
    if has_blob(conn, sha256, store_id):
        return False
    blobs = schema.blobs
    if conn.execute(select(blobs.c.sha256).where(blobs.c.sha256 == sha256)).first() is None:
        conn.execute(
            insert(blobs).values(sha256=sha256, size=len(content), content_type=BLOB_CONTENT_TYPE, content=content)
        )
    conn.execute(insert(schema.blob_stores).values(sha256=sha256, store_id=store_id))
    return True


def get_blob(conn: Connection, sha256: str, store_id: str) -> bytes | None:
    """The blob's content, when `store_id` uploaded it; None when unknown or another store's."""
    blobs, owners = schema.blobs, schema.blob_stores
    row = conn.execute(
        select(blobs.c.content)
        .join(owners, owners.c.sha256 == blobs.c.sha256)
        .where(blobs.c.sha256 == sha256, owners.c.store_id == store_id)
    ).first()
    return None if row is None else bytes(row.content)


def form_blobs(conn: Connection, client_id: str) -> set[str]:
    """The blobs the client's signed forms name (signature images, signed PDFs)."""
    records = schema.records
    rows = conn.execute(select(records.c.data).where(records.c.entity == "form", records.c.owner_id == client_id)).all()
    out: set[str] = set()
    for r in rows:
        form = json.loads(r.data)
        out.update(filter(None, (form.get("signature_sha256"), form.get("pdf_sha256"))))
    return out


def grant_blob(conn: Connection, sha256: str, store_id: str) -> None:
    """Let `store_id` read a blob the hub holds (her forms, for a store she is shared into)."""
    if not has_blob(conn, sha256, store_id):
        conn.execute(insert(schema.blob_stores).values(sha256=sha256, store_id=store_id))


def republish_entry(conn: Connection, entry_id: str) -> None:
    """Publish a diary entry again from its revisions (after sync.hub.merge moved them)."""
    if _revisions(conn, entry_id):
        _publish_entry(conn, entry_id)
