"""The live camera view of the scan screen: preview, framing guide, torch, and why there is none.

Flet's camera control exists in the browser and on Android and iOS; a desktop window has
none, and there the scan screen keeps its photo file and handheld scanner field only
(`camera_possible`).
"""

from __future__ import annotations

import flet as ft
import flet_camera as fc
from flet.components.hooks.use_ref import MutableRef

from app.services.camera import FletCamera, Problem
from app.state.camera import CameraModel
from app.state.scan import ScanModel
from app.ui import theme
from app.ui.strings import t

GUIDE = 240  # the framing square, in logical pixels: a receipt's QR held at about 15 cm

PROBLEM_KEYS = {
    Problem.NONE: "camera.none",
    Problem.DENIED: "camera.denied",
    Problem.UNSUPPORTED: "camera.unsupported",
    Problem.FAILED: "camera.failed",
}


def camera_possible() -> bool:
    """Whether this page can show flet-camera's control at all (not in a desktop window)."""
    page = ft.context.page
    return bool(page.web or page.platform in (ft.PagePlatform.ANDROID, ft.PagePlatform.IOS))


def framing_guide(lang: str) -> ft.Control:
    """A square to aim the QR at, drawn over the preview, with what to do under it."""
    return ft.Container(
        alignment=ft.Alignment.CENTER,
        content=ft.Column(
            tight=True,
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            controls=[
                ft.Container(
                    width=GUIDE,
                    height=GUIDE,
                    border=ft.Border.all(3, ft.Colors.WHITE),
                    border_radius=16,
                ),
                ft.Container(
                    bgcolor=ft.Colors.with_opacity(0.55, ft.Colors.BLACK),
                    border_radius=8,
                    padding=ft.Padding.symmetric(horizontal=10, vertical=4),
                    content=ft.Text(t(lang, "camera.aim"), color=ft.Colors.WHITE),
                ),
            ],
        ),
    )


@ft.component
def CameraView(cam: CameraModel, scan: ScanModel, lang: str) -> ft.Control:
    # The control is built at each render; the camera is asked through the Ref of the one
    # built last. A re-render replaces the control under a pending call, so the model keeps
    # what changes while scanning (frames, opened) out of the observed fields.
    ref: MutableRef[ft.Ref[fc.Camera]] = ft.use_ref(None)
    if ref.current is None:
        ref.current = ft.Ref[fc.Camera]()
    kept = ref.current
    control = fc.Camera(expand=True, content=framing_guide(lang), ref=kept)

    async def opened() -> None:
        await cam.start(FletCamera(lambda: kept.current), scan.scan_code)

    ft.use_effect(opened, [], cleanup=cam.stop)  # leaving the screen releases the camera

    async def close(_):
        await cam.stop()

    async def torch(_):
        await cam.toggle_torch()

    if cam.state == "unavailable":
        return ft.Container(
            bgcolor=ft.Colors.with_opacity(0.08, theme.ERROR),
            border_radius=12,
            padding=16,
            content=ft.Column(
                tight=True,
                controls=[
                    ft.Row(
                        [
                            ft.Icon(ft.Icons.NO_PHOTOGRAPHY, color=theme.ERROR),
                            ft.Text(t(lang, PROBLEM_KEYS.get(cam.problem or Problem.FAILED)), expand=True),
                        ]
                    ),
                    ft.Text(t(lang, "camera.other_ways"), color=theme.MUTED),
                    ft.TextButton(t(lang, "camera.close"), icon=ft.Icons.CLOSE, on_click=close),
                ],
            ),
        )
    return ft.Column(
        spacing=8,
        controls=[
            ft.Container(
                height=360,
                bgcolor=ft.Colors.BLACK,
                border_radius=12,
                clip_behavior=ft.ClipBehavior.HARD_EDGE,
                content=control,
            ),
            ft.Row(
                [
                    ft.Text(t(lang, "camera.looking"), color=theme.MUTED, expand=True),
                    ft.OutlinedButton(
                        t(lang, "camera.no_torch" if cam.torch_missing else "camera.torch"),
                        icon=ft.Icons.FLASH_ON if cam.torch else ft.Icons.FLASH_OFF,
                        on_click=torch,
                        disabled=cam.torch_missing,
                    ),
                    ft.TextButton(t(lang, "camera.close"), icon=ft.Icons.CLOSE, on_click=close),
                ]
            ),
            *([ft.Text(t(lang, cam.hint), color=theme.WARN)] if cam.hint else []),
        ],
    )
