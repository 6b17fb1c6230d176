"""Actions of the app: login, sync, client list. No Flet widgets here; unit-tested.

Screen → action here → cache (row + outbox in one transaction) → view state re-read
from the cache. The sync engine runs beside it; no screen talks to the network.
Messages are stored as string keys (app.ui.strings) so the UI can show them in the
consultant's language.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from app.cache import clients, outbox, records, sync_state
from app.cache.replica import CacheReplica
from app.cache.store import Cache
from app.services.secrets import SecretStore, open_store
from sync.models import ClientProfile
from app.state import profile_form
from app.state.views import AppView, ClientsView, LoginView, ProfileView, RegisterView, ScanView, SyncView
from sync.client import HubClient, HubError, HubUnreachable
from app.sync_engine.engine import SyncEngine, SyncStatus
from sync.models import new_id, utcnow

log = logging.getLogger("vitrine.app")


@dataclass
class Config:
    hub_url: str
    data_dir: Path
    sync_interval: float = 10.0

    @property
    def cache_path(self) -> Path:
        return self.data_dir / "cache.sqlite"


class Controller:
    def __init__(self, config: Config, secrets: SecretStore | None = None):
        self.config = config
        self.app = AppView()
        self.login_view = LoginView()
        self.sync = SyncView()
        self.clients = ClientsView()
        self.profile = ProfileView()
        self.register = RegisterView()
        self.scan = ScanView()
        self.secrets = secrets or open_store(config.data_dir / "secrets")
        self.cache, problem = Cache.open_or_quarantine(config.cache_path)
        if problem is not None:
            self.app.notice = f"cache_damaged|{problem.moved_to}"
            log.warning("damaged cache moved to %s: %s", problem.moved_to, problem.detail)
        self.device_id = ""  # read in start(), off the event loop
        self.client: HubClient | None = None
        self.consultant_id: str | None = None
        self.engine: SyncEngine | None = None
        self._search_seq = 0
        self._consultants: dict[str, str] = {}
        self._stores: dict[str, str] = {}

    # --- session --------------------------------------------------------------------

    @property
    def _token_key(self) -> str:
        return f"token:{self.config.hub_url}"

    async def start(self) -> None:
        """Resume a stored session (works offline), else show the login screen."""
        self.device_id = await self.cache.write(_device_id)
        token = await asyncio.to_thread(self.secrets.get, self._token_key)
        who = await self.cache.read(sync_state.get_state, "session")
        if token and who:
            name, store_name, store_id, *rest = who.split("|")
            self.consultant_id = rest[0] if rest else None
            self._begin(token, name, store_name, store_id)
        else:
            self.app.route = "/login"

    def _begin(self, token: str, name: str, store_name: str, store_id: str) -> None:
        self.app.consultant_name, self.app.store_name, self.app.store_id = name, store_name, store_id
        self.client = HubClient(self.config.hub_url, token)
        self.engine = SyncEngine(CacheReplica(self.cache), self.client, self.device_id, on_status=self._on_sync,
                                 interval=self.config.sync_interval)
        self.app.route = "/clients"
        self.engine.start()
        asyncio.get_running_loop().create_task(self.refresh_clients())

    async def login(self) -> bool:
        v = self.login_view
        if not v.login.strip() or not v.password:
            v.error = "login.empty"
            return False
        v.busy, v.error = True, None
        client = HubClient(self.config.hub_url)
        try:
            me = await client.login(v.login.strip(), v.password)
        except HubUnreachable:
            v.error = "login.unreachable"
            return False
        except HubError as e:
            v.error = "login.wrong" if e.status == 401 else f"login.failed|{e.title}"
            return False
        finally:
            v.busy = False
            await client.close()
        previous = await self.cache.read(sync_state.get_state, "store_id")
        if previous and previous != me.store_id:
            # Another store's book must not mix with this one: start the feed over.
            await self.cache.write(sync_state.set_state, "cursor", "0")
        await asyncio.to_thread(self.secrets.set, self._token_key, me.access_token)
        await self.cache.write(sync_state.set_state, "session",
                               f"{me.consultant_name}|{me.store_name}|{me.store_id}|{me.consultant_id}")
        self.consultant_id = me.consultant_id
        await self.cache.write(sync_state.set_state, "store_id", me.store_id)
        v.password = ""
        self._begin(me.access_token, me.consultant_name, me.store_name, me.store_id)
        return True

    async def logout(self) -> None:
        if self.engine:
            await self.engine.stop()
        if self.client:
            await self.client.close()
        self.engine = self.client = None
        await asyncio.to_thread(self.secrets.delete, self._token_key)
        await self.cache.write(sync_state.set_state, "session", None)
        self.app.route = "/login"

    async def close(self) -> None:
        if self.engine:
            await self.engine.stop()
        if self.client:
            await self.client.close()
        self.cache.close()

    # --- sync -----------------------------------------------------------------------

    def _on_sync(self, s: SyncStatus) -> None:
        pulled_before = self.sync.pulled
        v = self.sync
        v.online, v.syncing, v.pending, v.rejected = s.online, s.syncing, s.pending, s.rejected
        v.last_sync, v.error, v.pulled, v.pull_total = s.last_sync, s.error, s.pulled, s.pull_total
        self.clients.book_loading = s.bulk
        if s.auth_expired:
            self.app.notice = "session_expired"
        if s.pulled != pulled_before or not s.syncing:
            loop = asyncio.get_running_loop()
            loop.create_task(self.refresh_clients())
            if self.profile.client_id and self.app.route.startswith("/clients/"):
                loop.create_task(self.load_profile())

    def sync_now(self) -> None:
        if self.engine:
            self.engine.kick()

    async def load_rejections(self) -> None:
        self.sync.rejections = await self.cache.read(outbox.rejected)

    async def dismiss_rejection(self, mutation_id: str) -> None:
        await self.cache.write(outbox.dismiss_rejected, mutation_id)
        await self.load_rejections()
        if self.engine:
            await self.engine.refresh_counts()

    # --- clients --------------------------------------------------------------------

    async def set_query(self, query: str) -> None:
        self.clients.query = query
        await self.refresh_clients(recount=False)

    async def refresh_clients(self, recount: bool = True) -> None:
        """Re-read the list from the cache; a newer call supersedes an older one.

        Typing only searches (`recount=False`); counting the book waits for data to change.
        """
        self._search_seq += 1
        seq = self._search_seq
        rows = await self.cache.read(queries.client_list, self.clients.query, 100)
        if recount:
            self.clients.total = await self.cache.read(queries.client_count)
            self._stores = await self.cache.read(queries.store_names)
        if seq == self._search_seq:
            self.clients.rows = rows


    # --- profile ------------------------------------------------------------------

    async def open_client(self, client_id: str) -> None:
        self.profile.client_id = client_id
        self.profile.editing = False
        self.profile.errors = {}
        await self.load_profile()
        self.app.route = f"/clients/{client_id}"

    def back_to_list(self) -> None:
        self.app.route = "/clients"

    def store_name(self, store_id: str | None) -> str | None:
        return self._stores.get(store_id or "")

    def consultant_name(self, consultant_id: str | None) -> str | None:
        return self._consultants.get(consultant_id or "")

    async def load_profile(self) -> None:
        self._consultants = await self.cache.read(queries.consultant_names)
        bundle = await self.cache.read(queries.profile_bundle, self.profile.client_id)
        p = self.profile
        if bundle is None:
            p.client = None
            return
        for key, value in bundle.items():
            setattr(p, key, value)

    def start_edit(self) -> None:
        if self.profile.client:
            self.profile.form = profile_form.form_from_client(self.profile.client)
            self.profile.errors = {}
            self.profile.editing = True

    def cancel_edit(self) -> None:
        self.profile.editing = False
        self.profile.errors = {}

    async def save_profile(self) -> bool:
        """Validate the form; on success write row + outbox in one transaction, then sync."""
        p = self.profile
        if p.client is None:
            return False
        fields, errors = profile_form.fields_from_form(dict(p.form), p.client)
        if errors:
            p.errors = errors
            return False
        if fields:
            try:
                await self.cache.write(clients.update_client, p.client_id, fields)
            except ValueError:
                p.errors = {"_form": "form.invalid"}
                return False
            self.sync_now()
        p.errors = {}
        p.editing = False
        await self.load_profile()
        await self.refresh_clients()
        return True


    async def add_note(self) -> bool:
        """A diary entry: shown at once (pending), appended on the hub at the next push."""
        p = self.profile
        text = p.note.strip()
        if not text or p.client is None:
            return False
        entry_id = new_id()
        now = utcnow().isoformat()
        data = {"id": entry_id, "client_id": p.client_id, "text": text, "pinned": p.note_pinned,
                "author_id": self.consultant_id, "author_name": self.app.consultant_name,
                "created_at": now, "updated_at": now, "deleted": False}
        await self.cache.write(records.add_record, "diary", "diary.add", entry_id, p.client_id, data,
                               {"client_id": p.client_id, "text": text, "pinned": p.note_pinned})
        p.note, p.note_pinned = "", False
        self.sync_now()
        await self.load_profile()
        return True

    # --- registration ----------------------------------------------------------------

    def start_register(self) -> None:
        """Open the form; a half-filled one is kept as it was left."""
        if not self.register.form:
            self.register.form = profile_form.form_from_client({})
            self.register.errors = {}
            self.register.duplicate_of = None
        self.app.route = "/register"

    async def save_register(self) -> str | None:
        """Register offline: the client exists on this device at once, the hub learns later."""
        r = self.register
        fields, errors = profile_form.fields_from_form(dict(r.form), {})
        if errors:
            r.errors = errors
            return None
        phone = fields.get("phone")
        if phone and r.duplicate_of is None:
            same = await self.cache.read(queries.client_by_phone, phone)
            if same is not None:
                r.duplicate_of = same
                name = " ".join(x for x in (same["last_name"], same["first_name"]) if x)
                r.errors = {"phone": f"form.phone_taken|{name}"}
                return None  # saving again registers anyway: namesakes share phones sometimes
        try:
            profile = ClientProfile.model_validate({**fields, "consultant_id": self.consultant_id})
        except ValueError:
            r.errors = {"_form": "form.invalid"}
            return None
        cid = await self.cache.write(clients.register_client, profile, self.app.store_id)
        self.sync_now()
        self.register.form, self.register.errors, self.register.duplicate_of = {}, {}, None
        await self.refresh_clients()
        await self.open_client(cid)
        return cid

    def cancel_register(self) -> None:
        self.app.route = "/clients"


    # --- receipt scanning ------------------------------------------------------------

    def start_scan(self, client_id: str | None = None, client_name: str = "") -> None:
        """Open the scan screen; from a profile the client is already chosen."""
        self.scan.receipt, self.scan.message, self.scan.linked, self.scan.error = None, None, False, False
        self.scan.text = ""
        if client_id:
            self.scan.client_id, self.scan.client_name = client_id, client_name
        self.app.route = "/scan"

    async def scan_text(self, text: str) -> None:
        """A payload typed by a handheld scanner (ends with Enter) or pasted by hand."""
        from app.services.scanning.codes import classify

        self.scan.text = text
        if not text.strip():
            return
        await self._use_code(classify(text.strip()))

    async def scan_image(self, data: bytes) -> None:
        """A photo or screenshot: decode every code in it, off the event loop."""
        from app.services.scanning.codes import classify
        from app.services.scanning.decoder import decode

        s = self.scan
        s.busy, s.message, s.error = True, None, False
        try:
            codes = await asyncio.to_thread(decode, data)
        except Exception as e:  # noqa: BLE001 - an unreadable file is the consultant's problem to see
            s.busy, s.message, s.error = False, f"scan.bad_image|{e}", True
            return
        s.busy = False
        found = [classify(c) for c in codes]
        # A receipt wins over a card; among the rest the first readable code.
        found.sort(key=lambda c: {"ReceiptCode": 0, "CardCode": 1}.get(type(c).__name__, 2))
        if not found:
            s.message, s.error = "scan.nothing", True
            return
        await self._use_code(found[0])

    async def _use_code(self, code) -> None:
        from app.services.scanning.codes import CardCode, ReceiptCode

        s = self.scan
        s.linked = False
        if isinstance(code, ReceiptCode):
            qr = code.receipt
            if qr.n in (3, 4):
                s.receipt, s.message, s.error = None, "scan.not_sale", True
                return
            s.receipt = {"fn": qr.fn, "i": qr.i, "fp": qr.fp, "s": qr.s, "t": qr.t.isoformat(), "n": qr.n}
            s.message, s.error = ("scan.choose_client" if not s.client_id else None), False
        elif isinstance(code, CardCode):
            found = await self.cache.read(queries.client_by_card, code.number)
            if found is None:
                s.message, s.error = f"scan.card_unknown|{code.number}", True
            else:
                await self.open_client(found["id"])
        else:
            s.message, s.error = f"scan.unknown|{code.reason}", True

    async def find_scan_client(self, query: str) -> None:
        self.scan.query = query
        self.scan.candidates = await self.cache.read(queries.client_list, query, 8) if query.strip() else []

    def choose_scan_client(self, client_id: str, name: str) -> None:
        self.scan.client_id, self.scan.client_name = client_id, name
        self.scan.candidates, self.scan.query = [], ""
        if self.scan.message == "scan.choose_client":
            self.scan.message = None

    async def link_scanned(self) -> bool:
        """Queue the link (works offline); the hub matches it by fn, i and fp."""
        s = self.scan
        if s.receipt is None:
            return False
        if not s.client_id:
            s.message, s.error = "scan.choose_client", True
            return False
        await self.cache.write(records.link_receipt, s.client_id, s.receipt)
        s.linked, s.message, s.error = True, "scan.linked", False
        self.sync_now()
        if self.profile.client_id == s.client_id:
            await self.load_profile()
        return True


def _device_id(db) -> str:
    found = sync_state.get_state(db, "device_id")
    if found:
        return found
    did = new_id()
    sync_state.set_state(db, "device_id", did)
    return did
