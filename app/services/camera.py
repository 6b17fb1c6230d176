"""The device's camera behind one small interface: open, grab a frame, torch, close.

`FletCamera` drives flet-camera's `Camera` control (Android, iOS and the browser: Flutter's
camera plugin; a desktop window has none, `available` says so). `FakeCamera` hands out
prepared frames, for tests. The live view (app.state.camera) grabs still frames at its own
pace rather than using the image stream: the browser's camera plugin has no stream, and a
still per few hundred milliseconds is plenty to find a code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import flet_camera


class Problem(StrEnum):
    """Why there is no live camera: each says something different to the consultant."""

    NONE = "none"  # no camera on this device (or none the browser may see)
    DENIED = "denied"  # the consultant or the system refused the permission
    UNSUPPORTED = "unsupported"  # this platform has no camera control (a desktop window)
    FAILED = "failed"  # anything else the plugin reported


class CameraUnavailable(Exception):
    def __init__(self, problem: Problem, detail: str = ""):
        self.problem = problem
        self.detail = detail
        super().__init__(f"camera unavailable: {problem} {detail}".strip())


class Camera(Protocol):
    async def open(self) -> None:
        """Start the preview on the back camera (else the first one); CameraUnavailable if none."""

    async def frame(self) -> bytes:
        """One still frame as an encoded image (JPEG); CameraUnavailable if the camera went away."""

    async def set_torch(self, on: bool) -> bool:
        """Light on or off; False when this camera has no torch."""

    async def close(self) -> None:
        """Stop using the camera (the preview's control may stay on screen)."""


def problem_of(error: BaseException) -> Problem:
    """What the camera plugin's error means (its text is all Flet hands over: CameraException(code, …))."""
    text = str(error).lower()
    if "denied" in text or "permission" in text or "notallowed" in text:
        return Problem.DENIED
    if "notfound" in text or "no camera" in text or "notreadable" in text:
        return Problem.NONE
    return Problem.FAILED


CALL_TRIES = 3
CALL_TIMEOUT = 8.0  # seconds: a still or the camera list comes in well under one


class FletCamera:
    """flet-camera's control: it must be on the page (the live view shows it) before `open`.

    Given as a function that finds it: a declarative view builds a new control object at each
    render, and only the one on the page (its `ft.Ref`) can be asked to do anything."""

    def __init__(self, control_of: Callable[[], flet_camera.Camera | None]):
        self._control_of = control_of

    @property
    def control(self) -> flet_camera.Camera:
        control = self._control_of()
        if control is None:
            raise CameraUnavailable(Problem.FAILED, "the preview is not on the page")
        return control

    async def _call(self, method: str, *args: Any, **kw: Any) -> Any:
        """Ask the control on the page now; when the view was rebuilt under the call (its
        answer then has no control to go to and never comes), ask the new one."""
        for attempt in range(CALL_TRIES):
            try:
                return await asyncio.wait_for(getattr(self.control, method)(*args, **kw), CALL_TIMEOUT)
            except CameraUnavailable:
                raise
            except Exception as e:  # the plugin reports a CameraException(code, text) as a plain error
                # No answer, or the control not on the page yet: worth another try.
                again = isinstance(e, TimeoutError) or "added to the page" in str(e)
                if not again or attempt == CALL_TRIES - 1:
                    raise CameraUnavailable(problem_of(e), f"{method}: {type(e).__name__} {e}") from e
                await asyncio.sleep(0.5)
        raise CameraUnavailable(Problem.FAILED, method)

    async def open(self) -> None:
        import flet_camera as fc

        cameras = await self._call("get_available_cameras")
        if not cameras:
            raise CameraUnavailable(Problem.NONE)
        back = [c for c in cameras if c.lens_direction == fc.CameraLensDirection.BACK]
        await self._call("initialize", (back or cameras)[0], fc.ResolutionPreset.HIGH, enable_audio=False)

    async def frame(self) -> bytes:
        data: bytes = await self._call("take_picture")
        return data

    async def set_torch(self, on: bool) -> bool:
        import flet_camera as fc

        try:
            await self._call("set_flash_mode", fc.FlashMode.TORCH if on else fc.FlashMode.OFF)
        except CameraUnavailable:  # "torchModeNotSupported" (a webcam, a tablet's front camera)
            return False
        return True

    async def close(self) -> None:
        # Flutter's controller is disposed with the control; turning the torch off is all that is left.
        await self.set_torch(False)


class FakeCamera:
    """Prepared frames, handed out in turn (the last one repeats); or a problem at `open`."""

    def __init__(self, frames: Sequence[bytes] = (), problem: Problem | None = None, torch: bool = True):
        self.frames = list(frames)
        self.problem = problem
        self.has_torch = torch
        self.torch = False
        self.opened = self.closed = False
        self.grabbed = 0
        self.gate: asyncio.Event | None = None  # set by a test to hold each grab until it says so

    async def open(self) -> None:
        if self.problem is not None:
            raise CameraUnavailable(self.problem)
        self.opened = True

    async def frame(self) -> bytes:
        if self.gate is not None:
            await self.gate.wait()
            self.gate.clear()
        if not self.frames:
            raise CameraUnavailable(Problem.NONE, "no frames")
        data = self.frames[min(self.grabbed, len(self.frames) - 1)]
        self.grabbed += 1
        return data

    async def set_torch(self, on: bool) -> bool:
        if not self.has_torch:
            return False
        self.torch = on
        return True

    async def close(self) -> None:
        self.torch = False
        self.closed = True
