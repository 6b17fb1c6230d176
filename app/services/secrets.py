"""Where the device's secrets live (the access token, the cache's SQLCipher key).

Never in the cache database, a setting or a log. One small synchronous interface,
called off the event loop (`asyncio.to_thread`). Backends:

- `KeyringStore`: the OS keyring (desktop: Keychain, Credential Manager, Secret Service);
- `LoopBridgeStore`: any async secure storage living on the event loop, e.g. Flet's
  `SecureStorage` (flet-secure-storage: Android Keystore, iOS Keychain) on mobile;
- `EncryptedFileStore`: a file whose key lies beside it. It protects nothing from
  whoever copies the data folder, so `open_store` uses it only when asked to
  (`allow_file`: tests and demos on machines without a keyring);
- `MemoryStore`: this process only (tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger("vitrine.secrets")
SERVICE = "vitrine"


class SecretStore(Protocol):
    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str) -> None: ...
    def delete(self, key: str) -> None: ...


class NoSecretStore(RuntimeError):
    """The platform offers no secret store and the file fallback was not allowed."""


class MemoryStore:
    """Secrets for this process only, gone when it ends: tests, and a web-mode browser
    session's tokens (each browser logs in for itself; nothing of it stays on the server's disk)."""

    def __init__(self) -> None:
        self._data: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._data.get(key)

    def set(self, key: str, value: str) -> None:
        with self._lock:
            self._data[key] = value

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)


class AsyncSecureStorage(Protocol):
    """What Flet's `flet_secure_storage.SecureStorage` offers (async, on Flet's event loop)."""

    def get(self, key: str) -> Awaitable[Any]: ...
    def set(self, key: str, value: str) -> Awaitable[Any]: ...
    def remove(self, key: str) -> Awaitable[Any]: ...


class LoopBridgeStore:
    """A `SecretStore` over an async storage on `loop`, for callers in worker threads.

    On mobile the platform keystore is reached through Flet's SecureStorage service, whose
    methods are coroutines on Flet's loop; the state layer calls secrets through
    `asyncio.to_thread`, so each call here hands its coroutine to that loop and waits.
    Called on the loop itself it would wait on itself: that is refused.
    """

    def __init__(self, storage: AsyncSecureStorage, loop: asyncio.AbstractEventLoop, timeout: float = 30.0):
        self._storage = storage
        self._loop = loop
        self._timeout = timeout

    def _run(self, call: Callable[[], Awaitable[Any]]) -> Any:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            raise RuntimeError("LoopBridgeStore is called from a worker thread (asyncio.to_thread), not the loop")

        async def on_loop() -> Any:
            return await call()

        return asyncio.run_coroutine_threadsafe(on_loop(), self._loop).result(self._timeout)

    def get(self, key: str) -> str | None:
        found = self._run(lambda: self._storage.get(key))
        return None if found is None else str(found)

    def set(self, key: str, value: str) -> None:
        self._run(lambda: self._storage.set(key, value))

    def delete(self, key: str) -> None:
        self._run(lambda: self._storage.remove(key))


class KeyringStore:
    def __init__(self) -> None:
        import keyring

        self._k = keyring

    def get(self, key: str) -> str | None:
        return self._k.get_password(SERVICE, key)

    def set(self, key: str, value: str) -> None:
        self._k.set_password(SERVICE, key, value)

    def delete(self, key: str) -> None:
        with contextlib.suppress(self._k.errors.PasswordDeleteError):  # nothing stored under `key`
            self._k.delete_password(SERVICE, key)


class EncryptedFileStore:
    """Fernet-encrypted JSON file; its key sits in a separate 0600 file beside it.

    Honestly: whoever copies the data folder has the key with the ciphertext, so this
    protects nothing at rest (the cache key kept here would open the cache). Only file
    permissions guard it. For tests and demos where no keyring exists (`allow_file`).
    """

    def __init__(self, folder: Path):
        from cryptography.fernet import Fernet

        folder.mkdir(parents=True, exist_ok=True)
        self._path = folder / "secrets.bin"
        key_path = folder / "secrets.key"
        if not key_path.exists():
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(Fernet.generate_key())
        self._fernet = Fernet(key_path.read_bytes().strip())

    def _load(self) -> dict[str, str]:
        from cryptography.fernet import InvalidToken

        if not self._path.exists():
            return {}
        try:
            return json.loads(self._fernet.decrypt(self._path.read_bytes()))
        except (InvalidToken, ValueError):
            log.warning("secret file unreadable; starting empty")
            return {}

    def _save(self, data: dict[str, str]) -> None:
        tmp = self._path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(self._fernet.encrypt(json.dumps(data).encode()))
        os.replace(tmp, self._path)

    def get(self, key: str) -> str | None:
        return self._load().get(key)

    def set(self, key: str, value: str) -> None:
        data = self._load()
        data[key] = value
        self._save(data)

    def delete(self, key: str) -> None:
        data = self._load()
        if data.pop(key, None) is not None:
            self._save(data)


def keyring_usable() -> bool:
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        return not isinstance(backend, fail.Keyring) and getattr(backend, "priority", 0) > 0
    except Exception:  # noqa: BLE001 - any import or backend failure means "no keyring"
        return False


def open_store(folder: Path, prefer_keyring: bool = True, allow_file: bool = False) -> SecretStore:
    """The OS keyring; the file fallback (`EncryptedFileStore` in `folder`) only when `allow_file`."""
    if prefer_keyring and keyring_usable():
        return KeyringStore()
    if not allow_file:
        raise NoSecretStore(
            "no OS keyring is available to keep the cache key and the session token. Install one "
            "(Linux: gnome-keyring or KWallet with Secret Service), or, for a test or demo only, "
            "run with --secrets-file (secrets in a file beside the data: a copied folder reveals them)."
        )
    log.warning("secrets kept in a file in the data folder (--secrets-file): not protected at rest")
    return EncryptedFileStore(folder)
