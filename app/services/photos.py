"""Photos for the diary: checked, turned upright, shrunk and re-encoded on the device.

A picked file is read with Pillow; what is kept is a new JPEG drawn from its pixels only:
the EXIF orientation is applied to the pixels, and no metadata at all is written (no
location, no camera, no time), so nothing of where the photo was taken leaves the device.
A file too large, or not an image, raises PhotoRefused with a code the screen explains.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_FILE_BYTES = 20 << 20
"""A picked file larger than this is refused before it is decoded (a 30 MB photo is)."""
MAX_PIXELS = 60_000_000
"""A larger image would take hundreds of MB to decode (a decompression bomb, or a scan)."""
LONG_SIDE = 1600
"""Kept size: enough to see an alteration's stitching on a tablet, ~200-400 KB as JPEG."""
THUMB_SIDE = 240
QUALITY = 82
CONTENT_TYPE = "image/jpeg"


class PhotoRefused(ValueError):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code  # too_large | not_image


@dataclass(frozen=True, slots=True)
class Photo:
    jpeg: bytes
    width: int
    height: int


def prepare(content: bytes) -> Photo:
    """The photo as kept: upright, at most LONG_SIDE pixels on its long side, JPEG, no metadata."""
    if len(content) > MAX_FILE_BYTES:
        raise PhotoRefused("too_large")
    try:
        with Image.open(io.BytesIO(content)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise PhotoRefused("too_large")
            img.load()
            upright = ImageOps.exif_transpose(img)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as e:
        raise PhotoRefused("not_image") from e
    return _encode(upright, LONG_SIDE)


def thumbnail(jpeg: bytes, side: int = THUMB_SIDE) -> bytes:
    """A small JPEG of a kept photo, for the diary's list."""
    with Image.open(io.BytesIO(jpeg)) as img:
        return _encode(img, side).jpeg


def _encode(img: Image.Image, side: int) -> Photo:
    rgb = img.convert("RGB")  # drops alpha and palettes; JPEG has neither
    rgb.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A new image from pixels: Pillow writes no EXIF, ICC or XMP unless told to.
    rgb.save(out, "JPEG", quality=QUALITY, optimize=True)
    return Photo(out.getvalue(), rgb.width, rgb.height)
