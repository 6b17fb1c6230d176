"""The PIN lock: its rules, what is stored, idle time on an injected clock, five wrong PINs.

Real parts: a real cache file and the encrypted-file secret store; the offline tests resume
a stored session with no hub (as a tablet does on a shop floor without Wi-Fi), the rest log
in to the session's demo hub.
"""

from __future__ import annotations

import asyncio

import pytest

from app.cache import outbox, store, sync_state
from app.cache.store import Cache
from app.services.pins import hash_pin, is_trivial, pin_problem, verify_pin
from app.services.secrets import EncryptedFileStore
from app.state.app import App
from app.state.context import Config
from app.state.lock import MAX_FAILURES, LockModel, LockState, PinRecord, load_records
from app.state.messages import Message
from app.state.session import Session
from tests.conftest import free_port

WHO = Session(consultant_name="Анна Смирнова", store_name="Петровка", store_id="s1", consultant_id="k1")
PIN = "4817"
IDLE = 300.0


class Clock:
    """A clock the test moves by hand: no waiting, no timing thresholds."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def stored_pin(app: App) -> PinRecord | None:
    """What the secret store holds for WHO's PIN."""
    records = load_records(app.secrets.get(app.lock.secret_key))
    return PinRecord.load(records.get(LockModel.account_of(WHO)))


def state(app: App) -> LockState:
    """Read through a call: mypy would keep an asserted state across the awaits that change it."""
    return app.lock.state


def lock_state(lock: LockModel) -> LockState:
    return lock.state


def make(tmp_path, hub_url: str, clock: Clock) -> App:
    return App(
        Config(hub_url, tmp_path / "device", sync_interval=60, lock_after=IDLE),
        secrets=EncryptedFileStore(tmp_path / "device" / "secrets"),
        clock=clock,
    )


def device_cache(tmp_path) -> Cache:
    """The device's cache file opened beside the app: with its key once the app has encrypted
    it, plain before (an earlier version's cache, which the app converts)."""
    path = tmp_path / "device" / "cache.sqlite"
    key = EncryptedFileStore(tmp_path / "device" / "secrets").get(store.key_name(path))
    return Cache(path, bytes.fromhex(key) if key else None)


def stored_session(tmp_path, hub_url: str) -> None:
    """A device that was logged in before: the session in the cache, the token in the secret store."""
    device = tmp_path / "device"
    with device_cache(tmp_path) as cache:
        cache.write_sync(sync_state.set_state, "session", WHO.dumps())
    EncryptedFileStore(device / "secrets").set(f"token:{hub_url}", "a-token")


async def resumed(tmp_path, hub_url: str, clock: Clock) -> App:
    app = make(tmp_path, hub_url, clock)
    await app.start()
    assert app.ui.route == "/clients" and app.session.current == WHO
    return app


async def with_pin(tmp_path, clock: Clock) -> tuple[App, str]:
    hub = f"http://127.0.0.1:{free_port()}"  # nobody answers: offline
    stored_session(tmp_path, hub)
    app = await resumed(tmp_path, hub, clock)
    assert state(app) is LockState.SETUP  # a session older than the lock: a PIN first
    app.lock.pin = app.lock.confirm = PIN
    assert await app.lock.set_pin()
    assert state(app) is LockState.OPEN
    return app, hub


@pytest.mark.parametrize("pin", ["0000", "1111", "1234", "4321", "0123", "9876", "123456", "654321", "1212", "777777"])
def test_trivial_pins_are_refused(pin):
    assert is_trivial(pin) and pin_problem(pin) == "lock.pin_trivial"


@pytest.mark.parametrize("pin", ["123", "1234567", "12a4", "", "４８１７", "48 17"])
def test_a_pin_is_four_to_six_digits(pin):
    assert pin_problem(pin) == "lock.pin_format"


@pytest.mark.parametrize("pin", ["4817", "1357", "90210", "271828", "1235"])
def test_ordinary_pins_pass(pin):
    assert pin_problem(pin) is None


