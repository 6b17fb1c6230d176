"""Find every barcode in a camera frame, photo file or screenshot.

Two engines read barcodes: zbar through pyzbar (the one that also runs on Android and
iOS) and zxing-cpp (desktop wheels only: pyproject installs it off the phones only). Either
may be missing; the decoder uses what loads, says what is missing and how to install it,
and fails only when neither loads. `VITRINE_NO_ZXING=1` hides zxing-cpp where it is
installed (the tests and the scan benchmark run both ways).

Decoding is a cascade, cheapest step first, stopping at the first step that finds
anything (unless `exhaustive`). Each step is one engine on one view of the image. The
views and their order were chosen by measuring on the barcode corpus and on generated
receipt photos (tests/bench/bench_scan.py); a view stays only if it decodes images the
earlier steps miss:

- base: grayscale, large photos shrunk to PREVIEW_SIDE. Most photos decode here, and
  shrinking a 12 MP photo costs less than reading it. zbar in particular finds QR
  finder patterns far more reliably when modules are a few pixels wide.
- full: the full resolution, for small codes in large photos.
- sharp, sharper: unsharp masks of two strengths against defocus; full_sharp the same
  at full resolution, for a blurred whole receipt whose QR modules are 2–4 px.
- small: half of base; averaging away sensor noise and JPEG blocks, read with zxing's
  global-histogram binarizer, recovers noisy QR codes the local binarizer misses.
- up: small images enlarged 2x and sharpened: blurry or tiny EAN-13s in thumbnails.

Engines try all four 90° rotations and inverted codes themselves, so EXIF orientation
does not matter and no rotation step is needed.
"""

from __future__ import annotations

import importlib
import io
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import ModuleType

from PIL import Image, ImageFilter, UnidentifiedImageError

from .codes import Barcode, Symbology

log = logging.getLogger(__name__)

ImageSource = Image.Image | str | os.PathLike[str] | bytes | bytearray | memoryview

DEFAULT_FORMATS: frozenset[Symbology] = frozenset(
    {
        Symbology.QR_CODE,
        Symbology.EAN_13,
        Symbology.EAN_8,
        Symbology.UPC_A,
        Symbology.UPC_E,
        Symbology.CODE_128,
        Symbology.CODE_39,
        Symbology.CODE_93,
    }
)
"""Receipts, e-cards and loyalty cards. ITF and Codabar stay off unless asked for: no
card or receipt uses them, and with ITF on, zbar read phantom ITF codes in the printed
text of 2 of 60 generated receipt photos."""

PREVIEW_SIDE = 1280
MIN_SIDE = 100  # no view is shrunk below this
UPSCALE_BELOW = 1000  # enlarge only images whose long side is under this

ZBAR_HELP = (
    "install the zbar library: Debian/Ubuntu `apt install libzbar0`, Fedora `dnf install zbar`, "
    "macOS `brew install zbar`"
)


class ScannerUnavailable(RuntimeError):
    """No barcode engine could be loaded; the message says what to install."""


class DecodeError(ValueError):
    """The input is not an image that can be read."""


# --- engines ----------------------------------------------------------------------------

_ZBAR_TYPES: dict[Symbology, str] = {
    Symbology.QR_CODE: "QRCODE",
    Symbology.EAN_13: "EAN13",
    Symbology.EAN_8: "EAN8",
    Symbology.UPC_A: "UPCA",
    Symbology.UPC_E: "UPCE",
    Symbology.CODE_128: "CODE128",
    Symbology.CODE_39: "CODE39",
    Symbology.CODE_93: "CODE93",
    Symbology.ITF: "I25",
    Symbology.CODABAR: "CODABAR",
    Symbology.DATABAR: "DATABAR",
    Symbology.DATABAR_EXPANDED: "DATABAR_EXP",
}
_FROM_ZBAR = {v: k for k, v in _ZBAR_TYPES.items()} | {"ISBN13": Symbology.EAN_13}

_ZXING_TYPES: dict[Symbology, str] = {
    Symbology.QR_CODE: "QRCode",
    Symbology.MICRO_QR: "MicroQRCode",
    Symbology.EAN_13: "EAN13",
    Symbology.EAN_8: "EAN8",
    Symbology.UPC_A: "UPCA",
    Symbology.UPC_E: "UPCE",
    Symbology.CODE_128: "Code128",
    Symbology.CODE_39: "Code39",
    Symbology.CODE_93: "Code93",
    Symbology.ITF: "ITF",
    Symbology.CODABAR: "Codabar",
    Symbology.DATABAR: "DataBar",
    Symbology.DATABAR_EXPANDED: "DataBarExp",
    Symbology.PDF417: "PDF417",
    Symbology.DATA_MATRIX: "DataMatrix",
    Symbology.AZTEC: "Aztec",
}
# zxing-cpp 3 reports sub-formats (Code39Ext, QRCodeModel2, ITF14 …); map them by family,
# longest name first so DataBarExpStk is DataBarExp rather than DataBar.
_ZXING_FAMILIES = sorted(((name, sym) for sym, name in _ZXING_TYPES.items()), key=lambda p: -len(p[0]))


