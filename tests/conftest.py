"""Fixtures shared by the whole suite: free ports and real hub processes on loopback."""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"


# --- no personal data in any log of a test run ------------------------------------------------
# A phone (+7 or 8 and ten digits, in any common spacing) or an e-mail address in a log record
# of this process, or in a hub subprocess's log, fails the session at its end. Masked phones
# (+7 916 ***-**-67) and ids do not match: the digits must run unbroken by letters.
PHONE_RE = re.compile(r"(?<![\w+])(?:\+7|8)[\s\-()]{0,2}\d{3}[\s\-()]{0,2}\d{3}[\s\-]?\d{2}[\s\-]?\d{2}(?!\w)")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")


def personal_data(text: str) -> list[str]:
    """The phones and e-mail addresses found in `text`."""
    return [m.group(0) for m in (*PHONE_RE.finditer(text), *EMAIL_RE.finditer(text))]


class PersonalDataInLogs(logging.Handler):
    """Sees every record of every logger (the root at DEBUG) and keeps those that name a phone
    or an e-mail address, with the message and any traceback as they would be written."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.seen = 0
        self.offenders: list[tuple[str, str, list[str]]] = []  # (logger, where, what was found)

    def emit(self, record: logging.LogRecord) -> None:
        self.seen += 1
        try:
            text = self.format(record)
        except Exception:  # noqa: BLE001 - a record that cannot be formatted is the logger's bug, not ours
            text = str(record.msg)
        found = personal_data(text)
        if found:
            self.offenders.append((record.name, f"{record.pathname}:{record.lineno}", found))


LOG_WATCH = PersonalDataInLogs()
HUB_LOGS: list[Path] = []
"""Log files of hub subprocesses started by the tests, read at the session's end."""


def watch_hub_log(path: Path) -> Path:
    HUB_LOGS.append(path)
    return path


def log_file_findings(paths: list[Path]) -> list[tuple[str, str, list[str]]]:
    """(source, file:line, what was found) for each line of these log files naming a phone or an e-mail."""
    found = []
    for path in dict.fromkeys(paths):
        if path.exists():
            for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                if what := personal_data(line):
                    found.append(("hub subprocess", f"{path}:{n}", what))
    return found


def pytest_configure(config) -> None:
    root = logging.getLogger()
    root.addHandler(LOG_WATCH)
    root.setLevel(logging.DEBUG)
    # SQLAlchemy's INFO is its statement echo (off in production: no handler enables it); at
    # DEBUG the root would turn it on and it would print every bound parameter.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)


def pytest_sessionfinish(session, exitstatus) -> None:
    found = [*LOG_WATCH.offenders, *log_file_findings(HUB_LOGS)]
    if not found:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"{len(found)} log records name a phone or an e-mail address (of {LOG_WATCH.seen} records seen):"]
    lines += [f"  {name} at {where}: {len(what)} found" for name, where, what in found[:50]]
    if reporter is not None:
        reporter.write_line("\n".join(lines), red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError as e:
            last = e
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer: {last}")


@dataclass
class HubProcess:
    url: str
    db_path: Path
    proc: subprocess.Popen

    def stop(self) -> None:
        stop_process(self.proc)

    def start(self) -> None:
        """Start again on the same port and database (after stop())."""
        port = int(self.url.rsplit(":", 1)[1])
        self.proc = spawn_hub(self.db_path, port)
        wait_http(self.url + "/healthz")


def stop_process(proc: subprocess.Popen) -> None:
    """Terminate, and kill what does not end within 10 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def spawn_hub(db_path: Path, port: int, extra: tuple[str, ...] = ()) -> subprocess.Popen:
    """`python -m sync.hub serve` on loopback, its log watched for personal data."""
    # The hub writes to its own copy of the log's descriptor; ours closes once it is started
    # (it used to stay open, one file handle leaked per hub started).
    with open(watch_hub_log(db_path.with_suffix(f".{port}.log")), "ab") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sync.hub",
                "serve",
                "--db",
                str(db_path),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                *extra,
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def seeded_db(folder: Path, clients: int = 300) -> Path:
    from sync.hub.seed import seed
    from sync.hub.storage import HubDB

    path = folder / "hub.sqlite"
    db = HubDB(str(path))
    db.migrate()
    seed(db, n_clients=clients, log=None)
    db.dispose()
    return path


def start_hub(folder: Path, clients: int = 300) -> HubProcess:
    path = seeded_db(folder, clients)
    port = free_port()
    hub = HubProcess(f"http://127.0.0.1:{port}", path, spawn_hub(path, port))
    wait_http(hub.url + "/healthz")
    return hub


@pytest.fixture(scope="session")
def demo_hub(tmp_path_factory) -> Iterator[HubProcess]:
    """A real hub on loopback with a small demo boutique, shared by the session."""
    hub = start_hub(tmp_path_factory.mktemp("hub"), clients=int(os.environ.get("VITRINE_TEST_CLIENTS", "600")))
    yield hub
    hub.stop()


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """A real PostgreSQL server for the session, or a skip that says why."""
    from tests.pg import pg_bin, start_postgres

    if pg_bin() is None:
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql): PostgreSQL tests skipped")
    import shutil
    import tempfile

    # Not under pytest's root-only tmp folder: the server runs as the postgres user.
    folder = Path(tempfile.mkdtemp(prefix="vitrine-pg-"))
    try:
        server = start_postgres(folder)
    except Exception as e:  # noqa: BLE001 - report why, don't hide it
        detail = getattr(e, "stderr", b"") or b""
        pytest.skip(f"could not start PostgreSQL: {e} {detail.decode(errors='replace')[-300:]}")
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hub_url(request, tmp_path_factory):
    """A fresh, empty hub database URL (per test module), on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path_factory.mktemp("hub") / "hub.sqlite")
    server = request.getfixturevalue("postgres")
    import uuid

    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.url.rsplit("/", 1)[0] + "/" + name