def test_the_hash_is_salted_and_checks_only_its_pin():
    first, second = hash_pin(PIN), hash_pin(PIN)
    assert first != second  # a fresh salt each time
    assert PIN not in first
    assert verify_pin(PIN, first) and verify_pin(PIN, second)
    assert not verify_pin("4818", first)
    assert not verify_pin(PIN, "garbage") and not verify_pin(PIN, "scrypt$x$y$z$a$b")


async def test_setup_refuses_trivial_and_mismatched_pins_with_a_message(tmp_path):
    hub = f"http://127.0.0.1:{free_port()}"
    stored_session(tmp_path, hub)
    app = await resumed(tmp_path, hub, Clock())
    lock = app.lock
    lock.pin = lock.confirm = "1234"
    assert not await lock.set_pin()
    assert lock.error == Message("lock.pin_trivial") and lock_state(lock) is LockState.SETUP
    lock.pin, lock.confirm = PIN, "4871"
    assert not await lock.set_pin()
    assert lock.error == Message("lock.pin_mismatch") and lock_state(lock) is LockState.SETUP
    assert (lock.pin, lock.confirm) == ("", "")  # typed again, both
    assert stored_pin(app) is None
    await app.close()


async def test_only_the_hash_is_stored_in_the_secret_store_never_in_the_cache(tmp_path):
    app, _ = await with_pin(tmp_path, Clock())
    record = stored_pin(app)
    assert record is not None and record.failures == 0
    assert PIN not in (app.secrets.get(app.lock.secret_key) or "")
    assert verify_pin(PIN, record.hash)
    await app.close()
    raw = (tmp_path / "device" / "cache.sqlite").read_bytes()
    assert record.hash.encode() not in raw and b"pins:" not in raw
    secrets_folder = tmp_path / "device" / "secrets"
    for f in secrets_folder.iterdir():  # the file store is encrypted: no hash in clear either
        assert record.hash.split("$")[-1].encode() not in f.read_bytes()


async def test_locks_after_the_idle_time_and_activity_starts_it_over(tmp_path):
    clock = Clock()
    app, _ = await with_pin(tmp_path, clock)
    lock = app.lock
    clock.now += IDLE - 1
    assert not lock.check() and lock_state(lock) is LockState.OPEN
    lock.touch()  # a key or a touch
    clock.now += IDLE - 1
    assert not lock.check()
    clock.now += 1
    assert lock.check() and lock_state(lock) is LockState.LOCKED and lock.blocking
    lock.pin = PIN
    assert await lock.unlock()
    assert lock_state(lock) is LockState.OPEN and not lock.check()
    await app.close()


async def test_a_restart_with_a_stored_session_asks_for_the_pin(tmp_path):
    app, hub = await with_pin(tmp_path, Clock())
    await app.close()
    again = await resumed(tmp_path, hub, Clock())
    assert state(again) is LockState.LOCKED
    again.lock.pin = "1357"
    assert not await again.lock.unlock()
    assert again.lock.error == Message.of("lock.wrong", MAX_FAILURES - 1)
    again.lock.pin = PIN
    assert await again.lock.unlock()
    await again.close()


async def test_coming_back_from_the_background_locks(tmp_path):
    app, _ = await with_pin(tmp_path, Clock())
    app.lock.app_shown()  # shown without having been hidden (the first frame): nothing
    assert state(app) is LockState.OPEN
    app.lock.app_hidden()
    app.lock.app_shown()
    assert state(app) is LockState.LOCKED
    await app.close()


async def test_wrong_tries_survive_a_restart(tmp_path):
    """Restarting the app must not give a guesser five more tries."""
    app, hub = await with_pin(tmp_path, Clock())
    app.lock.lock()
    for _ in range(3):
        app.lock.pin = "1357"
        assert not await app.lock.unlock()
    await app.close()
    again = await resumed(tmp_path, hub, Clock())
    again.lock.pin = "1357"
    assert not await again.lock.unlock()
    assert again.lock.error == Message.of("lock.wrong", 1)
    await again.close()


