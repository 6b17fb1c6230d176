"""A handwritten signature: strokes of points (the source of truth), checks, a print PNG.

The pad records what the finger or mouse drew as strokes (pen down → up) of points in the
pad's own coordinates; the PNG is derived from them and can be drawn again at any size.
`problem()` refuses what is not a signature (a tap, a dot, a short dash) with a reason code
the screen turns into a message. `render_png()` gives the same bytes for the same strokes:
the document's hash covers the strokes, and the PNG's hash is what the hub stores as a blob.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from enum import StrEnum
from itertools import pairwise

from PIL import Image, ImageDraw
from pydantic import BaseModel, ConfigDict, Field

_FROZEN = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Point(BaseModel):
    model_config = _FROZEN
    x: float
    y: float


class Stroke(BaseModel):
    model_config = _FROZEN
    points: tuple[Point, ...] = Field(min_length=1)


class Signature(BaseModel):
    """What the pad drew: its size (logical pixels) and the strokes, in drawing order."""

    model_config = _FROZEN
    width: float = Field(gt=0)
    height: float = Field(gt=0)
    strokes: tuple[Stroke, ...] = ()

    @classmethod
    def of(cls, width: float, height: float, strokes: Iterable[Iterable[tuple[float, float]]]) -> Signature:
        """Build from plain (x, y) pairs, as the pad's gesture handlers collect them."""
        return cls(
            width=width,
            height=height,
            strokes=tuple(Stroke(points=tuple(Point(x=x, y=y) for x, y in s)) for s in strokes),
        )

    def points(self) -> list[Point]:
        return [p for s in self.strokes for p in s.points]


class SignatureProblem(StrEnum):
    """Why a drawing is refused as a signature (the UI maps these to its messages)."""

    EMPTY = "empty"
    TOO_FEW_POINTS = "too_few_points"
    TOO_SMALL = "too_small"  # its extent is a small part of the pad
    TOO_SHORT = "too_short"  # too little ink: a dash or a tick


# Thresholds relative to the pad's shorter side, so they hold for a phone and a tablet alike.
MIN_POINTS = 10
MIN_EXTENT = 0.25  # the longer side of the drawing's bounding box
MIN_INK = 1.0  # the total length of the strokes


def ink_length(signature: Signature) -> float:
    return sum(math.dist((a.x, a.y), (b.x, b.y)) for s in signature.strokes for a, b in pairwise(s.points))


def problem(signature: Signature) -> SignatureProblem | None:
    """None for an acceptable signature, else the first reason it is not one."""
    pts = signature.points()
    if not pts:
        return SignatureProblem.EMPTY
    if len(pts) < MIN_POINTS:
        return SignatureProblem.TOO_FEW_POINTS
    side = min(signature.width, signature.height)
    xs, ys = [p.x for p in pts], [p.y for p in pts]
    if max(max(xs) - min(xs), max(ys) - min(ys)) < MIN_EXTENT * side:
        return SignatureProblem.TOO_SMALL
    if ink_length(signature) < MIN_INK * side:
        return SignatureProblem.TOO_SHORT
    return None


# --- rendering ---------------------------------------------------------------------------

PEN_WIDTH = 2.6  # pad pixels: about a ballpoint at a tablet's scale
SUPERSAMPLE = 3  # drawn this many times larger, then reduced: anti-aliasing without a vector library
INK = (16, 24, 64)  # dark blue, like a pen


def _smooth(points: Sequence[tuple[float, float]], steps: int) -> list[tuple[float, float]]:
    """A Catmull-Rom curve through the points (the pad samples a curve at discrete events)."""
    if len(points) < 3 or steps <= 1:
        return list(points)
    ext = [points[0], *points, points[-1]]
    out: list[tuple[float, float]] = []
    for i in range(1, len(ext) - 2):
        p0, p1, p2, p3 = ext[i - 1], ext[i], ext[i + 1], ext[i + 2]
        for k in range(steps):
            t = k / steps
            t2, t3 = t * t, t * t * t
            out.append(
                tuple(  # type: ignore[arg-type]
                    0.5
                    * (
                        2 * p1[j]
                        + (-p0[j] + p2[j]) * t
                        + (2 * p0[j] - 5 * p1[j] + 4 * p2[j] - p3[j]) * t2
                        + (-p0[j] + 3 * p1[j] - 3 * p2[j] + p3[j]) * t3
                    )
                    for j in (0, 1)
                )
            )
    out.append(points[-1])
    return out


def render_png(
    signature: Signature,
    *,
    width_px: int = 1200,
    crop: bool = True,
    background: tuple[int, int, int] | None = None,
) -> bytes:
    """The signature as a PNG `width_px` wide (1200 px ≈ 100 mm at 300 dpi).

    `crop` frames the ink (with a margin) rather than the whole pad; `background` None gives
    a transparent image (the ink as alpha), else an opaque one of that colour. Deterministic:
    no metadata, fixed arithmetic.
    """
    pts = signature.points()
    if crop and pts:
        margin = PEN_WIDTH * 4
        x0, y0 = min(p.x for p in pts) - margin, min(p.y for p in pts) - margin
        x1, y1 = max(p.x for p in pts) + margin, max(p.y for p in pts) + margin
    else:
        x0, y0, x1, y1 = 0.0, 0.0, signature.width, signature.height
    scale = width_px / (x1 - x0)
    height_px = max(1, round((y1 - y0) * scale))
    big = scale * SUPERSAMPLE
    mask = Image.new("L", (width_px * SUPERSAMPLE, height_px * SUPERSAMPLE), 0)
    draw = ImageDraw.Draw(mask)
    pen = max(1, round(PEN_WIDTH * big))
    r = pen / 2
    for stroke in signature.strokes:
        xy = [((p.x - x0) * big, (p.y - y0) * big) for p in stroke.points]
        # Enough curve samples that the segments are a few output pixels long.
        longest = max((math.dist(a, b) for a, b in pairwise(xy)), default=0.0)
        line = _smooth(xy, min(16, max(1, math.ceil(longest / (4 * SUPERSAMPLE)))))
        if len(line) > 1:
            draw.line(line, fill=255, width=pen)
        # Round joins and caps: Pillow's own "curve" joint leaves notches where short segments
        # turn sharply; a pen-sized disc at every vertex is what a pen would leave anyway.
        for cx, cy in line:
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
    alpha = mask.resize((width_px, height_px), Image.Resampling.LANCZOS)
    if background is None:
        img = Image.new("RGBA", alpha.size, (*INK, 0))
        img.putalpha(alpha)
    else:
        img = Image.composite(Image.new("RGB", alpha.size, INK), Image.new("RGB", alpha.size, background), alpha)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=False, dpi=(300, 300))
    return out.getvalue()
