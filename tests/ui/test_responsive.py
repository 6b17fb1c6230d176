"""The size classes, the bottom bar's split and the shortcut keys (app.ui.responsive, app.ui.shortcuts)."""

from __future__ import annotations

import pytest

from app.ui.responsive import Size, Viewport, bar_split, size_of
from app.ui.shortcuts import NEW_CLIENT, SCAN, SEARCH, action_for


@pytest.mark.parametrize(
    ("width", "size"),
    [(390, Size.PHONE), (599, Size.PHONE), (600, Size.PORTRAIT), (800, Size.PORTRAIT), (960, Size.WIDE),
     (1280, Size.WIDE), (1440, Size.WIDE), (None, Size.WIDE), (0, Size.WIDE)],
)  # fmt: skip
def test_size_classes(width, size):
    assert size_of(width) is size


def test_bar_split_keeps_more_for_what_does_not_fit():
    assert bar_split(4, Size.PHONE) == (4, False)
    assert bar_split(5, Size.PHONE) == (3, True)  # "Ещё" takes the fourth place
    assert bar_split(8, Size.PHONE) == (3, True)
    assert bar_split(5, Size.PORTRAIT) == (5, False)
    assert bar_split(8, Size.PORTRAIT) == (5, True)


def test_viewport_changes_only_with_the_class():
    v = Viewport()
    v.resized(390)
    assert v.phone and not v.wide
    v.toggle_more()
    v.resized(391)  # the same class: the sheet stays open
    assert v.more_open
    v.resized(1280)  # turned on its side: the rail, no sheet
    assert v.wide and not v.more_open


@pytest.mark.parametrize(
    ("key", "ctrl", "meta", "alt", "action"),
    [
        ("F", True, False, False, SEARCH),
        ("f", True, False, False, SEARCH),
        ("F", False, True, False, SEARCH),  # ⌘F on a Mac
        ("F3", False, False, False, SEARCH),
        ("N", True, False, False, NEW_CLIENT),
        ("F4", False, False, False, NEW_CLIENT),
        ("S", True, False, False, SCAN),
        ("F2", False, False, False, SCAN),
        ("F", False, False, False, None),  # typing an "F" is typing
        ("/", False, False, False, None),
        ("F", True, False, True, None),  # Ctrl+Alt is AltGr on many keyboards: a character
        ("Enter", False, False, False, None),
    ],
)
def test_shortcut_keys(key, ctrl, meta, alt, action):
    assert action_for(key, ctrl, meta, alt) == action
