"""Seeded photos of Russian thermal receipts, for the scanner's tests and benchmark.

`receipt_photo(seed)` renders a receipt (shop, items, ИТОГ, ФН/ФД/ФП lines and the
fiscal QR, drawn by zxing-cpp's writer) and photographs it the way a phone does: framed
loosely or tightly, rotated, tilted in perspective, out of focus, lit unevenly, noisy,
JPEG-compressed, from a 640×480 camera frame up to a 12 MP photo. The same seed gives
the same bytes on every run (with the same Pillow): only `random.Random(seed)` is used,
never global state (so no Image.effect_noise, which draws from C's rand()).

Kept in check is only what no camera app would hand over: the QR's modules stay at
least MIN_MODULE_PX wide, as when a consultant aims at the QR, and defocus stays under
0.4 module (Gaussian sigma): at half a module neither engine read any photo tried, with
any preprocessing, and a person would take another shot.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import zxingcpp
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

FONTS = Path(__file__).resolve().parents[2] / "assets" / "fonts"
MIN_MODULE_PX = 2.6
FRAME_SIZES = [  # (width, height, weight): camera preview frames to full photos
    (640, 480, 3),
    (1280, 720, 3),
    (1920, 1080, 3),
    (1600, 1200, 1),
    (2592, 1944, 1),
    (3264, 2448, 1),
    (4000, 3000, 2),
]
SHOPS = [
    "ООО «ВИТРИНА МОДА»",
    "ИП Соколова Е.А.",
    "ООО «Бутик Арбат»",
    "АО «ЛУЧШИЕ ВЕЩИ»",
    "ООО «Шёлк и Кашемир»",
    "ООО «Ателье на Невском»",
]
ADDRESSES = [
    "г. Москва, ул. Петровка, д. 12",
    "г. Санкт-Петербург, Невский пр., 48",
    "г. Казань, ул. Баумана, 31",
    "г. Екатеринбург, ул. Вайнера, 9",
    "г. Новосибирск, Красный пр., 25",
]
ITEMS = [
    "Платье трикотажное",
    "Жакет шерстяной",
    "Блуза шёлковая",
    "Брюки прямые",
    "Шарф кашемировый",
    "Сумка кожаная",
    "Пальто двубортное",
    "Юбка плиссе",
    "Туфли лодочки",
    "Ремень кожаный",
    "Свитер из мериноса",
    "Пакет фирменный",
]
CASHIERS = ["Иванова А.", "Петрова М.", "Смирнов Д.", "Кузнецова О.", "Орлова Е."]
PAYMENTS = ["БЕЗНАЛИЧНЫМИ", "НАЛИЧНЫМИ", "ЭЛЕКТРОННЫМИ"]
KINDS = {1: "ПРИХОД", 2: "ВОЗВРАТ ПРИХОДА", 3: "РАСХОД", 4: "ВОЗВРАТ РАСХОДА"}


@dataclass
class ReceiptPhoto:
    """One photo: its JPEG bytes, the QR text it must decode to, and how it was made."""

    seed: int
    payload: str
    jpeg: bytes
    size: tuple[int, int]
    params: dict[str, object] = field(default_factory=dict)

    def image(self) -> Image.Image:
        img = Image.open(io.BytesIO(self.jpeg))
        img.load()
        return img


def receipt_photos(count: int, seed: int = 0) -> Iterator[ReceiptPhoto]:
    for k in range(count):
        yield receipt_photo(seed * 1_000_003 + k)


def receipt_photo(seed: int) -> ReceiptPhoto:
    rng = random.Random(seed)
    payload, lines = receipt_content(rng)
    paper, qr_box, module = render_receipt(rng, payload, lines)
    img, params = photograph(rng, paper, qr_box, module)
    quality = rng.randint(35, 92)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    params["jpeg_quality"] = quality
    return ReceiptPhoto(seed, payload, buf.getvalue(), img.size, params)


# --- the receipt ------------------------------------------------------------------------


def receipt_content(rng: random.Random) -> tuple[str, list[str]]:
    """The fiscal QR payload and the text lines printed above it (width 32 characters)."""
    kind = rng.choices([1, 2, 3, 4], weights=[85, 10, 3, 2])[0]
    when = dt.datetime(2023, 1, 1) + dt.timedelta(seconds=rng.randrange(3 * 365 * 86400))
    items = [
        (rng.choice(ITEMS), rng.randint(1, 3), rng.randrange(490, 89_990, 10) * 100) for _ in range(rng.randint(1, 6))
    ]
    if rng.random() < 0.3:  # a discount leaves kopecks
        name, qty, price = items[0]
        items[0] = (name, qty, price - rng.randrange(1, 10_000))
    total = sum(qty * price for _, qty, price in items)
    fn = rng.choice(["9960", "9961", "7380", "7281", "9999"]) + f"{rng.randrange(10**12):012d}"
    fd = rng.randint(1, 250_000)
    fp = rng.randint(1, 4_294_967_295)
    seconds = rng.random() < 0.3
    stamp = when.strftime("%Y%m%dT%H%M%S" if seconds else "%Y%m%dT%H%M")
    rub = f"{total // 100}" if total % 100 == 0 and rng.random() < 0.3 else f"{total // 100}.{total % 100:02d}"
    parts = [f"t={stamp}", f"s={rub}", f"fn={fn}", f"i={fd}", f"fp={fp}", f"n={kind}"]
    if rng.random() < 0.1:
        rng.shuffle(parts)
    payload = "&".join(parts)

    def money(kop: int) -> str:
        return f"{kop // 100}.{kop % 100:02d}"

    def row(left: str, right: str, width: int = 32) -> str:
        return left[: width - len(right) - 1].ljust(width - len(right)) + right

    lines = [
        rng.choice(SHOPS).center(32),
        rng.choice(ADDRESSES)[:32].center(32),
        f"ИНН {rng.randrange(10**10):010d}".center(32),
        "",
        f"КАССОВЫЙ ЧЕК / {KINDS[kind]}".center(32),
        row(f"Смена № {rng.randint(1, 400)}", f"Чек № {rng.randint(1, 300)}"),
        "",
    ]
    for name, qty, price in items:
        lines += [name, row(f"  {qty} x {money(price)}", f"={money(qty * price)}")]
    lines += [
        "-" * 32,
        row("ИТОГ", f"={money(total)}"),
        row(rng.choice(PAYMENTS), f"={money(total)}"),
        row("СУММА НДС 20%", f"={money(total // 6)}"),
        "",
        f"КАССИР: {rng.choice(CASHIERS)}",
        row("ФН", fn),
        row("ФД", str(fd)),
        row("ФП", str(fp)),
        when.strftime("%d.%m.%y %H:%M"),
        "Сайт ФНС: www.nalog.gov.ru",
        "",
    ]
    return payload, lines


Box = tuple[int, int, int, int]


def render_receipt(rng: random.Random, payload: str, lines: list[str]) -> tuple[Image.Image, Box, int]:
    """The printed receipt (grey paper, faded thermal print), the QR's box and module size in px."""
    width = rng.choice([384, 576])  # 58 mm and 80 mm rolls at 203 dpi
    size = width // 20  # 32 characters across
    font = ImageFont.truetype(str(FONTS / "DejaVuSansMono.ttf"), size)
    bold = ImageFont.truetype(str(FONTS / "DejaVuSansMono-Bold.ttf"), size)
    step = int(size * 1.3)
    module = rng.choice([3, 4]) if width == 576 else rng.choice([2, 3])
    qr = qr_bitmap(payload)
    qr = qr.resize((qr.width * module, qr.height * module), Image.Resampling.NEAREST)
    margin = width // 24
    height = margin * 2 + step * len(lines) + qr.height + step * 2
    paper = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(paper)
    for k, text in enumerate(lines):
        face = bold if text.startswith(("ИТОГ", "КАССОВЫЙ")) else font
        draw.text((margin // 2, margin + k * step), text, fill=0, font=face)
    qx, qy = (width - qr.width) // 2, margin + step * len(lines)
    paper.paste(qr, (qx, qy))
    # Thermal print: never quite black, paper never quite white, the head fades in stripes.
    ink, white = rng.randint(10, 80), rng.randint(225, 250)
    paper = paper.point(lambda v: ink + (white - ink) * v // 255)
    stripes = Image.new("L", (width, 1), 0)
    for x in range(width):
        stripes.putpixel((x, 0), rng.choice([0] * 12 + [rng.randint(10, 60)]))
    stripes = stripes.filter(ImageFilter.BoxBlur(2)).resize((width, height))
    paper = ImageChops.add(paper, stripes)
    return paper, (qx, qy, qx + qr.width, qy + qr.height), module


def qr_bitmap(payload: str) -> Image.Image:
    """The QR at one pixel per module with a 4-module quiet zone, drawn by zxing-cpp."""
    code = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    return Image.fromarray(zxingcpp.write_barcode_to_image(code, scale=1, add_quiet_zones=True))


# --- the photo --------------------------------------------------------------------------


def photograph(
    rng: random.Random, paper: Image.Image, qr_box: Box, module: int
) -> tuple[Image.Image, dict[str, object]]:
    """The paper on a table, seen by a phone; and the parameters drawn, for reports."""
    fw, fh, _ = rng.choices(FRAME_SIZES, weights=[s[2] for s in FRAME_SIZES])[0]
    if rng.random() < 0.4:
        fw, fh = fh, fw  # portrait
    framing = rng.choice(["qr", "bottom", "whole"])
    qx0, qy0, qx1, qy1 = qr_box
    if framing == "qr":
        pad = (qx1 - qx0) * rng.uniform(0.15, 0.8)
        crop = (qx0 - pad, qy0 - pad, qx1 + pad, qy1 + pad)
    elif framing == "bottom":
        crop = (0, max(0, qy0 - (qy1 - qy0) * rng.uniform(0.5, 2.5)), paper.width, paper.height)
    else:
        crop = (0, 0, paper.width, paper.height)
    cw, ch = crop[2] - crop[0], crop[3] - crop[1]
    scale = rng.uniform(0.45, 0.9) * min(fw / cw, fh / ch)
    # The QR must stay readable in principle, and fit in the frame whatever the angle.
    scale = max(scale, MIN_MODULE_PX * rng.uniform(1.0, 1.3) / module)
    scale = min(scale, 0.65 * min(fw, fh) / (qy1 - qy0))
    angle = rng.uniform(-25, 25) + rng.choices([0, 90, 180, 270], weights=[70, 12, 6, 12])[0]
    tilt = rng.uniform(0, 0.12)
    # Centre the view on the crop, but keep the QR inside the frame.
    cx, cy = (crop[0] + crop[2]) / 2, (crop[1] + crop[3]) / 2
    qcx, qcy = (qx0 + qx1) / 2, (qy0 + qy1) / 2
    half = 0.5 * min(fw, fh) / scale - 0.75 * (qy1 - qy0)
    cx = min(max(cx, qcx - max(half, 0)), qcx + max(half, 0))
    cy = min(max(cy, qcy - max(half, 0)), qcy + max(half, 0))

    coeffs = _view_coeffs(rng, (fw, fh), (cx, cy), scale, angle, tilt)
    background = _table(rng, (fw, fh))
    paper_rgb = Image.merge("RGB", [paper.point(lambda v, k=k: min(255, v + k)) for k in _tint(rng)])
    shot = paper_rgb.transform((fw, fh), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    mask = Image.new("L", paper.size, 255).transform(
        (fw, fh), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR
    )
    background.paste(shot, (0, 0), mask)
    img = background

    light = rng.uniform(0.5, 1.0)
    img = ImageChops.multiply(img, _light(rng, (fw, fh), light))
    # Defocus, as a Gaussian sigma in modules: autofocus mostly works. At half a module,
    # neither engine read any of the photos tried, with any preprocessing; a person retakes.
    blur = rng.choice([0.0, 0.0, rng.uniform(0.1, 0.25), rng.uniform(0.25, 0.4)]) * module * scale
    if blur > 0.3:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    noise = rng.uniform(0, 18)
    img = _add_noise(rng, img, noise)
    params = {
        "frame": (fw, fh),
        "framing": framing,
        "module_px": round(module * scale, 2),
        "angle": round(angle, 1),
        "tilt": round(tilt, 3),
        "blur": round(blur, 2),
        "light": round(light, 2),
        "noise": round(noise, 1),
    }
    return img, params


def _view_coeffs(
    rng: random.Random, frame: tuple[int, int], centre: tuple[float, float], scale: float, angle: float, tilt: float
) -> tuple[float, ...]:
    """PIL PERSPECTIVE data mapping frame pixels to paper pixels."""
    fw, fh = frame
    a = math.radians(angle)
    cos, sin = math.cos(a), math.sin(a)
    # Where the frame's corners land on the paper for a flat, rotated view ...
    corners = [(0, 0), (fw, 0), (fw, fh), (0, fh)]
    flat = []
    for x, y in corners:
        dx, dy = (x - fw / 2) / scale, (y - fh / 2) / scale
        flat.append((centre[0] + dx * cos - dy * sin, centre[1] + dx * sin + dy * cos))
    # ... then pull two neighbouring corners in: the phone leans towards one side.
    side = rng.randrange(4)
    shrunk = list(flat)
    for k in (side, (side + 1) % 4):
        ox, oy = flat[(k + 2) % 4]
        px, py = flat[k]
        shrunk[k] = (px + (px - ox) * tilt, py + (py - oy) * tilt)
    return _perspective(corners, shrunk)


def _perspective(src: Sequence[tuple[float, float]], dst: Sequence[tuple[float, float]]) -> tuple[float, ...]:
    """Coefficients (a..h) with dst = ((a x + b y + c) / (g x + h y + 1), ...) for src points."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return tuple(_solve(rows, rhs))


def _solve(m: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (8×8; no numpy in the app's venv)."""
    n = len(b)
    a = [[*row, b[k]] for k, row in enumerate(m)]
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[piv] = a[piv], a[col]
        for r in range(n):
            if r != col:
                f = a[r][col] / a[col][col]
                a[r] = [x - f * y for x, y in zip(a[r], a[col], strict=True)]
    return [a[k][n] / a[k][k] for k in range(n)]


def _tint(rng: random.Random) -> tuple[int, int, int]:
    """Warm or cool white balance, added per channel to the grey paper."""
    warm = rng.randint(-12, 12)
    return (max(0, warm), 0, max(0, -warm))


def _table(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A table top: a flat colour with a soft gradient and grain."""
    base = rng.choice([(120, 85, 60), (200, 200, 195), (60, 60, 65), (170, 140, 110), (30, 30, 30)])
    small = Image.new("RGB", (8, 6))
    cells = []
    for _ in range(48):  # brightness varies across the table, colour hardly
        shade = rng.randint(-25, 25)
        cells.append(tuple(max(0, min(255, c + shade + rng.randint(-4, 4))) for c in base))
    small.putdata(cells)
    return small.resize(size, Image.Resampling.BICUBIC)


def _light(rng: random.Random, size: tuple[int, int], darkest: float) -> Image.Image:
    """A multiplier image: light falling off towards one side, sometimes a soft shadow."""
    grad = Image.linear_gradient("L").resize((64, 64))
    grad = grad.rotate(rng.uniform(0, 360), resample=Image.Resampling.BILINEAR, fillcolor=128)
    lo = int(255 * darkest)
    grad = grad.point(lambda v: lo + (255 - lo) * v // 255)
    if rng.random() < 0.3:  # the phone's own shadow
        shadow = Image.new("L", (64, 64), 255)
        x, y = rng.randint(0, 48), rng.randint(0, 48)
        ImageDraw.Draw(shadow).ellipse((x - 24, y - 24, x + 24, y + 24), fill=rng.randint(150, 210))
        grad = ImageChops.multiply(grad, shadow.filter(ImageFilter.GaussianBlur(6)))
    return grad.resize(size, Image.Resampling.BICUBIC).convert("RGB")


def _add_noise(rng: random.Random, img: Image.Image, amplitude: float) -> Image.Image:
    """Sensor grain of about ±amplitude grey levels, slightly clumped as after demosaicing."""
    if amplitude < 1:
        return img
    w, h = img.size
    nw, nh = max(1, w // 2), max(1, h // 2)
    layers = []
    for _ in range(3):
        noise = Image.frombytes("L", (nw, nh), rng.randbytes(nw * nh)).resize((w, h), Image.Resampling.BILINEAR)
        layers.append(noise.point(lambda v: max(0, min(255, round(128 + (v - 128) * amplitude / 64)))))
    return ImageChops.add(img, Image.merge("RGB", layers), 1.0, -128)
