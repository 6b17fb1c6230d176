"""Opening a messaging, phone or web link (the outreach composer's "Отправить"): one interface.

One implementation for all three families, over Flet's UrlLauncher service (url_launcher on
the Flutter side): on a desktop and a phone the link goes to the app that handles it
(WhatsApp, Telegram, the dialler) rather than an in-app web view; in a browser a new tab, so
the app's own tab is not navigated away. Only the schemes the app builds are opened: a link
from client data (a "website" field, an imported note) must not run `javascript:` or open a
local file.
"""

from __future__ import annotations

import logging
from typing import Protocol
from urllib.parse import urlsplit

log = logging.getLogger("vitrine.platform")

SCHEMES = frozenset({"https", "http", "tel", "sms", "mailto", "whatsapp", "tg", "viber"})


class LinkRefused(ValueError):
    """The link's scheme is not one the app opens."""


def check(url: str) -> str:
    """`url` when its scheme is one the app opens; raises LinkRefused otherwise."""
    scheme = urlsplit(url.strip()).scheme.lower()
    if scheme not in SCHEMES:
        raise LinkRefused(f"links of scheme {scheme or '(none)'!r} are not opened")
    return url.strip()


class LinkOpener(Protocol):
    async def open(self, url: str) -> bool:
        """Hand `url` to the platform; False when nothing could open it. Raises LinkRefused."""
        ...


class NoLinks:
    """No page to open links with (models used headless): says so, opens nothing."""

    async def open(self, url: str) -> bool:
        check(url)
        return False


class UrlLauncherOpener:
    """Flet's UrlLauncher: an external app on desktop and mobile, a new tab in a browser.

    Made inside the page's context (Flet registers a service with the page it is made in).
    """

    def __init__(self, web: bool) -> None:
        import flet as ft

        self._ft = ft
        self._launcher = ft.UrlLauncher()
        self._web = web

    async def open(self, url: str) -> bool:
        url = check(url)
        ft = self._ft
        try:
            if self._web:
                await self._launcher.launch_url(url, web_only_window_name="_blank")
            else:
                await self._launcher.launch_url(url, mode=ft.LaunchMode.EXTERNAL_APPLICATION)
        except Exception as e:  # noqa: BLE001 - the client raises whatever the platform said
            # The URL itself may carry a phone number: only its scheme goes to the log.
            log.warning("link not opened (%s): %s", urlsplit(url).scheme, type(e).__name__)
            return False
        return True
