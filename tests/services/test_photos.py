"""Diary photos: made upright, shrunk, re-encoded with no metadata; too large or not an image refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.services import photos

GPS = {1: "N", 2: (55.0, 45.0, 30.0), 3: "E", 4: (37.0, 37.0, 0.0)}


def _jpeg(size: tuple[int, int], orientation: int | None = None, gps: bool = True) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    img.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))  # left half blue: shows the rotation
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = GPS
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_a_photo_with_gps_comes_out_without_any_exif():
    original = _jpeg((800, 600))
    with Image.open(io.BytesIO(original)) as img:
        assert img.getexif().get_ifd(0x8825)  # the input does carry a location
    kept = photos.prepare(original)
    with Image.open(io.BytesIO(kept.jpeg)) as img:
        assert img.format == "JPEG"
        assert not img.getexif() and "exif" not in img.info and "icc_profile" not in img.info
    assert b"Exif" not in kept.jpeg[:4096] and b"PhoneMaker" not in kept.jpeg


def test_the_orientation_is_applied_and_the_long_side_shrunk():
    kept = photos.prepare(_jpeg((4000, 3000), orientation=6))  # a portrait shot held sideways
    assert (kept.width, kept.height) == (1200, 1600)
    with Image.open(io.BytesIO(kept.jpeg)) as img:
        top = img.convert("RGB").getpixel((img.width // 2, 10))
    assert isinstance(top, tuple) and top[2] > top[0]  # the blue half is now on top: turned 90 degrees clockwise
    small = photos.prepare(_jpeg((300, 200), gps=False))
    assert (small.width, small.height) == (300, 200)  # never enlarged


def test_a_30_mb_file_and_a_non_image_are_refused_with_a_code():
    with pytest.raises(photos.PhotoRefused) as e:
        photos.prepare(b"\xff\xd8" + bytes(30 << 20))
    assert e.value.code == "too_large"
    with pytest.raises(photos.PhotoRefused) as e:
        photos.prepare(b"%PDF-1.7 not a photo at all")
    assert e.value.code == "not_image"


def test_a_png_with_transparency_becomes_a_jpeg_thumbnail():
    img = Image.new("RGBA", (500, 500), (0, 0, 0, 0))
    out = io.BytesIO()
    img.save(out, "PNG")
    kept = photos.prepare(out.getvalue())
    with Image.open(io.BytesIO(photos.thumbnail(kept.jpeg))) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) == photos.THUMB_SIDE