async def test_five_wrong_pins_log_out_and_keep_the_outbox(tmp_path):
    app, hub = await with_pin(tmp_path, Clock())
    # Something done offline and not yet sent.
    await app.register.open()
    app.register.form.update(last_name="Зайцева", first_name="Алиса", phone="8 916 000-11-22")
    assert await app.register.save()
    queued = await app.cache.read(outbox.counts)
    assert queued["pending"] == 1
    app.lock.lock()
    for i in range(MAX_FAILURES):
        assert state(app) is LockState.LOCKED, f"logged out after {i} wrong PINs"
        app.lock.pin = "1357"
        assert not await app.lock.unlock()
    assert app.ui.route == "/login" and app.session.current is None
    assert app.session.error == Message("lock.too_many")
    assert app.secrets.get(app.session.token_key) is None  # the password is needed again
    assert stored_pin(app) is None  # and a new PIN after it
    assert await app.cache.read(outbox.counts) == queued  # nothing queued is lost
    await app.close()
    again = make(tmp_path, hub, Clock())
    await again.start()
    assert again.ui.route == "/login"
    await again.close()


async def test_forgot_pin_logs_in_with_the_password_and_sets_a_new_pin(demo_hub, tmp_path):
    app = make(tmp_path, demo_hub.url, Clock())
    await app.start()
    app.session.login, app.session.password = "demo", "vitrine-demo"
    assert await app.session.log_in()
    assert app.ui.route == "/clients" and state(app) is LockState.SETUP
    app.lock.pin = app.lock.confirm = PIN
    assert await app.lock.set_pin()
    app.lock.lock()
    await app.lock.forgot()
    assert app.ui.route == "/login" and app.session.error == Message("lock.forgot_done")
    app.session.password = "vitrine-demo"
    assert await app.session.log_in()
    assert state(app) is LockState.SETUP  # a new PIN, the old one is gone
    app.lock.pin = app.lock.confirm = "2468"
    assert await app.lock.set_pin()
    # A password login with a PIN already set opens straight away.
    await app.session.log_out()
    app.session.password = "vitrine-demo"
    assert await app.session.log_in()
    assert state(app) is LockState.OPEN
    await app.close()


async def test_each_account_on_the_device_has_its_own_pin(tmp_path):
    app, hub = await with_pin(tmp_path, Clock())
    await app.session.log_out()
    await app.close()
    other = WHO.model_copy(update={"consultant_name": "Пелагея Рогова", "consultant_id": "k2", "store_id": "s2"})
    with device_cache(tmp_path) as cache:
        cache.write_sync(sync_state.set_state, "session", other.dumps())
    EncryptedFileStore(tmp_path / "device" / "secrets").set(f"token:{hub}", "her-token")
    her = make(tmp_path, hub, Clock())
    await her.start()
    assert state(her) is LockState.SETUP  # the first consultant's PIN does not open hers
    her.lock.pin = her.lock.confirm = "2468"
    assert await her.lock.set_pin()
    records = load_records(her.secrets.get(her.lock.secret_key))
    assert set(records) == {"k1", "k2"}
    first, second = PinRecord.load(records["k1"]), PinRecord.load(records["k2"])
    assert first and second and verify_pin(PIN, first.hash) and verify_pin("2468", second.hash)
    assert not verify_pin(PIN, second.hash)
    await her.close()


async def test_tries_at_once_are_each_counted(tmp_path):
    """Submitting many PINs at once (Enter held down) gets no more than five tries."""
    app, _ = await with_pin(tmp_path, Clock())
    app.lock.lock()

    async def guess(pin: str) -> bool:
        app.lock.pin = pin
        return await app.lock.unlock()

    results = await asyncio.gather(*(guess(f"{1357 + i}") for i in range(MAX_FAILURES + 3)))
    assert not any(results)
    assert app.session.current is None and app.session.error == Message("lock.too_many")
    await app.close()
