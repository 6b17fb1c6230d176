"""The platform services' interfaces with fakes: which family a page is, the secret store each
family gets (a fake SecureStorage on a real event loop for mobile), saving a document to the
desktop's folder, and the links the app agrees to open."""

from __future__ import annotations

import asyncio
import os
import stat
import time
from pathlib import Path

import pytest

from app.services import secrets as secret_stores
from app.services.platform import Kind, PlatformServices, kind_of
from app.services.platform.documents import FolderSaver, NoDocuments, safe_name
from app.services.platform.links import LinkRefused, NoLinks, check
from app.services.platform.secrets import secret_store_for


@pytest.mark.parametrize(
    ("platform", "web", "kind"),
    [
        ("android", False, Kind.MOBILE),
        ("ios", False, Kind.MOBILE),
        ("linux", False, Kind.DESKTOP),
        ("windows", False, Kind.DESKTOP),
        ("macos", False, Kind.DESKTOP),
        ("android", True, Kind.WEB),  # a phone's browser is the web
        (None, False, Kind.DESKTOP),
    ],
)
def test_kind_of_a_page(platform, web, kind):
    import flet as ft

    assert kind_of(platform, web) is kind
    if platform:
        assert kind_of(ft.PagePlatform(platform), web) is kind


class FakeSecureStorage:
    """Flet's SecureStorage as the app sees it: coroutines that must run on the page's loop."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.loop: asyncio.AbstractEventLoop | None = None

    async def _on_loop(self) -> None:
        assert asyncio.get_running_loop() is self.loop, "a Flet service is called on its page's loop"

    async def get(self, key: str) -> str | None:
        await self._on_loop()
        return self.data.get(key)

    async def set(self, key: str, value: str) -> None:
        await self._on_loop()
        self.data[key] = value

    async def remove(self, key: str) -> None:
        await self._on_loop()
        self.data.pop(key, None)


async def test_mobile_secrets_go_through_secure_storage_from_a_worker_thread(tmp_path):
    storage = FakeSecureStorage()
    storage.loop = asyncio.get_running_loop()
    store = secret_store_for(Kind.MOBILE, tmp_path, secure_storage=lambda: storage)
    await asyncio.to_thread(store.set, "cache_key", "k1")
    assert storage.data == {"cache_key": "k1"}
    assert await asyncio.to_thread(store.get, "cache_key") == "k1"
    await asyncio.to_thread(store.delete, "cache_key")
    assert await asyncio.to_thread(store.get, "cache_key") is None
    with pytest.raises(RuntimeError):  # on the loop it would wait on itself
        store.get("cache_key")
    assert not any(tmp_path.iterdir()), "nothing of a phone's secrets is written beside the data"


def test_web_secrets_are_per_session_memory(tmp_path):
    a, b = secret_store_for(Kind.WEB, tmp_path), secret_store_for(Kind.WEB, tmp_path)
    a.set("token", "t")
    assert isinstance(a, secret_stores.MemoryStore) and b.get("token") is None


def test_desktop_secrets_without_a_keyring_need_the_file_fallback_asked_for(tmp_path, monkeypatch):
    monkeypatch.setattr(secret_stores, "keyring_usable", lambda: False)
    with pytest.raises(secret_stores.NoSecretStore):
        secret_store_for(Kind.DESKTOP, tmp_path)
    store = secret_store_for(Kind.DESKTOP, tmp_path, allow_file=True)
    store.set("k", "a-secret-value")
    assert isinstance(store, secret_stores.EncryptedFileStore)
    assert b"a-secret-value" not in (tmp_path / "secrets.bin").read_bytes()


async def test_desktop_saves_to_its_folder_owner_only_and_opens_it(tmp_path):
    opened: list[Path] = []

    async def opener(path: Path) -> None:
        opened.append(path)

    folder = tmp_path / "exports"
    folder.mkdir()
    stale = folder / "old.pdf"
    stale.write_bytes(b"x")
    day_ago = time.time() - 2 * 24 * 3600
    os.utime(stale, (day_ago, day_ago))
    saved = await FolderSaver(folder, opener).save("../anketa 2026-01-01.pdf", b"%PDF-1.7")
    assert saved.done and saved.path == folder / "anketa_2026-01-01.pdf"
    assert saved.path is not None
    assert saved.path.read_bytes() == b"%PDF-1.7"
    assert stat.S_IMODE(saved.path.stat().st_mode) == 0o600
    assert opened == [saved.path]
    assert not stale.exists(), "signed forms do not pile up in plain files"


async def test_a_missing_viewer_still_leaves_the_file(tmp_path):
    async def no_viewer(path: Path) -> None:
        raise FileNotFoundError("xdg-open")

    saved = await FolderSaver(tmp_path, no_viewer).save("a.pdf", b"%PDF")
    assert saved.done and saved.path is not None and saved.path.exists()


def test_safe_names():
    assert safe_name("/etc/passwd") == "passwd"
    assert safe_name("..") == "document"
    assert safe_name(".hidden.pdf") == "hidden.pdf"


@pytest.mark.parametrize(
    "url", ["https://wa.me/79161234567", "tel:+79161234567", "sms:+7916", "mailto:a@b.ru", "tg://resolve?domain=x"]
)
def test_the_links_the_app_builds_are_opened(url):
    assert check(url) == url


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,x", "wa.me/7916"])
def test_other_schemes_are_refused(url):
    with pytest.raises(LinkRefused):
        check(url)


async def test_headless_defaults_refuse_politely():
    services = PlatformServices()
    assert not (await services.documents.save("a.pdf", b"x")).done
    assert await services.links.open("https://example.org") is False
    assert isinstance(services.documents, NoDocuments) and isinstance(services.links, NoLinks)
    with pytest.raises(LinkRefused):
        await services.links.open("javascript:alert(1)")


def test_each_family_gets_its_own_implementations(tmp_path):
    from app.main import platform_services
    from app.services.platform.documents import BrowserDownload, ShareSaver
    from app.services.platform.links import UrlLauncherOpener

    desktop = platform_services(Kind.DESKTOP, tmp_path)
    assert isinstance(desktop.documents, FolderSaver) and desktop.documents.folder == tmp_path / "exports"
    assert isinstance(platform_services(Kind.MOBILE, tmp_path).documents, ShareSaver)
    web = platform_services(Kind.WEB, tmp_path)
    assert isinstance(web.documents, BrowserDownload)
    assert isinstance(web.links, UrlLauncherOpener) and web.kind is Kind.WEB
