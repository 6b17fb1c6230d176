"""The compact JSON text both ends store (cache rows and outbox; hub rows and feed)."""

from __future__ import annotations

import pydantic_core


def dumps(data: object) -> str:
    """Compact UTF-8 JSON (no spaces, non-ASCII kept) of plain JSON data.

    Runs per row in a sync and in every write, so it is pydantic_core's serializer, ~4x
    faster than `json.dumps`, and on JSON data (dicts, lists, str, int, float, bool, None)
    gives the same text as `json.dumps(data, ensure_ascii=False, separators=(",", ":"))`.
    Give it data that came from JSON or from `model_dump(mode="json")`: other types are
    written pydantic's way (a datetime as `2024-01-01T00:00:00Z`), not as `str()` would.
    """
    return pydantic_core.to_json(data).decode()
