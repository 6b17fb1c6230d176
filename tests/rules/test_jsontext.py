"""One JSON text (sync.rules.jsontext): the device's cache/outbox and the hub's rows/feed
write the same bytes for the same data, the compact `json.dumps` text."""

from __future__ import annotations

import json

import pytest

from app.cache import outbox, records
from sync.hub import feed

VALUES = [
    {"last_name": "Петрова", "notes": 'любит «синий»\n\t"кашемир"\\', "x": "\u2028\x1f\x7f"},
    {"points": 10**20, "neg": -5, "f": 0.1, "big": 1e16, "zero": -0.0},
    {"nested": [{"a": None, "b": True, "c": False}, [], {}], "emoji": "👗"},
    {1: "int key"},
    [1, "2", [3]],
    "",
    None,
]


@pytest.mark.parametrize("value", VALUES)
def test_device_and_hub_write_the_same_json_text(value):
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert (outbox.dumps(value), records.dumps(value), feed.dumps(value)) == (expected, expected, expected)
