"""The app's dependency set is what a phone can install: no hub package in it, and no module
of the app needs one (nor flet-web, zxing-cpp or keyring, which pyproject keeps off the phones).

flet build packs [project].dependencies for every target; pip evaluates their markers with
the target's platform_system (serious_python reports Android / iOS), so the markers are
evaluated here the same way.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# The hub's own packages, and what they bring (starlette under fastapi, mako under alembic).
HUB_ONLY = {
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "mako",
    "psycopg",
    "pwdlib",
    "faker",
    "openpyxl",
}
# Installed with the app on a desktop, absent on a phone (their markers).
NOT_ON_PHONES = {"flet_web", "zxingcpp", "keyring"}


def requirements() -> list[Requirement]:
    return [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]


def installed_on(system: str) -> set[str]:
    env = {k: str(v) for k, v in default_environment().items()}
    env |= {"platform_system": system, "sys_platform": system.lower()}
    return {canonicalize_name(r.name) for r in requirements() if r.marker is None or r.marker.evaluate(env)}


def test_no_hub_package_in_the_app_dependencies():
    hub = {canonicalize_name(Requirement(r).name) for r in PYPROJECT["project"]["optional-dependencies"]["hub"]}
    app = {canonicalize_name(r.name) for r in requirements()}
    assert not app & hub
    assert not app & {canonicalize_name(n) for n in HUB_ONLY}


@pytest.mark.parametrize("system", ["Android", "iOS"])
def test_a_phone_gets_neither_flet_web_nor_zxing_cpp_nor_keyring(system):
    phone = installed_on(system)
    assert {"flet-web", "zxing-cpp", "keyring"}.isdisjoint(phone)  # flet-web would bring fastapi and uvicorn
    assert {"flet", "flet-secure-storage", "pyzbar", "sqlcipher3", "httpx"} <= phone
    assert {"flet-web", "zxing-cpp", "keyring"} <= installed_on("Linux")


def test_every_app_module_imports_without_the_hub_and_desktop_only_packages():
    """In a fresh interpreter where fastapi, sqlalchemy & co. (and flet-web, zxing-cpp, keyring)
    cannot be imported, every module of app/ and of the protocol outside sync.hub imports."""
    blocked = sorted(HUB_ONLY | NOT_ON_PHONES)
    script = textwrap.dedent(
        f"""
        import importlib, pkgutil, sys

        BLOCKED = {blocked!r}

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ModuleNotFoundError(f"{{name}} is not on a phone", name=name)
                return None

        sys.meta_path.insert(0, Block())
        names = []

        def walk(name):  # walk_packages would import sync.hub to look inside it
            if name == "sync.hub" or name.endswith("__main__"):
                return
            module = importlib.import_module(name)
            names.append(name)
            for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
                walk(f"{{name}}.{{info.name}}")

        walk("app")
        walk("sync")
        leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED or m.startswith("sync.hub"))
        print(len(names), leaked)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "HOME": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    count, leaked = done.stdout.split(" ", 1)
    assert int(count) > 100 and leaked.strip() == "[]"
