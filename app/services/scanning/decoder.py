"""Find every barcode in an image: a camera frame, a photo file, a screenshot.

Two engines: pyzbar (libzbar; also what runs in the Android and iOS builds) and, where it
is installed, zxing-cpp. Cheap tries come first and the cascade stops at the first try
that reads anything, so a clean image costs one engine call. The tries and their order
were chosen by measuring every (preprocessing, engine) pair on the zxing-cpp sample
corpus and on generated receipt photos, and keeping the greedy cover (see
tests/services/test_corpus.py and tests/bench/bench_scan.py for the figures).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageFilter, ImageOps

from .codes import Barcode, Symbology

log = logging.getLogger("vitrine.scanning")

ZBAR_PACKAGE = "libzbar0 (Debian/Ubuntu), zbar (Homebrew), or the zbar DLL bundled with pyzbar on Windows"

try:  # pyzbar loads libzbar when imported: a missing library shows here
    from pyzbar import pyzbar as _pyzbar
    from pyzbar.pyzbar import ZBarSymbol

    ZBAR_ERROR: str | None = None
except (ImportError, OSError) as e:  # pragma: no cover - depends on the machine
    _pyzbar = None
    ZBAR_ERROR = f"pyzbar cannot load the zbar library ({e}); install {ZBAR_PACKAGE}"
    log.warning(ZBAR_ERROR)

try:
    import zxingcpp as _zxing
except ImportError:  # pragma: no cover - optional on mobile builds
    _zxing = None

ImageInput = Image.Image | bytes | bytearray | str | Path

_ZBAR_FORMATS = {
    "QRCODE": Symbology.QR_CODE, "EAN13": Symbology.EAN_13, "EAN8": Symbology.EAN_8, "UPCA": Symbology.UPC_A,
    "UPCE": Symbology.UPC_E, "CODE128": Symbology.CODE_128, "CODE39": Symbology.CODE_39,
    "CODE93": Symbology.CODE_93, "I25": Symbology.ITF, "CODABAR": Symbology.CODABAR,
    "DATABAR": Symbology.DATABAR, "DATABAR_EXP": Symbology.DATABAR_EXPANDED, "PDF417": Symbology.PDF417,
}
_ZXING_FORMATS = {
    "QRCode": Symbology.QR_CODE, "MicroQRCode": Symbology.MICRO_QR, "EAN13": Symbology.EAN_13,
    "EAN8": Symbology.EAN_8, "UPCA": Symbology.UPC_A, "UPCE": Symbology.UPC_E, "Code128": Symbology.CODE_128,
    "Code39": Symbology.CODE_39, "Code93": Symbology.CODE_93, "ITF": Symbology.ITF,
    "Codabar": Symbology.CODABAR, "DataBar": Symbology.DATABAR, "DataBarExpanded": Symbology.DATABAR_EXPANDED,
    "PDF417": Symbology.PDF417, "DataMatrix": Symbology.DATA_MATRIX, "Aztec": Symbology.AZTEC,
}
# Receipts and loyalty cards only: fewer formats, fewer false positives, faster.
_WANTED = "QRCode,EAN13,EAN8,UPCA,UPCE,Code128,Code39,Code93"


class DecodeError(ValueError):
    """The input is not an image."""


def load(image: ImageInput) -> Image.Image:
    """A PIL image from a path, bytes or an image; EXIF rotation applied."""
    try:
        if isinstance(image, Image.Image):
            img = image
        elif isinstance(image, (bytes, bytearray)):
            img = Image.open(io.BytesIO(image))
        else:
            img = Image.open(Path(image))
        img.load()
    except (OSError, ValueError, SyntaxError) as e:
        raise DecodeError(f"not a readable image: {e}") from None
    return ImageOps.exif_transpose(img)


def _gray(img: Image.Image) -> Image.Image:
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        bg = Image.new("RGBA", img.size, "white")
        img = Image.alpha_composite(bg, img)
    return img.convert("L")


def _zbar(img: Image.Image) -> list[Barcode]:
    if _pyzbar is None:
        return []
    symbols = [ZBarSymbol.QRCODE, ZBarSymbol.EAN13, ZBarSymbol.EAN8, ZBarSymbol.UPCA, ZBarSymbol.UPCE,
               ZBarSymbol.CODE128, ZBarSymbol.CODE39, ZBarSymbol.CODE93]
    out = []
    for r in _pyzbar.decode(img, symbols=symbols):
        try:
            text = r.data.decode("utf-8")
        except UnicodeDecodeError:
            text = r.data.decode("latin-1")
        out.append(Barcode(_ZBAR_FORMATS.get(r.type, Symbology.OTHER), text, "pyzbar"))
    return out


def _zxing_with(binarizer_name: str) -> Callable[[Image.Image], list[Barcode]]:
    def read(img: Image.Image) -> list[Barcode]:
        if _zxing is None:
            return []
        results = _zxing.read_barcodes(
            img, formats=_zxing.barcode_formats_from_str(_WANTED), text_mode=_zxing.TextMode.Plain,
            binarizer=getattr(_zxing.Binarizer, binarizer_name))
        return [Barcode(_ZXING_FORMATS.get(str(r.format).split(".")[-1], Symbology.OTHER), r.text, "zxing-cpp")
                for r in results if r.valid]
    return read


_zx_local = _zxing_with("LocalAverage")
_zx_global = _zxing_with("GlobalHistogram")


def _fit(n: int) -> Callable[[Image.Image], Image.Image | None]:
    def f(g: Image.Image) -> Image.Image | None:
        if max(g.size) <= n:
            return None  # no smaller than it is: the plain try already saw it
        s = n / max(g.size)
        return g.resize((round(g.width * s), round(g.height * s)), Image.BOX)
    return f


def _half(g: Image.Image) -> Image.Image | None:
    return g.resize((g.width // 2, g.height // 2), Image.BOX) if min(g.size) >= 200 else None


def _up2(g: Image.Image) -> Image.Image | None:
    return g.resize((g.width * 2, g.height * 2), Image.BICUBIC) if max(g.size) <= 1000 else None


def _sharpen(radius: int, percent: int) -> Callable[[Image.Image], Image.Image | None]:
    return lambda g: g.filter(ImageFilter.UnsharpMask(radius, percent, 0))


def _up2_sharp(g: Image.Image) -> Image.Image | None:
    u = _up2(g)
    return None if u is None else u.filter(ImageFilter.UnsharpMask(6, 150, 0))


def _same(g: Image.Image) -> Image.Image:
    return g


# (name, preprocessing, engine). A large photo is first read shrunk (fast, and the
# binarizer sees a sharper QR); then the original; then fixes for blur and small codes.
CASCADE: list[tuple[str, Callable[[Image.Image], Image.Image | None], Callable[[Image.Image], list[Barcode]]]] = [
    ("fit640/zxing", _fit(640), _zx_local),
    ("gray/zxing", _same, _zx_local),
    ("gray/zbar", _same, _zbar),
    ("gray/zxing-global", _same, _zx_global),
    ("half/zxing-global", _half, _zx_global),
    ("fit1280/zxing-global", _fit(1280), _zx_global),
    ("sharpen2/zxing", _sharpen(2, 150), _zx_local),
    ("sharpen4/zxing-global", _sharpen(4, 300), _zx_global),
    ("up2/zxing", _up2, _zx_local),
    ("up2sharp/zxing", _up2_sharp, _zx_local),
    ("up2sharp/zbar", _up2_sharp, _zbar),
]


_SHORT_OK = {Symbology.QR_CODE, Symbology.EAN_13, Symbology.EAN_8, Symbology.UPC_A, Symbology.UPC_E}


def plausible(b: Barcode) -> bool:
    """Sharpened noise can read as a one-letter Code 39; no card or receipt is that short."""
    return bool(b.text.strip()) and (b.format in _SHORT_OK or len(b.text.strip()) >= 4)


def decode(image: ImageInput) -> list[Barcode]:
    """Every barcode found in the image (deduplicated), from the first try that reads any."""
    gray = _gray(load(image))
    for _name, prepare, engine in CASCADE:
        candidate = prepare(gray)
        if candidate is None:
            continue
        found = [b for b in engine(candidate) if plausible(b)]
        if found:
            return list(dict.fromkeys(found))
    return []


def decode_plain_pyzbar(image: ImageInput) -> list[Barcode]:
    """One plain pyzbar call: the baseline the benchmark compares with."""
    return _zbar(load(image))


def decode_plain_zxing(image: ImageInput) -> list[Barcode]:
    """One plain zxing-cpp call: the other baseline."""
    if _zxing is None:
        return []
    return [Barcode(_ZXING_FORMATS.get(str(r.format).split(".")[-1], Symbology.OTHER), r.text, "zxing-cpp")
            for r in _zxing.read_barcodes(load(image))]
