"""The device's own settings, kept in a small JSON file beside the cache (nothing personal).

What a consultant chose on the Settings screen: the hub's address, the language and how
often to sync in the background. A setting left unset keeps the command line's (or the
default). The file survives a device reset: the tablet must still find its hub.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

log = logging.getLogger("vitrine.settings")

FILE_NAME = "settings.json"
LANGS = ("ru", "en")
INTERVALS = (10.0, 30.0, 60.0, 300.0)  # seconds between background syncs the screen offers


@dataclass(frozen=True)
class DeviceSettings:
    hub_url: str | None = None
    lang: str | None = None
    sync_interval: float | None = None

    def with_(self, **changes: object) -> DeviceSettings:
        return replace(self, **changes)  # type: ignore[arg-type]


def path_in(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def load(path: Path) -> DeviceSettings:
    """The stored settings; a missing or unreadable file (or a bad value) counts as unset."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return DeviceSettings()
    except (OSError, ValueError) as e:
        log.warning("device settings not readable (%s): using the defaults", type(e).__name__)
        return DeviceSettings()
    if not isinstance(raw, dict):
        return DeviceSettings()
    hub = raw.get("hub_url")
    lang = raw.get("lang")
    interval = raw.get("sync_interval")
    return DeviceSettings(
        hub_url=hub if isinstance(hub, str) and hub else None,
        lang=lang if lang in LANGS else None,
        sync_interval=float(interval) if isinstance(interval, int | float) and interval > 0 else None,
    )


def save(path: Path, settings: DeviceSettings) -> None:
    """Written whole to a temporary file and renamed: a crash leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(asdict(settings), ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
