"""Which secret store a page gets (the stores themselves: app.services.secrets).

The interface stays `SecretStore`: synchronous, called off the event loop
(`asyncio.to_thread`), because the cache opens its key in a worker thread and the state layer
already calls secrets that way. Per family:

- desktop: the OS keyring, or the encrypted-file fallback when asked for (`open_store`);
- mobile: Flet's SecureStorage (flet-secure-storage: Android Keystore, iOS Keychain). Its
  methods are coroutines on Flet's loop, so it sits behind `LoopBridgeStore`, which hands
  each call from the worker thread to the loop and waits for it;
- web: memory, per browser session (nothing of a session stays on the server's disk).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from app.services.platform import Kind
from app.services.secrets import AsyncSecureStorage, LoopBridgeStore, MemoryStore, SecretStore, open_store


def flet_secure_storage() -> AsyncSecureStorage:
    """Flet's SecureStorage service, registered with the page being built."""
    from flet_secure_storage import SecureStorage

    return SecureStorage()


def secret_store_for(
    kind: Kind,
    folder: Path,
    *,
    loop: asyncio.AbstractEventLoop | None = None,
    allow_file: bool = False,
    secure_storage: Callable[[], AsyncSecureStorage] = flet_secure_storage,
) -> SecretStore:
    """The store for a page of `kind`. Mobile needs Flet's `loop` (the page's own)."""
    if kind is Kind.MOBILE:
        return LoopBridgeStore(secure_storage(), loop or asyncio.get_running_loop())
    if kind is Kind.WEB:
        return MemoryStore()
    return open_store(folder, allow_file=allow_file)
