"""The live camera's model with a fake camera, on a real cache and a real hub: a frame's code
reaches the scan model as a photo's would; no camera or a refused permission says which."""

from __future__ import annotations

import asyncio
import io

from PIL import Image

from app.services.camera import CameraUnavailable, FakeCamera, FletCamera, Problem, problem_of
from app.state.messages import Message
from tests.services.receipt_photos import qr_bitmap
from tests.state.test_app import make, wait_for
from tests.state.test_scan import synced, unidentified_payload


def jpeg(img: Image.Image) -> bytes:
    out = io.BytesIO()
    canvas = Image.new("RGB", (640, 480), (190, 180, 160))
    q = img.convert("RGB").resize((360, 360), Image.Resampling.NEAREST)
    canvas.paste(q, (140, 60))
    canvas.save(out, "JPEG", quality=85)
    return out.getvalue()


def blank() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 120, 120)).save(out, "JPEG")
    return out.getvalue()


async def test_a_receipt_in_the_frame_is_staged_and_the_camera_released(demo_hub, tmp_path):
    ctrl = await synced(demo_hub, tmp_path)
    await ctrl.sync.engine.stop()  # the link stays queued: this test is about the camera
    payload = unidentified_payload(demo_hub, 5)
    ctrl.scan.start()
    camera = FakeCamera([blank(), blank(), jpeg(qr_bitmap(payload))])
    ctrl.camera.show()
    assert ctrl.camera.shown and ctrl.camera.state == "on"
    await ctrl.camera.start(camera, ctrl.scan.scan_code)
    await wait_for(lambda: ctrl.scan.message is not None, timeout=20)  # staged, then told to choose her
    assert camera.grabbed == 3  # two empty frames looked at, then the code
    assert ctrl.camera.frames == 3
    assert ctrl.camera.state == "off" and camera.closed
    assert ctrl.scan.message == Message("scan.choose_client")
    assert f"fn={ctrl.scan.receipt.fn}" in payload
    client = ctrl.clients.rows[0]
    ctrl.scan.choose_client(client.id, client.last_name)
    assert await ctrl.scan.link()  # the same link as from a photo
    await ctrl.close()


async def test_a_card_in_the_frame_opens_its_client(demo_hub, tmp_path):
    ctrl = await synced(demo_hub, tmp_path)
    row = ctrl.clients.rows[0]
    await ctrl.profile.open(row.id)
    card = ctrl.profile.data.client.card_number
    ctrl.profile.close()
    ctrl.scan.start()
    import zxingcpp

    code = Image.fromarray(
        zxingcpp.write_barcode_to_image(
            zxingcpp.create_barcode(card, zxingcpp.BarcodeFormat.EAN13), scale=3, add_quiet_zones=True
        )
    )
    ctrl.camera.show()
    await ctrl.camera.start(FakeCamera([jpeg(code)]), ctrl.scan.scan_code)
    await wait_for(lambda: ctrl.ui.route == f"/clients/{row.id}")
    assert ctrl.camera.state == "off"
    await ctrl.close()


async def test_no_camera_and_a_refused_permission_are_told_apart(tmp_path):
    ctrl = make(tmp_path, "http://127.0.0.1:9")
    for problem in (Problem.NONE, Problem.DENIED):
        ctrl.camera.show()
        await ctrl.camera.start(FakeCamera(problem=problem), ctrl.scan.scan_code)
        await wait_for(lambda: ctrl.camera.state == "unavailable")
        assert ctrl.camera.problem == problem
        await ctrl.camera.stop()
        assert ctrl.camera.state == "off" and ctrl.camera.problem is None
    await ctrl.close()


async def test_torch_toggles_and_a_camera_without_one_says_so(tmp_path):
    ctrl = make(tmp_path, "http://127.0.0.1:9")
    camera = FakeCamera([blank()])
    camera.gate = asyncio.Event()  # frames only when the test lets one through
    ctrl.camera.show()
    await ctrl.camera.start(camera, ctrl.scan.scan_code)
    await wait_for(lambda: ctrl.camera.live)
    await ctrl.camera.toggle_torch()
    assert ctrl.camera.torch and camera.torch
    await ctrl.camera.toggle_torch()
    assert not ctrl.camera.torch and not camera.torch
    await ctrl.camera.stop()
    assert camera.closed

    dark = FakeCamera([blank()], torch=False)
    dark.gate = asyncio.Event()
    ctrl.camera.show()
    await ctrl.camera.start(dark, ctrl.scan.scan_code)
    await wait_for(lambda: ctrl.camera.live)
    await ctrl.camera.toggle_torch()
    assert not ctrl.camera.torch and ctrl.camera.torch_missing
    await ctrl.camera.stop()
    await ctrl.close()


async def test_frames_are_decoded_off_the_event_loop(tmp_path, monkeypatch):
    """A frame's decoding holds until the event loop itself releases it: had it run on the
    loop, nothing could release it (the decoder gives up after 10 s and the test fails)."""
    import threading

    from app.state import camera as camera_state

    release, released = threading.Event(), []

    def slow_decode(data, **kw):
        released.append(release.wait(10))
        return []

    monkeypatch.setattr(camera_state, "decode", slow_decode)
    ctrl = make(tmp_path, "http://127.0.0.1:9")
    camera = FakeCamera([blank()])
    ctrl.camera.show()
    await ctrl.camera.start(camera, ctrl.scan.scan_code)
    await wait_for(lambda: ctrl.camera.frames >= 1)
    await asyncio.sleep(0.05)  # the loop is free while the frame is being decoded
    release.set()
    await wait_for(lambda: bool(released))
    assert released == [True]
    await ctrl.camera.stop()
    await ctrl.close()


def test_plugin_errors_map_to_problems():
    assert problem_of(RuntimeError("CameraException(cameraNotFound, No camera found)")) == Problem.NONE
    assert problem_of(RuntimeError("CameraException(CameraAccessDenied, ... not granted.)")) == Problem.DENIED
    assert problem_of(RuntimeError("CameraException(cameraPermission, ...)")) == Problem.DENIED
    assert problem_of(RuntimeError("something else")) == Problem.FAILED


async def test_flet_camera_reports_a_missing_camera():
    class NoCameras:  # the control as the plugin answers on a tablet without one
        async def get_available_cameras(self):
            return []

    try:
        await FletCamera(lambda: NoCameras()).open()
    except CameraUnavailable as e:
        assert e.problem == Problem.NONE
    else:
        raise AssertionError("no error for a device without a camera")
