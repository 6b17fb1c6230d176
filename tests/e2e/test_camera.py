"""The live camera in a real browser: Chromium's fake camera plays a video of a till receipt's
fiscal QR; the scan screen's camera finds it by itself and the receipt is linked. Without
a camera the screen says so and keeps the photo and scanner ways."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

from tests.e2e.conftest import ARGS, CHROMIUM, Screen
from tests.e2e.test_lookup_profile import logged_in
from tests.e2e.test_scan import open_profile, qr_payload
from tests.e2e.test_settings import first_client, unlinked_receipt
from tests.services.receipt_photos import qr_bitmap

FAKE_CAMERA = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


def write_y4m(picture: Image.Image, path: Path, empty: int = 30, frames: int = 30, w: int = 640, h: int = 480) -> Path:
    """A Y4M video (4:2:0, 10 frames a second) that Chromium's fake camera plays in a loop:
    `empty` frames of the bare table (the tablet being brought over the receipt: the
    preview and its framing guide show meanwhile), then `picture` held in the frame."""
    table = Image.new("RGB", (w, h), (200, 190, 170))
    held = table.copy()
    side = min(w, h) - 100
    held.paste(picture.convert("RGB").resize((side, side), Image.Resampling.NEAREST), ((w - side) // 2, 50))

    def planes(img: Image.Image) -> bytes:
        y, cb, cr = img.convert("YCbCr").split()
        return y.tobytes() + cb.resize((w // 2, h // 2)).tobytes() + cr.resize((w // 2, h // 2)).tobytes()

    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n".encode())
        for frame in [planes(table)] * empty + [planes(held)] * frames:
            f.write(b"FRAME\n" + frame)
    return path


@contextmanager
def camera_screen(browser, name: str, video: Path | None) -> Iterator[Screen]:
    """A Chromium of its own whose camera plays `video`, or that has no camera (None)."""
    args = list(ARGS)
    if video is not None:
        args += [*FAKE_CAMERA, f"--use-file-for-fake-video-capture={video}"]
    own = browser.browser_type.launch(executable_path=CHROMIUM, args=args)
    context = own.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    if video is not None:
        context.grant_permissions(["camera"])
    s = Screen(context.new_page(), name)
    try:
        yield s
    except BaseException:
        s.shot("FAILED")
        raise
    finally:
        context.close()
        own.close()


def test_the_live_camera_finds_the_receipt_and_it_is_linked(demo_hub, app_factory, browser, tmp_path):
    receipt = unlinked_receipt(demo_hub.db_path, 60)
    video = write_y4m(qr_bitmap(qr_payload(receipt)), tmp_path / "receipt.y4m")
    with camera_screen(browser, "camera-receipt", video) as screen:
        app = app_factory(demo_hub.url)
        logged_in(screen, app.url)
        open_profile(screen, first_client(demo_hub.db_path))
        screen.click("Сканировать чек")
        screen.click("Камера")
        screen.text("Наведите рамку на QR-код чека или карты")
        screen.page.screenshot(path=str(screen.shots / f"{screen.name}-0-preview.png"))  # at once: it finds fast
        rub = f"{receipt['total'] // 100:,}".replace(",", " ")
        screen.text(f"{rub},00 ₽", timeout=60_000)  # found by itself: no button pressed
        screen.text(f"ФД {receipt['i']}")
        screen.shot("1-found-by-camera")
        screen.click("Привязать чек к клиенту")
        screen.text(f"Чек № {receipt['i']} на {rub} ₽", timeout=60_000)
        screen.text("Открыть профиль")
        screen.shot("2-linked")


def test_without_a_camera_the_screen_says_so_and_keeps_the_other_ways(demo_hub, app_factory, browser):
    with camera_screen(browser, "camera-none", None) as screen:
        app = app_factory(demo_hub.url)
        logged_in(screen, app.url)
        screen.click("Скан чека")
        screen.click("Камера")
        screen.text("Камера не найдена на этом устройстве.", timeout=60_000)
        screen.text("Можно выбрать фото чека или считать код ручным сканером.")
        screen.page.get_by_role("button", name="Фото чека").wait_for(state="attached")
        screen.shot("1-no-camera")
        screen.click("Закрыть камеру")
        screen.page.get_by_role("button", name="Камера").wait_for(state="attached", timeout=30_000)
