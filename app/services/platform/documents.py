"""Saving and sharing a document (a signed form's PDF): one interface, three families.

- desktop (`FolderSaver`): written to the device's export folder and opened in the system's
  viewer, from where it is printed or sent on. The folder sits in the app's data folder with
  owner-only permissions and is emptied of files older than a day at start: a signed form holds
  personal data, which must not pile up in plain files beside the encrypted cache.
- mobile (`ShareSaver`): the platform's share sheet (Flet's Share service: save to Files, send
  by mail or a messenger, print), from bytes; nothing is left in the app's storage.
- web (`BrowserDownload`): a browser download through Flet's FilePicker (the browser's PDF
  viewer opens it from there), as the signed forms did before this interface.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

log = logging.getLogger("vitrine.platform")

PDF = "application/pdf"
KEEP_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class Saved:
    """What became of a document: `path` when it is a file on this device (desktop)."""

    done: bool
    path: Path | None = None


class DocumentSaver(Protocol):
    async def save(self, name: str, content: bytes, mime: str = PDF) -> Saved: ...


def safe_name(name: str) -> str:
    """`name` as a plain file name: no folders, no leading dots, nothing a shell or a file
    system treats specially (the name is built from a date and an id, but it is cheap to be sure)."""
    base = re.sub(r"[^\w.\-]+", "_", Path(name).name).lstrip(".")
    return base or "document"


class NoDocuments:
    """No page (models used headless): nothing is saved."""

    async def save(self, name: str, content: bytes, mime: str = PDF) -> Saved:
        return Saved(False)


async def open_with_system(path: Path) -> None:
    """The system's viewer for `path`, without waiting for it to close."""
    if sys.platform == "win32":
        await asyncio.to_thread(os.startfile, path)  # type: ignore[attr-defined]  # Windows only
        return
    opener = "open" if sys.platform == "darwin" else "xdg-open"
    await asyncio.create_subprocess_exec(
        opener, str(path), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )


class FolderSaver:
    def __init__(self, folder: Path, opener: Callable[[Path], Awaitable[None]] = open_with_system) -> None:
        self.folder = folder
        self._opener = opener

    def _write(self, name: str, content: bytes) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        cutoff = time.time() - KEEP_SECONDS
        for old in self.folder.iterdir():
            if old.is_file() and old.stat().st_mtime < cutoff:
                old.unlink(missing_ok=True)
        path = self.folder / safe_name(name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        return path

    async def save(self, name: str, content: bytes, mime: str = PDF) -> Saved:
        path = await asyncio.to_thread(self._write, name, content)
        try:
            await self._opener(path)
        except OSError as e:  # no viewer (a server without a desktop): the file is still there
            log.warning("saved document not opened: %s", type(e).__name__)
        return Saved(True, path)


class ShareSaver:
    """Flet's Share service (share_plus): the share sheet with the document attached."""

    def __init__(self) -> None:
        import flet as ft

        self._ft = ft
        self._share = ft.Share()

    async def save(self, name: str, content: bytes, mime: str = PDF) -> Saved:
        ft = self._ft
        result = await self._share.share_files([ft.ShareFile.from_bytes(content, mime_type=mime, name=safe_name(name))])
        return Saved(result is None or result.status != ft.ShareResultStatus.DISMISSED)


class BrowserDownload:
    """A browser download through Flet's FilePicker (web: the bytes travel to the browser)."""

    def __init__(self) -> None:
        import flet as ft

        self._picker = ft.FilePicker()

    async def save(self, name: str, content: bytes, mime: str = PDF) -> Saved:
        await self._picker.save_file(file_name=safe_name(name), src_bytes=content)
        return Saved(True)
