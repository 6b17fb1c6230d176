from __future__ import annotations

import io

import pytest
from PIL import Image
from pydantic import ValidationError

from app.services.signature import INK, Signature, SignatureProblem, problem, render_png
from tests.services.signed_samples import PAD, drawn_strokes, signature


def test_a_drawn_signature_is_accepted():
    assert problem(signature()) is None


@pytest.mark.parametrize(
    ("strokes", "reason"),
    [
        ([], SignatureProblem.EMPTY),
        ([[(300, 120)]], SignatureProblem.TOO_FEW_POINTS),  # a tap
        ([[(300, 120), (301, 121), (302, 120)], [(310, 125)]], SignatureProblem.TOO_FEW_POINTS),
        ([[(300 + i * 0.5, 120 + (i % 2)) for i in range(40)]], SignatureProblem.TOO_SMALL),  # a scribbled dot
        ([[(200 + i * 6, 120) for i in range(20)]], SignatureProblem.TOO_SHORT),  # one dash across a third of the pad
    ],
)
def test_empty_or_trivial_drawings_are_refused_with_a_reason(strokes, reason):
    assert problem(Signature.of(*PAD, strokes)) == reason


def test_points_must_be_finite_numbers():
    with pytest.raises(ValidationError):
        Signature.of(*PAD, [[(float("nan"), 1.0)]])
    with pytest.raises(ValidationError):
        Signature(width=0, height=100)


def test_render_is_deterministic_and_print_sized():
    first = render_png(signature())
    assert first == render_png(Signature.of(*PAD, drawn_strokes()))
    img = Image.open(io.BytesIO(first))
    assert img.format == "PNG" and img.mode == "RGBA" and img.width == 1200
    assert img.info.get("dpi", (0, 0))[0] == pytest.approx(300, abs=1)


def test_render_is_antialiased_ink_on_transparency():
    img = Image.open(io.BytesIO(render_png(signature())))
    alpha = img.getchannel("A")
    histogram = alpha.histogram()
    assert histogram[0] and histogram[255]
    assert sum(1 for n in histogram[1:255] if n) > 50  # partial coverage at the edges: smoothed, not a 1-bit line
    assert img.getpixel((0, 0)) == (*INK, 0)  # the margin is transparent


def test_render_on_white_and_uncropped():
    img = Image.open(io.BytesIO(render_png(signature(), width_px=600, crop=False, background=(255, 255, 255))))
    assert img.mode == "RGB" and img.size == (600, 240)  # the pad's own aspect
    assert img.getpixel((0, 0)) == (255, 255, 255)
    assert sum(img.convert("L").histogram()[:80]) > 0  # dark ink somewhere


def test_a_changed_stroke_renders_differently():
    strokes = drawn_strokes()
    strokes[2] = [(x, y + 15) for x, y in strokes[2]]
    assert render_png(Signature.of(*PAD, strokes)) != render_png(signature())
