"""Platform services behind one small interface each, picked once per page at start.

The app runs as a desktop window, as a packaged Android/iOS app and in a browser; what
differs between them is reached through these interfaces only, never by testing the
platform in a screen:

- secrets (`secrets.py`): the OS keyring / Flet's SecureStorage / memory per browser session;
- documents (`documents.py`): saving and sharing a PDF (a folder and open / the share sheet /
  a browser download);
- links (`links.py`): opening a messaging or phone link (the outreach composer's send
  calls `LinkOpener.open`).

The camera's interface is app/services/camera (not here). `Kind` says which family a page is;
`app.main` builds the implementations for it (`services_for`), tests pass fakes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from app.services.platform.documents import DocumentSaver, NoDocuments
from app.services.platform.links import LinkOpener, NoLinks


class Kind(StrEnum):
    DESKTOP = "desktop"
    MOBILE = "mobile"
    WEB = "web"


MOBILE_PLATFORMS = frozenset({"android", "ios"})


def kind_of(platform: object, web: bool) -> Kind:
    """The family of a Flet page: `page.web` first (a phone's browser is the web), then
    `page.platform` (a PagePlatform or its value: "android", "ios", "linux", …)."""
    if web:
        return Kind.WEB
    value = str(getattr(platform, "value", platform) or "").lower()
    return Kind.MOBILE if value in MOBILE_PLATFORMS else Kind.DESKTOP


@dataclass
class PlatformServices:
    """What one page's platform offers. The defaults refuse politely (a model used without a
    page, as in the state tests): nothing is saved, no link is opened."""

    kind: Kind = Kind.DESKTOP
    documents: DocumentSaver = field(default_factory=NoDocuments)
    links: LinkOpener = field(default_factory=NoLinks)


__all__ = ["DocumentSaver", "Kind", "LinkOpener", "PlatformServices", "kind_of"]
