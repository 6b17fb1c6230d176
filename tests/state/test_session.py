"""The stored session: JSON now, the pipe-separated text of earlier versions still read."""

from __future__ import annotations

import asyncio

from app.cache import sync_state
from app.cache.store import Cache
from app.services.secrets import EncryptedFileStore
from app.state.session import Session
from app.state.tasks import Tasks
from tests.conftest import free_port
from tests.state.test_app import make

WHO = Session(consultant_name="Анна Смирнова", store_name="Петровка", store_id="s1", consultant_id="k1")


def test_session_round_trips_as_json():
    stored = WHO.dumps()
    assert stored.startswith("{") and Session.loads(stored) == WHO


def test_the_old_pipe_format_is_read():
    assert Session.loads("Анна Смирнова|Петровка|s1|k1") == WHO
    assert Session.loads("Анна Смирнова|Петровка|s1") == WHO.model_copy(update={"consultant_id": None})
    assert Session.loads(None) is None and Session.loads("garbage") is None and Session.loads("{}") is None


async def test_a_device_upgraded_with_an_old_session_stays_logged_in(tmp_path):
    """Offline (no hub): the stored token and the old session text resume the session, once rewritten as JSON."""
    hub = f"http://127.0.0.1:{free_port()}"
    device = tmp_path / "device"
    with Cache(device / "cache.sqlite") as cache:
        cache.write_sync(sync_state.set_state, "session", "Анна Смирнова|Петровка|s1|k1")
    EncryptedFileStore(device / "secrets").set(f"token:{hub}", "a-token")
    app = make(tmp_path, hub)
    await app.start()
    assert app.ui.route == "/clients" and app.session.current == WHO
    text = await app.cache.read(sync_state.get_state, "session")
    assert Session.loads(text) == WHO
    assert text is not None and text.startswith("{")
    await app.session.log_out()
    assert app.ui.route == "/login" and app.session.current is None
    assert await app.cache.read(sync_state.get_state, "session") is None
    await app.close()


async def test_background_tasks_are_kept_and_cancelled():
    tasks = Tasks()
    started = asyncio.Event()

    async def forever():
        started.set()
        await asyncio.sleep(3600)

    task = tasks.spawn(forever())
    await started.wait()
    assert len(tasks) == 1
    await tasks.cancel_all()
    assert task.cancelled() and len(tasks) == 0