def _zxing_symbology(name: str) -> Symbology:
    for prefix, sym in _ZXING_FAMILIES:
        if name.startswith(prefix):
            return sym
    return Symbology.OTHER


# Noise decodes as short linear codes (zbar read a one-letter Code 39 in an enlarged
# corpus photo that holds no barcode); no card or receipt is that short.
MIN_LENGTH: dict[Symbology, int] = {
    Symbology.CODE_39: 3,
    Symbology.CODE_93: 3,
    Symbology.CODE_128: 3,
    Symbology.ITF: 4,
    Symbology.CODABAR: 4,
}


def plausible(code: Barcode) -> bool:
    return len(code.text) >= MIN_LENGTH.get(code.format, 1)


def _text(data: bytes) -> str:
    # zbar hands out UTF-8 (it converts QR text itself); binary payloads fall back to bytes.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


class ZbarEngine:
    name = "zbar"

    def __init__(self, module: ModuleType, formats: Iterable[Symbology]) -> None:
        self._decode = module.decode
        self._symbols = [module.ZBarSymbol[_ZBAR_TYPES[f]] for f in formats if f in _ZBAR_TYPES]

    def read(self, gray: Image.Image, variant: str = "") -> list[Barcode]:
        return [
            Barcode(_FROM_ZBAR.get(r.type, Symbology.OTHER), _text(r.data), self.name)
            for r in self._decode(gray, symbols=self._symbols)
        ]


class ZxingEngine:
    name = "zxing"

    def __init__(self, module: ModuleType, formats: Iterable[Symbology]) -> None:
        self._zx = module
        # Kept as text, not as zxingcpp.BarcodeFormats: a nanobind object that outlives
        # the interpreter's teardown makes nanobind print "leaked" warnings at exit.
        self._formats = ",".join(_ZXING_TYPES[f] for f in formats if f in _ZXING_TYPES)

    def read(self, gray: Image.Image, variant: str = "") -> list[Barcode]:
        zx = self._zx
        binarizer = zx.Binarizer.GlobalHistogram if variant == "global" else zx.Binarizer.LocalAverage
        # Plain text mode: the symbol's own text; the default (HRI) spells control
        # characters as <GS>, <SOH> for display.
        found = zx.read_barcodes(
            gray, formats=zx.barcode_formats_from_str(self._formats), text_mode=zx.TextMode.Plain, binarizer=binarizer
        )
        return [Barcode(_zxing_symbology(r.format.name), r.text, self.name) for r in found]


Engine = ZbarEngine | ZxingEngine


def _import_pyzbar() -> ModuleType:
    return importlib.import_module("pyzbar.pyzbar")


NO_ZXING_ENV = "VITRINE_NO_ZXING"
"""Set to 1 to run without zxing-cpp even where it is installed: the decoder as a phone has it
(zbar alone), for the tests and the scan benchmark's second figure."""


def _import_zxingcpp() -> ModuleType:
    if os.environ.get(NO_ZXING_ENV) == "1":
        raise ModuleNotFoundError(f"zxing-cpp is switched off ({NO_ZXING_ENV}=1)", name="zxingcpp")
    return importlib.import_module("zxingcpp")


def load_engines(formats: Iterable[Symbology]) -> tuple[list[Engine], list[str]]:
    """The engines that load here, and a sentence for each one that does not."""
    formats = list(formats)
    engines: list[Engine] = []
    problems: list[str] = []
    try:
        engines.append(ZxingEngine(_import_zxingcpp(), formats))
    except ImportError as e:
        problems.append(f"zxing-cpp is not available ({e}); pip install zxing-cpp")
    try:
        engines.append(ZbarEngine(_import_pyzbar(), formats))
    except ModuleNotFoundError as e:
        if e.name and e.name.split(".")[0] == "pyzbar":
            problems.append(f"pyzbar is not installed ({e}); pip install pyzbar")
        else:
            problems.append(f"pyzbar cannot load the zbar library ({e}); {ZBAR_HELP}")
    except (ImportError, OSError) as e:  # pyzbar raises these when libzbar is absent
        problems.append(f"pyzbar cannot load the zbar library ({e}); {ZBAR_HELP}")
    return engines, problems


