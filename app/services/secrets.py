"""Where the access token lives: the OS keyring, or an encrypted file where none exists.

Never in the cache database and never in a log. One small interface, two backends.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path
from typing import Protocol

log = logging.getLogger("vitrine.secrets")
SERVICE = "vitrine"


class SecretStore(Protocol):
    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str) -> None: ...
    def delete(self, key: str) -> None: ...


class MemoryStore:
    """Secrets held by this process only, gone when it ends: a web-mode browser session's
    tokens (each browser logs in for itself; nothing of it is left on the server's disk)."""

    def __init__(self) -> None:
        self._items: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self._items.get(key)

    def set(self, key: str, value: str) -> None:
        self._items[key] = value

    def delete(self, key: str) -> None:
        self._items.pop(key, None)


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

    This protects the token from a copied data folder only together with file
    permissions; it is the fallback where the platform offers no keyring.
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


def open_store(folder: Path, prefer_keyring: bool = True) -> SecretStore:
    if prefer_keyring and keyring_usable():
        return KeyringStore()
    return EncryptedFileStore(folder)
