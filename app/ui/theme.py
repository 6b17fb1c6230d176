"""Colours and the theme: calm neutrals with a champagne accent, as a boutique would."""

import flet as ft

ACCENT = "#8C6D46"
INK = "#1F1B16"
MUTED = "#6E6358"
SURFACE = "#FBF8F4"
OK = "#2E7D32"
WARN = "#B26A00"
ERROR = "#B3261E"
TIER_COLOURS = {"Silver": "#8E9AA6", "Gold": "#C9A227", "Platinum": "#5B6B7A"}
FONT = "DejaVu Sans"
FONTS = {FONT: "fonts/DejaVuSans.ttf", "DejaVu Sans Bold": "fonts/DejaVuSans-Bold.ttf"}


def theme() -> ft.Theme:
    return ft.Theme(color_scheme_seed=ACCENT, font_family=FONT, use_material3=True)
