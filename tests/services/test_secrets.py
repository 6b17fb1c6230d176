"""The secret stores: the loop bridge that mobile's secure storage plugs into, and no silent file fallback."""

from __future__ import annotations

import asyncio

import pytest

from app.cache.store import key_name, open_device_cache
from app.services import secrets as secrets_mod
from app.services.secrets import LoopBridgeStore, NoSecretStore, open_store


class LoopStorage:
    """An async key-value storage bound to the loop it was made on, as Flet's SecureStorage is."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.data: dict[str, str] = {}

    def _check(self) -> None:
        assert asyncio.get_running_loop() is self.loop, "called off its loop"

    async def get(self, key: str) -> str | None:
        self._check()
        await asyncio.sleep(0)
        return self.data.get(key)

    async def set(self, key: str, value: str) -> None:
        self._check()
        self.data[key] = value

    async def remove(self, key: str) -> None:
        self._check()
        self.data.pop(key, None)


async def test_loop_bridge_serves_worker_threads_and_keeps_the_cache_key(tmp_path):
    storage = LoopStorage()
    store = LoopBridgeStore(storage, asyncio.get_running_loop())
    path = tmp_path / "cache.sqlite"
    opened = await asyncio.to_thread(open_device_cache, path, store)  # as the app opens it: off the loop
    opened.cache.close()
    assert opened.problem is None
    assert len(bytes.fromhex(storage.data[key_name(path)])) == 32
    await asyncio.to_thread(store.delete, key_name(path))
    assert storage.data == {}
    with pytest.raises(RuntimeError):  # on the loop it would wait on itself
        store.get("x")


def test_no_keyring_and_no_file_fallback_asked_for_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(secrets_mod, "keyring_usable", lambda: False)
    with pytest.raises(NoSecretStore):
        open_store(tmp_path / "secrets")
    assert not (tmp_path / "secrets" / "secrets.key").exists()
    assert isinstance(open_store(tmp_path / "secrets", allow_file=True), secrets_mod.EncryptedFileStore)
