"""Which hub addresses the app talks to, and which certificates it trusts there.

A consultant's password and token, and the client book behind them, cross the store's
Wi-Fi: plain http is refused except on this machine's loopback (the demo, the tests).
A brand that signs its hub's certificate with its own CA names that CA's file
(`VITRINE_HUB_CA`); the hub is then trusted through that CA alone.
"""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or `localhost` (a name that resolves to loopback by definition)."""
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refusal(url: str) -> str | None:
    """None when the app may use `url`, else the key (app.ui.strings) of why not:
    `hub.plain_http` for http:// beyond loopback, `hub.bad_url` for anything not http(s)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:
        return "hub.bad_url"
    if not host or parts.scheme not in ("http", "https"):
        return "hub.bad_url"
    if parts.scheme == "http" and not is_loopback(host):
        return "hub.plain_http"
    return None


def tls_verify(ca_file: Path | None) -> ssl.SSLContext | bool:
    """What httpx verifies the hub's certificate against: the system's default trust (True),
    or only the brand's CA in `ca_file` (a PEM file; a missing one raises OSError here,
    at start, rather than at the first request)."""
    if ca_file is None:
        return True
    return ssl.create_default_context(cafile=str(ca_file))
