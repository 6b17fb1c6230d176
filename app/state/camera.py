"""The live camera: grab a frame, decode it off the event loop, stop at the first receipt or card.

Shown from the scan screen ("Камера"); the code found goes to the scan model exactly as a
photo's or a handheld scanner's would (`ScanModel.scan_code`), so a live receipt is staged,
refused or linked by the same rules. Frames are decoded with the photos' decoder in a
worker thread, one at a time: a slow frame delays the next grab, never the screen.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import InitVar, dataclass

import flet as ft

from app.services.camera import Camera, CameraUnavailable, Problem
from app.services.scanning.codes import CardCode, ReceiptCode, ScannedCode, UnknownCode, classify
from app.services.scanning.decoder import decode
from app.state.context import Context
from app.state.messages import Message
from app.state.scan import best_code

log = logging.getLogger("vitrine.camera")

OPEN_TRIES = 3

FRAME_EVERY = 0.3
"""Seconds between the end of one frame's decoding and the next grab: a code held in the
frame is found within about a second, and a tablet's CPU is left for the screen."""


@ft.observable
@dataclass(eq=False)
class CameraModel:
    ctx: InitVar[Context]
    state: str = "off"  # off | on | unavailable (whether frames are flowing yet: `live`, not observed)
    problem: Problem | None = None
    torch: bool = False
    torch_missing: bool = False  # this camera said it has no torch: the button says so
    hint: Message | None = None  # a code seen that is neither a receipt nor a card

    def __post_init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._camera: Camera | None = None
        self._task: asyncio.Task | None = None
        self._frames = 0
        self._live = False

    @property
    def live(self) -> bool:
        """The camera is open and frames are being looked at."""
        return self._live

    @property
    def frames(self) -> int:
        """Frames looked at since the camera opened (not observed: the view must not be
        rebuilt per frame, its preview control would be replaced under a pending grab)."""
        return self._frames

    @property
    def shown(self) -> bool:
        return self.state != "off"

    def show(self) -> None:
        """The consultant asked for the camera: the view appears, then `start` opens it."""
        if self.state == "off":
            self.state, self.problem, self.hint, self.torch, self.torch_missing = "on", None, None, False, False

    async def start(self, camera: Camera, on_code: Callable[[ScannedCode], Awaitable[None]]) -> None:
        """Open `camera` and look for codes until one is found or `stop` is called."""
        await self._halt()
        self._camera = camera
        self.state, self._frames, self._live = "on", 0, False
        self._task = self._ctx.tasks.spawn(self._run(camera, on_code))

    async def _run(self, camera: Camera, on_code: Callable[[ScannedCode], Awaitable[None]]) -> None:
        for attempt in range(OPEN_TRIES):
            try:
                await camera.open()
                break
            except CameraUnavailable as e:
                # No camera or no permission is final; anything else may be the preview's
                # control not yet built on the device side when it is first asked: again.
                if e.problem is not Problem.FAILED or attempt == OPEN_TRIES - 1:
                    self._unavailable(e)
                    return
                await asyncio.sleep(1.0)
        if self._camera is not camera:  # stopped while it opened
            await camera.close()
            return
        self._live = True  # not an observed change: the view is not rebuilt under its preview
        while self._camera is camera:
            try:
                data = await camera.frame()
            except CameraUnavailable as e:
                self._unavailable(e)
                return
            code = await self._look(data)
            if self._camera is not camera:
                return
            if isinstance(code, ReceiptCode | CardCode):
                await self._finish()
                await on_code(code)
                return
            if isinstance(code, UnknownCode):
                self.hint = Message.of("camera.unknown", code.reason)
            await asyncio.sleep(FRAME_EVERY)

    async def _look(self, data: bytes) -> ScannedCode | None:
        self._frames += 1
        try:
            codes = await asyncio.to_thread(decode, data, quick=True)
        except Exception as e:  # noqa: BLE001 - a frame the decoder cannot read: take the next one
            log.info("camera frame not readable: %s", type(e).__name__)
            return None
        return best_code([classify(c) for c in codes])

    def _unavailable(self, e: CameraUnavailable) -> None:
        log.warning("camera unavailable: %s (%s)", e.problem, e.detail[:200])
        self._camera, self._live = None, False
        self.state, self.problem, self.torch = "unavailable", e.problem, False

    async def toggle_torch(self) -> None:
        camera = self._camera
        if camera is None or not self._live:
            return
        want = not self.torch
        if await camera.set_torch(want):
            self.torch = want
        else:
            self.torch, self.torch_missing = False, True

    async def _finish(self) -> None:
        camera, self._camera = self._camera, None
        self.state, self.torch, self._live = "off", False, False
        if camera is not None:
            await camera.close()

    async def _halt(self) -> None:
        task, self._task = self._task, None
        await self._finish()
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def stop(self) -> None:
        """The consultant closed the view (or left the screen): the camera is released."""
        await self._halt()
        self.problem, self.hint = None, None
