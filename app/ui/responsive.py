"""The window's size class, in one place: which navigation and which screen arrangement fit.

Flet reports the page's size in logical pixels (dp) at start (`page.width`, `page.height`)
and on every change (`page.on_resize`). A `Viewport` per page (in web mode a browser is a
page of its own, even when browsers share one App) keeps only what layouts depend on, so a
window dragged by one pixel re-renders nothing:

- PHONE (< 600 dp wide): a bottom bar of at most PHONE_BAR_ITEMS places, "More" among them
  when the sections do not all fit (a label of 11 letters needs a quarter of 390 dp); tighter
  paddings.
- PORTRAIT (600-959 dp, a tablet upright): the bottom bar with up to TABLET_BAR_ITEMS places.
- WIDE (>= 960 dp: a tablet on its side, a desktop): the navigation rail, and the client
  list beside the open profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import flet as ft

PHONE_MAX = 600  # dp: Material's compact window class ends here
WIDE_MIN = 960  # dp: a landscape tablet (1280) and desktops, not an upright one (800)
PHONE_BAR_ITEMS = 4  # places in a phone's bottom bar (Material: 3-5)
TABLET_BAR_ITEMS = 6
TOUCH_TARGET = 48  # dp: the least a finger can hit (Material, WCAG 2.5.5)
LIST_PANE_WIDTH = 420  # dp: the client list beside the profile
RAIL_WIDTH = 124  # dp: the longest label, "Синхронизация", in bold on one line


class Size(Enum):
    PHONE = "phone"
    PORTRAIT = "portrait"
    WIDE = "wide"


def size_of(width: float | None) -> Size:
    """The size class of a page `width` dp wide (unknown: the desktop window's)."""
    if width is None or width <= 0:
        return Size.WIDE
    if width < PHONE_MAX:
        return Size.PHONE
    if width < WIDE_MIN:
        return Size.PORTRAIT
    return Size.WIDE


def bar_split(count: int, size: Size) -> tuple[int, bool]:
    """How many of `count` sections the bottom bar shows, and whether a "More" entry holds the rest."""
    room = PHONE_BAR_ITEMS if size is Size.PHONE else TABLET_BAR_ITEMS
    if count <= room:
        return count, False
    return room - 1, True  # "More" takes the last place: on a phone, the labels need its width


@ft.observable
@dataclass(eq=False)
class Viewport:
    """One page's size class and its shell's own state (the "More" sheet, focus requests)."""

    size: Size = Size.WIDE
    more_open: bool = False  # the bottom bar's "More" sheet
    search_requests: int = 0  # a shortcut asked the client list's search field for the focus
    scan_requests: int = 0  # ... the scanner field

    @property
    def wide(self) -> bool:
        return self.size is Size.WIDE

    @property
    def phone(self) -> bool:
        return self.size is Size.PHONE

    def resized(self, width: float | None) -> None:
        size = size_of(width)
        if size is not self.size:  # only a new class re-renders the shell
            self.size = size
            self.more_open = False

    def toggle_more(self) -> None:
        self.more_open = not self.more_open

    def close_more(self) -> None:
        if self.more_open:
            self.more_open = False

    def focus_search(self) -> None:
        self.search_requests += 1

    def focus_scanner(self) -> None:
        self.scan_requests += 1


def watch(page: ft.Page) -> Viewport:
    """A Viewport that follows the page's size from now on."""
    viewport = Viewport()
    viewport.resized(page.width)

    def on_resize(e: ft.PageResizeEvent) -> None:
        viewport.resized(e.width)

    page.on_resize = on_resize
    return viewport
