"""Half-typed forms, kept in the cache so they survive a restart.

One draft per form (`register`, `profile:<client id>`), holding only the fields the
consultant changed. A draft belongs to the consultant who typed it: another one
logging in on the same device never sees it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

REGISTER = "register"


def profile_key(client_id: str) -> str:
    return f"profile:{client_id}"


@dataclass(frozen=True, slots=True)
class Draft:
    changes: dict[str, object]
    saved_at: datetime


def save_draft(db: Database, form: str, owner: str, changes: dict[str, object]) -> None:
    """Keep `changes` as the form's draft; no changes means no draft."""
    if not changes:
        discard_draft(db, form)
        return
    db.execute(
        "INSERT OR REPLACE INTO drafts (form, owner, data, saved_at) VALUES (?, ?, ?, ?)",
        [form, owner, json.dumps(changes, ensure_ascii=False), datetime.now(UTC).isoformat()],
    )


def load_draft(db: Database, form: str, owner: str) -> Draft | None:
    row = db.execute("SELECT data, saved_at FROM drafts WHERE form = ? AND owner = ?", [form, owner]).fetchone()
    if row is None:
        return None
    return Draft(json.loads(row[0]), datetime.fromisoformat(row[1]))


def discard_draft(db: Database, form: str) -> None:
    db.execute("DELETE FROM drafts WHERE form = ?", [form])
