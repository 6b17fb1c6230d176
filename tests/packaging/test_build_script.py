"""build_scripts/build.sh's prerequisite checks, one family of targets at a time.

The script runs with a PATH of fake tools (flet, flutter, javac, xcodebuild, …) plus the few
basic utilities it needs, and a HOME of its own, so each test decides exactly what this
"machine" has. A fake `flet` records how it was called: the build itself is not run (no
Flutter SDK can be downloaded here).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "build_scripts" / "build.sh"
BASIC = ("bash", "sed", "head", "dirname", "cat")
ANDROID_PACKAGES = ("platform-tools", "platforms/android-35", "build-tools/34.0.0")


@dataclass
class Machine:
    root: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    def tool(self, name: str, body: str = "exit 0") -> None:
        path = self.bin / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)

    def uname(self, system: str) -> None:
        self.tool("uname", f"echo {system}")

    def flet(self) -> None:
        self.tool("flet", f'echo "$@" > {self.root}/flet-called')

    def flutter(self, version: str = "3.44.8") -> None:
        self.tool("flutter", f'echo "Flutter {version} • channel stable • https://github.com/flutter/flutter.git"')

    def jdk(self, major: int = 17) -> None:
        home = self.root / "jdk"
        (home / "bin").mkdir(parents=True, exist_ok=True)
        javac = home / "bin" / "javac"
        javac.write_text(f"#!/bin/sh\necho 'javac {major}.0.13' >&2\n")
        javac.chmod(0o755)
        self.env["JAVA_HOME"] = str(home)

    def android_sdk(self, packages: tuple[str, ...] = ANDROID_PACKAGES, cmdline_tools: bool = True) -> None:
        sdk = self.root / "android-sdk"
        for p in packages + (("cmdline-tools/latest",) if cmdline_tools else ()):
            (sdk / p).mkdir(parents=True, exist_ok=True)
        self.env["ANDROID_HOME"] = str(sdk)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {"PATH": f"{self.bin}:{self.root / 'basic'}", "HOME": str(self.root / "home")}
        env["VITRINE_VENV"] = str(self.root / "no-venv")
        env.update(self.env)
        return subprocess.run(
            ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )

    @property
    def flet_args(self) -> str | None:
        called = self.root / "flet-called"
        return called.read_text().strip() if called.exists() else None


@pytest.fixture
def machine(tmp_path) -> Machine:
    m = Machine(tmp_path)
    m.bin.mkdir()
    (tmp_path / "home").mkdir()
    basic = tmp_path / "basic"
    basic.mkdir()
    for name in BASIC:
        found = shutil.which(name)
        assert found, name
        os.symlink(found, basic / name)
    m.uname("Linux")
    return m


def refused(result: subprocess.CompletedProcess[str], machine: Machine) -> str:
    assert result.returncode == 3, result.stdout + result.stderr
    assert machine.flet_args is None, "nothing is built when something is missing"
    assert "README.md" in result.stdout
    return result.stdout


def built(result: subprocess.CompletedProcess[str], machine: Machine, target: str) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    assert machine.flet_args == f"build {target} . --output build/{target} --no-rich-output"
    (machine.root / "flet-called").unlink()


def test_an_unknown_or_missing_target_shows_the_usage(machine):
    for args in ((), ("exe",)):
        result = machine.run(*args)
        assert result.returncode == 2
        assert "apk | aab | ipa | macos | windows | linux | web" in result.stdout


@pytest.mark.parametrize("target", ["apk", "aab"])
def test_android_names_flet_flutter_the_jdk_and_the_sdk(machine, target):
    out = refused(machine.run(target), machine)
    assert "the flet command (flet-cli 1.0.5)" in out and "pip install -e '.[build]'" in out
    assert "Flutter SDK 3.44.8" in out and "VITRINE_BUILD_DOWNLOAD=1" in out
    assert "JDK 17 (found: none" in out and "openjdk-17-jdk-headless" in out
    assert "the Android SDK (ANDROID_HOME unset" in out and '"build-tools;34.0.0"' in out

    machine.flet()
    machine.flutter()
    machine.jdk(11)
    machine.android_sdk(packages=ANDROID_PACKAGES[:2])
    out = refused(machine.run(target), machine)
    assert "flet command" not in out and "Flutter SDK" not in out
    assert "JDK 17 (found: 11" in out
    assert "the Android SDK package build-tools;34.0.0" in out and 'sdkmanager "build-tools;34.0.0"' in out
    assert "platforms;android-35" not in out

    machine.jdk(17)
    machine.android_sdk()
    built(machine.run(target), machine, target)


def test_a_flutter_of_another_version_is_named(machine):
    machine.flet()
    machine.flutter("3.24.3")
    out = refused(machine.run("web"), machine)
    assert "Flutter SDK 3.44.x (the flutter on PATH is 3.24.3)" in out


def test_flet_builds_own_flutter_copy_counts(machine):
    machine.env["VITRINE_BUILD_WEB_STATIC"] = "1"
    machine.flet()
    own = machine.root / "home" / "flutter" / "3.44.8" / "bin"
    own.mkdir(parents=True)
    (own / "flutter").write_text("#!/bin/sh\n")
    (own / "flutter").chmod(0o755)
    built(machine.run("web"), machine, "web")


def test_web_needs_flutter_only_or_leave_to_download_it(machine):
    machine.flet()
    out = refused(machine.run("web"), machine)
    assert out.count("   - ") == 1 and "Flutter SDK 3.44.8" in out
    machine.env["VITRINE_BUILD_DOWNLOAD"] = "1"
    machine.env["VITRINE_BUILD_WEB_STATIC"] = "1"
    result = machine.run("web")
    assert result.returncode == 0 and machine.flet_args is not None and machine.flet_args.endswith("--yes")


def test_a_static_web_build_is_refused_with_the_hub_served_ui_named(machine):
    machine.flet()
    machine.flutter()
    result = machine.run("web")
    assert result.returncode == 4 and machine.flet_args is None
    assert "Pyodide" in result.stdout and "--web-app app.web:hub_mount" in result.stdout


@pytest.mark.parametrize("target", ["ipa", "macos"])
def test_apple_targets_need_a_mac_with_xcode(machine, target):
    machine.flet()
    machine.flutter()
    out = refused(machine.run(target), machine)
    assert f"a Mac: {target} builds run on macOS only (this is Linux)" in out

    machine.uname("Darwin")
    out = refused(machine.run(target), machine)
    assert "Xcode (xcodebuild)" in out and "xcode-select" in out
    assert ("CocoaPods" in out) == (target == "ipa")

    machine.tool("xcodebuild", "echo 'Xcode 16.4'")
    machine.tool("pod")
    built(machine.run(target), machine, target)


def test_windows_needs_windows_with_visual_studio(machine):
    machine.flet()
    machine.flutter()
    out = refused(machine.run("windows"), machine)
    assert "windows builds run on Windows only (this is Linux)" in out

    machine.uname("MINGW64_NT-10.0-22631")
    out = refused(machine.run("windows"), machine)
    assert "Visual Studio 2022" in out and "Desktop development with C++" in out

    machine.tool("vswhere.exe")
    built(machine.run("windows"), machine, "windows")


def test_linux_names_the_compilers_and_the_gtk_dev_packages(machine):
    machine.flet()
    machine.flutter()
    out = refused(machine.run("linux"), machine)
    for tool in ("clang", "cmake", "ninja", "pkg-config"):
        assert f"   - {tool}\n" in out
    assert "sudo apt install clang cmake ninja-build pkg-config libgtk-3-dev libsecret-1-dev" in out

    for tool in ("clang", "cmake", "ninja"):
        machine.tool(tool)
    machine.tool("pkg-config", 'case "$2" in gtk+-3.0) exit 0 ;; *) exit 1 ;; esac')
    out = refused(machine.run("linux"), machine)
    assert "the libsecret-1 development files" in out and "gtk+-3.0" not in out

    machine.tool("pkg-config", "exit 0")
    built(machine.run("linux"), machine, "linux")

    machine.uname("Darwin")
    assert "linux builds run on Linux only (this is macOS)" in refused(machine.run("linux"), machine)
