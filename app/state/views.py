"""Observable view state. Plain data: the screens read it, the controller writes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import flet as ft


@ft.observable
@dataclass
class LoginView:
    login: str = ""
    password: str = ""
    error: str | None = None
    busy: bool = False


@ft.observable
@dataclass
class SyncView:
    online: bool | None = None
    syncing: bool = False
    pending: int = 0
    rejected: int = 0
    last_sync: datetime | None = None
    error: str | None = None
    pulled: int = 0
    pull_total: int | None = None
    rejections: list[dict] = field(default_factory=list)


@ft.observable
@dataclass
class ClientsView:
    query: str = ""
    rows: list[dict] = field(default_factory=list)
    total: int = 0
    loading: bool = False
    book_loading: bool = False   # a bulk pull is on: name search finds new clients only at its end


@ft.observable
@dataclass
class AppView:
    route: str = "/login"
    lang: str = "ru"
    consultant_name: str = ""
    store_name: str = ""
    store_id: str = ""
    notice: str | None = None  # a problem the consultant must know about (e.g. damaged cache)


@ft.observable
@dataclass
class ProfileView:
    client_id: str = ""
    client: dict | None = None
    account: dict | None = None          # the hub's loyalty summary, when synced
    receipts: list[dict] = field(default_factory=list)
    ledger: list[dict] = field(default_factory=list)
    diary: list[dict] = field(default_factory=list)
    contacts: list[dict] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)   # receipt links made here, with their state
    pending: list[dict] = field(default_factory=list)  # this device's unsent operations for the client
    editing: bool = False
    note: str = ""                      # a diary entry being written
    note_pinned: bool = False
    form: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    saved: bool = False


@ft.observable
@dataclass
class RegisterView:
    form: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    duplicate_of: dict | None = None  # an existing client with the same phone


@ft.observable
@dataclass
class ScanView:
    text: str = ""                      # what a handheld scanner (or a person) typed
    client_id: str | None = None        # the client to link to, when chosen or preset
    client_name: str = ""
    receipt: dict | None = None         # the parsed fiscal QR: fn, i, fp, s, t, n
    message: str | None = None          # a strings key, possibly "key|param"
    error: bool = False
    busy: bool = False
    query: str = ""
    candidates: list[dict] = field(default_factory=list)
    linked: bool = False
