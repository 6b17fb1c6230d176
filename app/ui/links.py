"""Opening a link in the device's own app (SMS, mail, phone, WhatsApp, Telegram): one function,
so every screen opens links the same way and a test can see what was opened.

Flet 1.0 has no `page.launch_url`: links go through the UrlLauncher service. In a browser
it opens the link in a new window (the OS hands `sms:`, `mailto:`, `tel:` to its app); on
a tablet the platform's URL handler does.
"""

from __future__ import annotations

import logging

import flet as ft

log = logging.getLogger("vitrine.app")


async def open_link(url: str) -> bool:
    """Open `url` in the app that handles its scheme; False when the platform refused it
    (the caller still shows the link). The URL is never logged: it holds her phone or e-mail."""
    try:
        await ft.UrlLauncher().launch_url(url, mode=ft.LaunchMode.EXTERNAL_APPLICATION)
    except (RuntimeError, TimeoutError) as e:  # no handler, or no answer: the link stays on screen to copy
        log.warning("a link could not be opened (%s)", type(e).__name__)
        return False
    return True
