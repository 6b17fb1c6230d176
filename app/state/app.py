"""The composition: one model per feature on one shared cache, and how they react to sync.

One `App` per device: one cache file with one writer. A desktop process is one device;
in web mode each browser session is its own (app.main), with its own cache folder and
secrets held in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.cache.store import Cache, CacheUnreadable, open_device_cache
from app.services.secrets import SecretStore, open_store
from app.state import settings
from app.state.camera import CameraModel
from app.state.clients import ClientsModel
from app.state.context import AppModel, Config, Context
from app.state.diary import DiaryModel
from app.state.diary_search import DiarySearchModel
from app.state.duplicates import DuplicatesModel, PairsModel
from app.state.lists import ListsModel
from app.state.lock import LockModel
from app.state.messages import Message
from app.state.outreach import OutreachModel
from app.state.profile import ProfileModel
from app.state.register import RegisterModel
from app.state.results import ResultsModel
from app.state.scan import ScanModel
from app.state.session import Session, SessionModel
from app.state.signed_forms import SignedFormsModel
from app.state.sync import SyncModel, SyncStatus
from app.state.today import TodayModel

log = logging.getLogger("vitrine.app")


class App:
    def __init__(self, config: Config, secrets: SecretStore | None = None, clock: Callable[[], float] | None = None):
        self.ui = AppModel()
        config = settings.applied(config, self.ui)  # the Settings screen's saved choices
        secrets = secrets or open_store(config.data_dir / "secrets")
        opened = open_device_cache(config.cache_path, secrets)  # encrypted; its key in `secrets`
        problem = opened.problem
        if problem is not None:
            kind = "notice.cache_unreadable" if isinstance(problem, CacheUnreadable) else "notice.cache_damaged"
            self.ui.notice = Message.of(kind, problem.moved_to)
        self.ctx = Context(config, opened.cache, secrets, self.ui)
        self.ctx.verify, self.ctx.hub_refusal = config.hub_transport()
        if self.ctx.hub_refusal is not None:
            self.ui.notice = self.ctx.hub_refusal
            log.warning("hub address refused: %s", self.ctx.hub_refusal.key)
        self.sync = SyncModel(self.ctx, self._on_sync)
        self.clients = ClientsModel(self.ctx)
        self.session = SessionModel(self.ctx, self.sync, self.clients, on_begin=self._on_begin)
        self.lock = LockModel(self.ctx, self.session, clock)
        self.profile = ProfileModel(self.ctx, self.session, self.sync, self.clients)
        self.profile.diary = self.diary = DiaryModel(self.ctx, self.session, self.sync)
        self.diary_search = DiarySearchModel(self.ctx, self.session)
        self.profile.outreach = self.outreach = OutreachModel(self.ctx, self.session, self.sync, self.diary)
        self.results = ResultsModel(self.ctx, self.session, self.sync)  # the results screen (the hub's figures)
        self.register = RegisterModel(self.ctx, self.session, self.sync, self.clients, self.profile, self.lock)
        self.scan = ScanModel(self.ctx, self.sync, self.profile)
        self.forms = SignedFormsModel(self.ctx, self.sync)
        self.duplicates = DuplicatesModel(self.ctx, self.sync, self.profile)  # the registration's duplicate check
        self.pairs = PairsModel(self.ctx, self.sync)  # a manager's duplicate pairs (the sync screen)
        self.today = TodayModel(self.ctx, self.session, self.sync)  # the consultant's tasks (issue 17)
        self.lists = ListsModel(self.ctx, self.session, self.sync)  # a manager's campaign lists
        self.camera = CameraModel(self.ctx)  # the scan screen's live camera
        self.settings = settings.SettingsModel(self.ctx, self.sync, self.session)

    @property
    def cache(self) -> Cache:
        return self.ctx.cache

    @property
    def secrets(self) -> SecretStore:
        return self.ctx.secrets

    async def start(self) -> None:
        await self.session.start()

    async def _on_begin(self, who: Session, resumed: bool) -> None:
        self.register.handover = False  # a new session starts on the consultant's screens
        await self.lock.begin(who, resumed)

    def _on_sync(self, before: SyncStatus, now: SyncStatus) -> None:
        """What the engine's progress means for the screens: re-read what the pull changed."""
        self.clients.book_loading = now.bulk
        if now.device_revoked and not before.device_revoked:
            self.ctx.tasks.spawn(self.session.device_revoked())  # wipes the cache and secrets, says so
            return
        if now.auth_expired:
            self.ui.notice = Message("notice.session_expired")
        tasks = self.ctx.tasks
        if now.pulled != before.pulled or not now.syncing:
            tasks.spawn(self.clients.refresh())
            if self.profile.is_open:
                tasks.spawn(self.profile.load())
                tasks.spawn(self.diary.load())
            if self.ui.route.startswith("/diary"):
                tasks.spawn(self.diary_search.load())
            if self.ui.route.startswith("/today"):
                tasks.spawn(self.today.load())
                if self.today.tab == "lists":
                    tasks.spawn(self.lists.load())
            elif self.session.current and self.session.current.manager:
                tasks.spawn(self.today.load_staff())
            if self.ui.route.startswith("/settings"):
                tasks.spawn(self.settings.refresh())  # the queue and the cache's size
        if self.scan.sent is not None or now.online != before.online:
            tasks.spawn(self.scan.refresh())  # the queued link's outcome: sent, then applied or refused

    async def close(self) -> None:
        """Shutdown: background work cancelled, the engine stopped, the cache closed."""
        await self.sync.disconnect()  # first: its last status may start a refresh
        await self.ctx.tasks.cancel_all()
        self.ctx.cache.close()
