"""[tool.flet] as `flet build` reads it: the entry module, the images, the ids and the permissions."""

from __future__ import annotations

import tomllib
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
FLET = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["flet"]


def test_the_entry_module_is_at_the_app_path_and_starts_the_packaged_app():
    app_path = ROOT / FLET["app"]["path"]
    entry = app_path / f"{FLET['app']['module']}.py"
    assert entry.exists()
    assert "from app.main import packaged" in entry.read_text()


def test_what_is_left_out_exists_and_the_hub_is_among_it():
    excluded = FLET["app"]["exclude"]
    assert "sync/hub" in excluded and "tests" in excluded
    assert all((ROOT / p).exists() for p in excluded if p not in ("var", "build", "dist", ".venv"))


def test_icons_and_splash_are_in_assets_square_and_large_enough():
    for name in ("icon.png", "icon_android.png", "splash.png"):
        with Image.open(ROOT / "assets" / name) as img:
            assert img.width == img.height >= 1024, name
    with Image.open(ROOT / "assets" / "icon.png") as img:
        assert img.mode == "RGB", "iOS refuses an app icon with transparency"


def test_ids_and_permissions():
    assert FLET["product"] == "Vitrine" and FLET["bundle_id"].count(".") >= 2
    assert "camera" in FLET["permissions"]
    android = FLET["android"]["permission"]
    assert android["android.permission.CAMERA"] and android["android.permission.INTERNET"]
    assert FLET["android"]["feature"]["android.hardware.camera"] is False, "tablets without a camera install too"
    assert FLET["ios"]["info"]["NSCameraUsageDescription"]
    assert FLET["macos"]["entitlement"]["com.apple.security.network.client"]
