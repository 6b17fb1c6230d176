"""Draw the app's icon and splash images into assets/ (flet build reads them from there).

    python build_scripts/make_icons.py

Drawn, not designed: a "V" in the brand's bronze on the warm surface colour, so every
platform's launcher and splash shows Vitrine rather than Flet's default logo. Re-run after
changing the colours; the PNGs are committed.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
FONT = ASSETS / "fonts" / "DejaVuSans-Bold.ttf"
ACCENT = (0x8C, 0x6D, 0x46)  # app/ui/theme.py ACCENT
SURFACE = (0xFB, 0xF8, 0xF4)  # app/ui/theme.py SURFACE
SIDE = 1024


def letter(side: int, colour: tuple[int, int, int], scale: float) -> Image.Image:
    """A transparent square with the "V" centred, `scale` of the side tall."""
    img = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(FONT), int(side * scale))
    left, top, right, bottom = draw.textbbox((0, 0), "V", font=font)
    draw.text(((side - (right - left)) / 2 - left, (side - (bottom - top)) / 2 - top), "V", font=font, fill=colour)
    return img


def icon() -> Image.Image:
    """The launcher icon: a bronze rounded square with a light "V" (opaque, as iOS requires)."""
    img = Image.new("RGBA", (SIDE, SIDE), (*SURFACE, 255))
    ImageDraw.Draw(img).rounded_rectangle((0, 0, SIDE - 1, SIDE - 1), radius=SIDE // 5, fill=(*ACCENT, 255))
    img.alpha_composite(letter(SIDE, SURFACE, 0.62))
    return img.convert("RGB")


def icon_android() -> Image.Image:
    """Android's adaptive icon foreground: the "V" inside the 66% safe zone, transparent around it."""
    return letter(SIDE, ACCENT, 0.40)


def splash() -> Image.Image:
    """The splash image, shown centred on the splash colour: the "V" and the name under it."""
    img = letter(SIDE, ACCENT, 0.45)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(FONT), SIDE // 10)
    left, _, right, _ = draw.textbbox((0, 0), "Vitrine", font=font)
    draw.text(((SIDE - (right - left)) / 2 - left, SIDE * 0.78), "Vitrine", font=font, fill=(*ACCENT, 255))
    return img


def main() -> None:
    icon().save(ASSETS / "icon.png")
    icon_android().save(ASSETS / "icon_android.png")
    splash().save(ASSETS / "splash.png")
    icon().resize((64, 64), Image.Resampling.LANCZOS).save(ASSETS / "favicon.png")  # the browser tab's (web)
    for name in ("icon.png", "icon_android.png", "splash.png", "favicon.png"):
        print(ASSETS / name)


if __name__ == "__main__":
    main()
