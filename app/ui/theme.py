"""Colours and the theme: calm neutrals with a champagne accent, as a boutique would."""

import flet as ft

ACCENT = "#8C6D46"
INK = "#1F1B16"
MUTED = "#6E6358"
SURFACE = "#FBF8F4"
OK = "#2E7D32"
WARN = "#B26A00"
ERROR = "#B3261E"
CARD_BORDER = "#E6DED3"
TIER_COLOURS = {"Silver": "#8E9AA6", "Gold": "#C9A227", "Platinum": "#5B6B7A"}
# One family with both faces, so bold text uses the real bold face, not a synthesised one.
# In the browser the family comes from assets/assets/FontManifest.json, which the Flutter engine
# loads before its first frame; `page.fonts` would load it only after the first frames were drawn
# in the engine's fallback font and swap it in mid-render (see docs/rendering.md).
# The desktop client has no such manifest and takes FONTS through `page.fonts`.
FONT = "DejaVu Sans"
FONTS = {FONT: "fonts/DejaVuSans.ttf"}


def theme() -> ft.Theme:
    # Fingers need 48 dp: standard density everywhere (Flutter makes desktop platforms, and a
    # browser on one, compact), and buttons padded to 48 dp tall, as Flutter pads their tap
    # targets only on Android and iOS (Flet cannot set materialTapTargetSize).
    tall = ft.ButtonStyle(padding=ft.Padding.symmetric(horizontal=16, vertical=14))
    return ft.Theme(
        color_scheme_seed=ACCENT,
        font_family=FONT,
        use_material3=True,
        visual_density=ft.VisualDensity.STANDARD,
        button_theme=ft.ButtonTheme(style=tall),
        text_button_theme=ft.TextButtonTheme(style=tall),
        filled_button_theme=ft.FilledButtonTheme(style=tall),
        outlined_button_theme=ft.OutlinedButtonTheme(style=tall),
        icon_button_theme=ft.IconButtonTheme(style=ft.ButtonStyle(padding=12)),
    )


def panel(**kwargs) -> ft.Container:
    """A white card with the app's border: every screen's sections look alike."""
    return ft.Container(
        bgcolor=ft.Colors.WHITE, border_radius=12, padding=16, border=ft.Border.all(1, CARD_BORDER), **kwargs
    )