# --- images -----------------------------------------------------------------------------


def _open(source: ImageSource) -> Image.Image:
    """The image behind a path or bytes, header read, pixels not yet decoded."""
    if isinstance(source, Image.Image):
        return source
    try:
        if isinstance(source, bytes | bytearray | memoryview):
            return Image.open(io.BytesIO(bytes(source)))
        return Image.open(source)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        raise DecodeError(f"cannot read the image: {e}") from e


def _load(img: Image.Image) -> Image.Image:
    try:
        img.load()
    except (OSError, ValueError, Image.DecompressionBombError) as e:  # truncated, corrupt
        raise DecodeError(f"cannot read the image: {e}") from e
    return img


def _to_gray(img: Image.Image) -> Image.Image:
    """8-bit grayscale; transparency is laid on white, as a screenshot shows it."""
    if img.mode == "L":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        lo, hi = img.convert("F").getextrema()
        assert isinstance(lo, float) and isinstance(hi, float)  # one band
        span = (hi - lo) or 1
        return img.convert("F").point(lambda v: (v - lo) * 255 / span).convert("L")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("L")
    return img.convert("L")


def _fit(img: Image.Image, side: int) -> Image.Image | None:
    """`img` shrunk so its long side is `side`, or None when it is not larger."""
    long = max(img.size)
    if long <= side:
        return None
    k = side / long
    # reducing_gap: a cheap integer box reduction first, then a small exact resize.
    return img.resize(
        (max(1, round(img.width * k)), max(1, round(img.height * k))), Image.Resampling.BOX, reducing_gap=2.0
    )


class Views:
    """The versions of one image the cascade looks at, each made once and on demand.

    A large JPEG (a phone photo) is first decoded by libjpeg at 1/2 to 1/8 scale in
    grayscale, which is several times faster than decoding all 12 MP; the full
    resolution is decoded only if a step asks for it.
    """

    def __init__(self, source: ImageSource) -> None:
        self._source = source
        self._made: dict[str, Image.Image | None] = {}
        if isinstance(source, Image.Image):
            self.size = source.size
            self._made["gray"] = _to_gray(_load(source))
        else:
            img = _open(source)
            self.size = img.size
            if img.format == "JPEG" and max(img.size) >= 2 * PREVIEW_SIDE:
                k = PREVIEW_SIDE / max(img.size)
                img.draft("L", (int(img.width * k) + 1, int(img.height * k) + 1))
                self._made["base"] = _fit_or_same(_to_gray(_load(img)), PREVIEW_SIDE)
            else:
                self._made["gray"] = _to_gray(_load(img))

    def get(self, name: str) -> Image.Image | None:
        if name not in self._made:
            self._made[name] = _VIEWS[name](self)
        return self._made[name]

    @property
    def gray(self) -> Image.Image:
        """The whole image in grayscale; decoded here only after a reduced-scale draft."""
        if "gray" not in self._made:
            self._made["gray"] = _to_gray(_load(_open(self._source)))
        img = self._made["gray"]
        assert img is not None
        return img


def _fit_or_same(img: Image.Image, side: int) -> Image.Image:
    return _fit(img, side) or img


def _base(v: Views) -> Image.Image:
    return _fit_or_same(v.gray, PREVIEW_SIDE)


def _full(v: Views) -> Image.Image | None:
    return v.gray if max(v.size) > PREVIEW_SIDE else None


