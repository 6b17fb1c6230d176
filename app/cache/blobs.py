"""Files kept on the device (signatures of signed forms), by SHA-256, inside the encrypted cache.

A blob named by a queued mutation (a payload key ending in `sha256`) is uploaded by the
sync engine before the push that carries it (`load` is its `blob_loader`). Keeping the
bytes in the cache, not as files beside it, puts them under the cache's SQLCipher key.
"""

from __future__ import annotations

import hashlib

from sqlite_utils import Database


def put(db: Database, content: bytes, content_type: str) -> str:
    sha = hashlib.sha256(content).hexdigest()
    db.execute(
        "INSERT OR IGNORE INTO blobs (sha256, content_type, data) VALUES (?, ?, ?)", [sha, content_type, content]
    )
    return sha


def load(db: Database, sha256: str) -> tuple[bytes, str] | None:
    row = db.execute("SELECT data, content_type FROM blobs WHERE sha256 = ?", [sha256]).fetchone()
    return None if row is None else (bytes(row[0]), row[1])
