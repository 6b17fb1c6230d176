"""The app talks to its hub over TLS, or over plain http on loopback only; a brand's own CA
is trusted when named. Against a real hub process (https through `serve --certfile`)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading

import pytest

from app.services import hub_address
from app.services.secrets import EncryptedFileStore
from app.state.app import App
from app.state.context import Config
from app.state.messages import Message
from app.ui import strings
from sync.client import HubUnreachable
from tests.conftest import ROOT, seeded_db
from tests.tls import make_certs, start_tls_hub


@pytest.mark.parametrize(
    "url, refused",
    [
        ("http://127.0.0.1:8700", None),
        ("http://127.9.8.7:8700", None),
        ("http://[::1]:8700", None),
        ("http://localhost:8700", None),
        ("http://LOCALHOST", None),
        ("https://hub.brand.ru", None),
        ("https://10.0.0.5:8700", None),
        ("http://10.0.0.5:8700", "hub.plain_http"),
        ("http://192.168.1.20", "hub.plain_http"),
        ("http://hub.brand.ru:8700", "hub.plain_http"),
        ("http://localhost.brand.ru", "hub.plain_http"),  # a name that only starts like loopback
        ("http://127.0.0.1.nip.io", "hub.plain_http"),
        ("http://[::ffff:10.0.0.5]", "hub.plain_http"),
        ("ftp://127.0.0.1", "hub.bad_url"),
        ("hub.brand.ru:8700", "hub.bad_url"),
        ("https://", "hub.bad_url"),
        ("http://[::1", "hub.bad_url"),
    ],
)
def test_which_hub_addresses_are_refused(url, refused):
    assert hub_address.refusal(url) == refused


def _app(tmp_path, url: str, ca=None) -> App:
    return App(
        Config(url, tmp_path / "device", sync_interval=60, hub_ca=ca),
        secrets=EncryptedFileStore(tmp_path / "device" / "secrets"),
    )


def _own_address() -> str | None:
    """This machine's address beyond loopback (the route's source address), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 9))  # no packet is sent: UDP connect only picks a route
            return s.getsockname()[0]
        except OSError:
            return None


class _Listener:
    """A socket on every address that counts who connects: the hub the app must never reach."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("0.0.0.0", 0))
        self.sock.settimeout(0.2)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


async def test_a_refused_hub_is_never_connected_to(tmp_path):
    address = _own_address()
    if address is None or hub_address.is_loopback(address):
        pytest.skip("this machine has no address beyond loopback")
    listener = _Listener()
    try:
        with socket.create_connection((address, listener.port), timeout=5):
            pass  # the listener is reachable at that address: it counts this one
        for _ in range(50):
            if listener.connections:
                break
            await asyncio.sleep(0.1)
        assert listener.connections == 1
        ctrl = _app(tmp_path, f"http://{address}:{listener.port}")
        try:
            await ctrl.start()
            ctrl.session.login, ctrl.session.password = "demo", "vitrine-demo"
            assert not await ctrl.session.log_in()
            client = ctrl.ctx.hub("a-token")
            with pytest.raises(HubUnreachable):
                await client.login("demo", "vitrine-demo")
            await client.close()
        finally:
            await ctrl.close()
        assert listener.connections == 1
    finally:
        listener.close()


def test_the_app_refuses_to_start_on_a_plain_http_hub(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "app", "--hub", "http://10.0.0.5:8700", "--data", str(tmp_path / "d"), "--web", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert strings.t("ru", Message.of("hub.plain_http", "http://10.0.0.5:8700")) in done.stderr
    assert strings.t("en", Message.of("hub.plain_http", "http://10.0.0.5:8700")) in done.stderr
    assert not (tmp_path / "d").exists()  # nothing started


@pytest.fixture(scope="module")
def tls_hub(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls-app")
    certs = make_certs(folder)
    hub = start_tls_hub(seeded_db(folder, clients=40), certs)
    yield hub, certs
    hub.stop()


async def test_the_app_logs_in_and_syncs_over_https_trusting_the_brands_ca(tls_hub, tmp_path):
    hub, certs = tls_hub
    ctrl = _app(tmp_path, hub.url, ca=certs.ca)
    try:
        assert ctrl.ui.notice is None
        await ctrl.start()
        ctrl.session.login, ctrl.session.password = "demo", "vitrine-demo"
        assert await ctrl.session.log_in(), ctrl.session.error
        assert ctrl.ui.route == "/clients"
        engine = ctrl.sync.engine
        assert engine is not None
        await engine.sync_once()
        assert ctrl.sync.status.online is True and ctrl.sync.status.last_sync is not None
    finally:
        await ctrl.close()


async def test_without_the_brands_ca_the_hub_is_not_trusted(tls_hub, tmp_path):
    hub, _ = tls_hub
    ctrl = _app(tmp_path, hub.url)
    try:
        await ctrl.start()
        ctrl.session.login, ctrl.session.password = "demo", "vitrine-demo"
        assert not await ctrl.session.log_in()
        assert ctrl.session.error == Message("login.unreachable")
    finally:
        await ctrl.close()


async def test_a_missing_ca_file_is_said_and_nothing_is_sent(tls_hub, tmp_path):
    hub, _ = tls_hub
    ctrl = _app(tmp_path, hub.url, ca=tmp_path / "nowhere.pem")
    try:
        assert ctrl.ui.notice == Message.of("hub.bad_ca", str(tmp_path / "nowhere.pem"))
        await ctrl.start()
        ctrl.session.login, ctrl.session.password = "demo", "vitrine-demo"
        assert not await ctrl.session.log_in()
        assert ctrl.session.error == ctrl.ui.notice
    finally:
        await ctrl.close()