def _small(v: Views) -> Image.Image | None:
    base = v.get("base")
    assert base is not None
    if min(base.size) < 2 * MIN_SIDE:
        return None
    return base.resize((base.width // 2, base.height // 2), Image.Resampling.BOX)


def _sharpened(view: str, radius: int, percent: int) -> Callable[[Views], Image.Image | None]:
    def make(v: Views) -> Image.Image | None:
        img = v.get(view)
        return img and img.filter(ImageFilter.UnsharpMask(radius=radius, percent=percent, threshold=0))

    return make


def _up(v: Views) -> Image.Image | None:
    if max(v.size) >= UPSCALE_BELOW:
        return None
    g = v.gray
    big = g.resize((g.width * 2, g.height * 2), Image.Resampling.BICUBIC)
    return big.filter(ImageFilter.UnsharpMask(radius=6, percent=150, threshold=0))


_VIEWS: dict[str, Callable[[Views], Image.Image | None]] = {
    "base": _base,
    "full": _full,
    "small": _small,
    "sharp": _sharpened("base", 2, 150),
    "sharper": _sharpened("base", 4, 300),
    "full_sharp": _sharpened("full", 2, 150),
    "up": _up,
}


@dataclass(frozen=True, slots=True)
class Step:
    view: str
    engine: str
    variant: str = ""
    quick: bool = False  # part of the cheap first pass that `quick=True` limits itself to

    def __str__(self) -> str:
        return f"{self.view}:{self.engine}" + (f"/{self.variant}" if self.variant else "")


CASCADE: tuple[Step, ...] = (
    # Where typical photos decode: a few milliseconds.
    Step("base", "zxing", quick=True),
    Step("base", "zbar", quick=True),
    Step("full", "zxing", quick=True),
    # Fallbacks, in the order of what they add on the corpus and generated photos.
    Step("sharp", "zxing"),
    Step("full_sharp", "zxing"),
    Step("small", "zxing", "global"),
    Step("sharper", "zxing"),
    Step("up", "zxing"),
    Step("up", "zbar"),
    # These add nothing once both engines ran the steps above, but each recovers codes
    # when one engine is missing (zbar alone on a phone, zxing-cpp alone without libzbar).
    Step("base", "zxing", "global"),
    Step("small", "zxing"),
    Step("sharp", "zbar"),
    Step("full", "zbar"),
    Step("small", "zbar"),
    Step("sharper", "zbar"),
)


# --- the decoder ------------------------------------------------------------------------


class Decoder:
    """Reads barcodes with the engines that load here. Thread-safe: it keeps no per-call state."""

    def __init__(self, formats: Iterable[Symbology] = DEFAULT_FORMATS, cascade: Sequence[Step] = CASCADE) -> None:
        self.formats = frozenset(formats)
        engines, self.problems = load_engines(sorted(self.formats))
        if not engines:
            raise ScannerUnavailable("no barcode engine could be loaded: " + "; ".join(self.problems))
        self._engines = {e.name: e for e in engines}
        self.cascade = tuple(s for s in cascade if s.engine in self._engines)

    @property
    def engines(self) -> tuple[str, ...]:
        return tuple(self._engines)

    def decode(self, image: ImageSource, *, exhaustive: bool = False, quick: bool = False) -> list[Barcode]:
        """Every barcode found, in the order found.

        Stops at the first step that finds something, unless `exhaustive`: then every
        step runs and the results are merged. `quick` runs only the cheap first steps
        (for a stream of camera frames, where the next frame is the better retry).
        Raises DecodeError when `image` cannot be read.
        """
        return self.trace(image, exhaustive=exhaustive, quick=quick)[0]

    def trace(
        self, image: ImageSource, *, exhaustive: bool = False, quick: bool = False
    ) -> tuple[list[Barcode], list[str]]:
        """Like decode(), plus the steps that found something (for the bench and tests)."""
        views = Views(image)
        found: dict[Barcode, None] = {}
        hits: list[str] = []
        for step in self.cascade:
            if quick and not step.quick:
                break
            img = views.get(step.view)
            if img is None:
                continue
            codes = [
                c
                for c in self._engines[step.engine].read(img, step.variant)
                if c.format in self.formats and plausible(c)
            ]
            if codes:
                hits.append(str(step))
                found.update(dict.fromkeys(codes))
                if not exhaustive:
                    break
        return list(found), hits


_default: Decoder | None = None


def default_decoder() -> Decoder:
    """The shared decoder; logs once what is missing."""
    global _default
    if _default is None:
        _default = Decoder()
        for problem in _default.problems:
            log.warning("barcode scanning: %s", problem)
    return _default


def decode(image: ImageSource, *, exhaustive: bool = False, quick: bool = False) -> list[Barcode]:
    """Every barcode in `image` (a PIL image, a path, or the bytes of an image file)."""
    return default_decoder().decode(image, exhaustive=exhaustive, quick=quick)


def engine_problems() -> list[str]:
    return list(default_decoder().problems)


# --- the engines on their own, as the yardstick for the cascade -------------------------


def decode_plain_pyzbar(image: ImageSource) -> list[Barcode]:
    """One plain pyzbar call with its defaults (all symbologies); [] without libzbar."""
    try:
        module = _import_pyzbar()
    except (ImportError, OSError):
        return []
    img = image if isinstance(image, Image.Image) else _load(_open(image))
    return [Barcode(_FROM_ZBAR.get(r.type, Symbology.OTHER), _text(r.data), "zbar") for r in module.decode(img)]


def decode_plain_zxing(image: ImageSource) -> list[Barcode]:
    """One plain zxingcpp.read_barcodes call with its defaults; [] without zxing-cpp."""
    try:
        module = _import_zxingcpp()
    except ImportError:
        return []
    img = image if isinstance(image, Image.Image) else _load(_open(image))
    return [Barcode(_zxing_symbology(r.format.name), r.text, "zxing") for r in module.read_barcodes(img)]
