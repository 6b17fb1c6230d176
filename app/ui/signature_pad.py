"""The signature pad: a canvas under a gesture detector, drawing the strokes as they come.

Pan events carry the pointer's position in the detector's own coordinates, which are the
canvas's (the detector wraps it exactly); each becomes a point of the current stroke in
`SignaturePadModel`, the source of truth the PNG is rendered from.
"""

from __future__ import annotations

from collections.abc import Callable

import flet as ft
import flet.canvas as cv

from app.state.signature_pad import SignaturePadModel
from app.ui import theme
from app.ui.strings import t

PAD_HEIGHT = 220
INK = "#101840"  # the rendering's ink (app.services.signature.INK)
DRAG_EVERY = 16  # ms between pan updates: a point per frame is smooth enough, and not a flood


def _shapes(strokes: list[list[tuple[float, float]]]) -> list[cv.Shape]:
    paint = ft.Paint(color=INK, stroke_width=2.6, stroke_cap=ft.StrokeCap.ROUND, stroke_join=ft.StrokeJoin.ROUND)
    out: list[cv.Shape] = []
    for s in strokes:
        points: list[ft.Offset | tuple[float, float]] = [ft.Offset(x, y) for x, y in s]
        mode = cv.PointMode.POLYGON if len(points) > 1 else cv.PointMode.POINTS
        out.append(cv.Points(points=points, point_mode=mode, paint=paint))
    return out


@ft.component
def SignaturePad(pad: SignaturePadModel, lang: str, on_stroke: Callable[[], None] | None = None) -> ft.Control:
    def start(e: ft.DragStartEvent) -> None:
        pad.begin(e.local_position.x, e.local_position.y)
        if on_stroke is not None:
            on_stroke()  # a refused signature's message goes once she draws again

    def move(e: ft.DragUpdateEvent) -> None:
        pad.extend(e.local_position.x, e.local_position.y)

    def resized(e: cv.CanvasResizeEvent) -> None:
        pad.resize(e.width, e.height)

    canvas = cv.Canvas(shapes=_shapes(pad.strokes), expand=True, height=PAD_HEIGHT, on_resize=resized)
    area = ft.Container(
        height=PAD_HEIGHT,
        bgcolor=ft.Colors.WHITE,
        border=ft.Border.all(2, theme.ERROR if pad.error else theme.ACCENT),
        border_radius=8,
        content=ft.GestureDetector(
            content=canvas,
            on_pan_start=start,
            on_pan_update=move,
            drag_interval=DRAG_EVERY,
            mouse_cursor=ft.MouseCursor.PRECISE,
        ),
    )
    return ft.Column(
        spacing=6,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        controls=[
            ft.Text(t(lang, "signature.title"), size=18, weight=ft.FontWeight.W_600),
            ft.Text(t(lang, "signature.hint"), color=theme.MUTED),
            ft.Semantics(label=t(lang, "signature.pad"), content=area),
            ft.Text(t(lang, pad.error) if pad.error else "", color=theme.ERROR, visible=bool(pad.error)),
            ft.Row(
                wrap=True,
                controls=[
                    ft.TextButton(t(lang, "signature.undo"), icon=ft.Icons.UNDO, on_click=lambda _: pad.undo()),
                    ft.TextButton(t(lang, "signature.redo"), icon=ft.Icons.REDO, on_click=lambda _: pad.redo()),
                    ft.TextButton(
                        t(lang, "signature.clear"), icon=ft.Icons.DELETE_OUTLINE, on_click=lambda _: pad.clear()
                    ),
                ],
            ),
        ],
    )
