"""Signed forms on the device: the registration and its form.sign in one transaction, and reads.

A form is an entity 'form' (the hub publishes its record under that name; until then the
device's own copy, marked pending), its PDF and signature PNG are blobs (app.cache.blobs),
uploaded by the sync engine before the form.sign that names them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from app.cache import blobs, drafts
from app.cache import clients as cached_clients
from app.cache.outbox import enqueue
from sync.models import ClientProfile
from sync.rules.jsontext import dumps

PDF = "application/pdf"
PNG = "image/png"


@dataclass(frozen=True, slots=True)
class Registration:
    """What one signing stores: the client (new, or her changed fields), the form, its files."""

    client_id: str
    form_id: str
    payload: dict[str, Any]  # form.sign's
    pdf: bytes
    png: bytes
    new_client: ClientProfile | None = None
    store_id: str = ""
    changed: dict[str, Any] | None = None  # an existing client's edited fields
    referral_code: str | None = None  # a new client's, for client.register


def save(db: Database, r: Registration) -> None:
    """All or nothing: a crash leaves the draft, never half a registration. The client's
    mutation is queued before the form's, so the hub knows her when the form arrives."""
    drafts.discard_draft(db, drafts.REGISTER)
    if r.new_client is not None:
        cached_clients.register_client(db, r.new_client, r.store_id, r.client_id, r.referral_code)
    elif r.changed:
        cached_clients.update_client(db, r.client_id, r.changed)
    blobs.put(db, r.pdf, PDF)
    blobs.put(db, r.png, PNG)
    data = {"id": r.form_id, **r.payload, "pending": True}
    db.execute(
        "INSERT OR REPLACE INTO entities (entity, id, client_id, data) VALUES ('form', ?, ?, ?)",
        [r.form_id, r.client_id, dumps(data)],
    )
    enqueue(db, "form.sign", r.form_id, r.payload)


@dataclass(frozen=True, slots=True)
class FormRow:
    id: str
    form_type: str
    signed_at: str
    pdf_sha256: str | None
    form_sha256: str | None
    processing: bool  # the consent to processing was granted on it
    pending: bool  # not on the hub yet


def forms_of(db: Database, client_id: str) -> list[FormRow]:
    """A client's signed forms, newest first."""
    rows = db.execute("SELECT data FROM entities WHERE entity = 'form' AND client_id = ?", [client_id]).fetchall()
    out = []
    for (text,) in rows:
        d = json.loads(text)
        granted = (d.get("consents") or {}).get("processing")
        out.append(
            FormRow(
                id=d["id"],
                form_type=d.get("form_type") or "",
                signed_at=d.get("signed_at") or "",
                pdf_sha256=d.get("pdf_sha256"),
                form_sha256=d.get("form_sha256"),
                processing=bool(granted.get("granted") if isinstance(granted, dict) else granted),
                pending=bool(d.get("pending")),
            )
        )
    return sorted(out, key=lambda f: f.signed_at, reverse=True)


_SIGNED = """
    SELECT client_id FROM consent_state WHERE purpose = 'processing' AND granted
    UNION
    SELECT client_id FROM entities
    WHERE entity = 'form' AND coalesce(json_extract(data, '$.consents.processing.granted'),
                                        json_extract(data, '$.consents.processing')) = 1
"""


def has_processing_consent(db: Database, client_id: str) -> bool:
    """Whether she has granted the consent to processing: on the hub's record, or on a form
    signed here and not yet synced."""
    row = db.execute(f"SELECT 1 FROM ({_SIGNED}) WHERE client_id = ? LIMIT 1", [client_id]).fetchone()
    return row is not None


def without_processing_consent(db: Database, client_ids: list[str]) -> set[str]:
    """Those of `client_ids` still to sign the questionnaire (activation)."""
    if not client_ids:
        return set()
    marks = ",".join("?" * len(client_ids))
    signed = {r[0] for r in db.execute(f"SELECT client_id FROM ({_SIGNED}) WHERE client_id IN ({marks})", client_ids)}
    return set(client_ids) - signed


def store_details(db: Database, store_id: str) -> dict[str, Any]:
    """The store as the feed gave it (name, address): the operator printed on the form."""
    row = db.execute("SELECT data FROM entities WHERE entity = 'store' AND id = ?", [store_id]).fetchone()
    return json.loads(row[0]) if row else {}
