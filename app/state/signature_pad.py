"""The signature pad's state: strokes of points as drawn (the source of truth), undo, redo, clear.

Its own observable, so a point drawn re-renders the pad alone, not the questionnaire.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import flet as ft

from app.services.signature import Signature

Point = tuple[float, float]


@ft.observable
@dataclass(eq=False)
class SignaturePadModel:
    strokes: list[list[Point]] = field(default_factory=list)
    undone: list[list[Point]] = field(default_factory=list)  # what "redo" brings back
    width: float = 520.0  # the pad's size in logical pixels, as last laid out
    height: float = 200.0
    error: str | None = None  # a message key: why the drawing is not a signature

    def begin(self, x: float, y: float) -> None:
        self.strokes = [*self.strokes, [(x, y)]]
        self.undone, self.error = [], None

    def extend(self, x: float, y: float) -> None:
        if not self.strokes:
            self.begin(x, y)
            return
        *done, last = self.strokes
        self.strokes = [*done, [*last, (x, y)]]

    def resize(self, width: float, height: float) -> None:
        if width > 0 and height > 0:
            self.width, self.height = width, height

    def undo(self) -> None:
        if self.strokes:
            *self.strokes, last = self.strokes
            self.strokes = list(self.strokes)
            self.undone = [*self.undone, last]

    def redo(self) -> None:
        if self.undone:
            *rest, last = self.undone
            self.undone = list(rest)
            self.strokes = [*self.strokes, last]

    def clear(self) -> None:
        self.strokes, self.undone, self.error = [], [], None

    def signature(self) -> Signature:
        return Signature.of(self.width, self.height, self.strokes)
