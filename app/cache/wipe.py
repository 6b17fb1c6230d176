"""Deleting the device's cache: for a revoked device, or an account or store change.

A minimal stand-in until the encrypted cache's own `wipe` (which also deletes the cache's
key) replaces it. Close the `Cache` first. Whether the outbox has drained is the caller's
business (app.cache.outbox.counts).
"""

from __future__ import annotations

import os
from pathlib import Path


def wipe(path: str | os.PathLike[str]) -> None:
    """Delete the cache file, its WAL and shared memory, and pull pages a crash left behind."""
    path = Path(path)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    for left in path.parent.glob(path.name + ".page*"):
        left.unlink(missing_ok=True)
