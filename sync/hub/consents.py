"""152-FZ consent records: the one place where a client's consents are written.

Every way a consent reaches the hub ends here: a signed form (form.sign), a consent.record,
a registration or a profile toggle (client.register / client.update with `consents`), and
an erase (every purpose withdrawn). Each answer becomes an append-only row per purpose with
its text version, its source (form, account, device) and the hub's time of receipt: the
device's clock is kept for reference, never as the consent's date. The client snapshot's
`consents` (what the profile shows) is derived from these rows, dated by the hub.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Connection, insert, select

from sync.hub import feed
from sync.hub.errors import Rejected, describe
from sync.hub.storage import schema
from sync.models import CONSENT_PURPOSES, Consent, ConsentPurpose, ConsentTerms, Mutation, utcnow

SOURCES = ("form", "consent", "register", "profile", "erase")


@dataclass(frozen=True)
class Source:
    """Where an answer came from: which mutation of which account on which device, which form."""

    kind: str  # one of SOURCES
    mutation: Mutation
    account_id: str
    device_id: str
    form_id: str | None = None


Answers = dict[str, tuple[bool, str | None]]
"""purpose -> (granted, text version; None when no text was shown)."""


def from_terms(terms: Mapping[ConsentPurpose, ConsentTerms] | Mapping[str, ConsentTerms]) -> Answers:
    return {purpose: (t.granted, t.text_version) for purpose, t in terms.items()}


_PROFILE_CONSENTS = TypeAdapter(dict[str, Consent])


def from_profile(current: dict, value: object) -> Answers:
    """The purposes a profile patch (or a registration) changes: a toggle's date is the
    device's and is ignored; a purpose whose granted state is unchanged is no new answer."""
    try:
        given = _PROFILE_CONSENTS.validate_python(value)
    except ValidationError as e:
        raise Rejected("invalid_payload", "consents: " + describe(e)) from None
    unknown = set(given) - set(CONSENT_PURPOSES)
    if unknown:
        raise Rejected("invalid_payload", f"consents: unknown purposes {', '.join(sorted(unknown))}")
    before = current.get("consents") or {}
    return {
        purpose: (c.granted, c.text_version)
        for purpose, c in given.items()
        if purpose not in before or bool(before[purpose].get("granted")) != c.granted
    }


def record(
    conn: Connection, client: dict, answers: Mapping[str, tuple[bool, str | None]], source: Source, publish: bool = True
) -> dict:
    """Store one row per answered purpose, publish each to the client's store (unless not
    `publish`), and return the client's `consents` snapshot with them (the caller saves it)."""
    now = utcnow()
    state = dict(client.get("consents") or {})
    rows = []
    for purpose, (granted, version) in sorted(answers.items()):
        if purpose not in CONSENT_PURPOSES:
            raise Rejected("invalid_payload", f"consents: unknown purpose {purpose}")
        row = {
            "id": str(uuid.uuid5(uuid.UUID(source.mutation.id), "consent:" + purpose)),
            "client_id": client["id"],
            "store_id": client["store_id"],
            "purpose": purpose,
            "granted": granted,
            "text_version": version,
            "source": source.kind,
            "form_id": source.form_id,
            "account_id": source.account_id,
            "device_id": source.device_id,
            "mutation_id": source.mutation.id,
            "device_time": source.mutation.client_time.isoformat(),
            "received_at": now.isoformat(),
        }
        rows.append(row)
        state[purpose] = {"granted": granted, "date": now.date().isoformat(), "text_version": version}
    if rows:
        conn.execute(insert(schema.consents), rows)
    if rows and publish:
        feed.publish_many(conn, [("consent", r["id"], r["store_id"], r, False) for r in rows])
    return state


def of_client(conn: Connection, client_id: str) -> list[dict]:
    """A client's consent records, oldest first."""
    c = schema.consents
    rows = conn.execute(select(c).where(c.c.client_id == client_id).order_by(c.c.received_at, c.c.id)).all()
    return [dict(r._mapping) for r in rows]
