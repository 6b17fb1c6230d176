"""A throwaway PostgreSQL server for tests: Debian's binaries, a temp folder, a free port.

As root, the server runs as the `postgres` system user (initdb refuses root).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import free_port


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class PostgresServer:
    url: str
    data: Path
    bin: Path
    as_user: list[str]

    def stop(self) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
        )


# The test suite's clusters are thrown away after the run: nothing is flushed to disk.
THROWAWAY = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
# What the hub benchmark measures: crash safe (fsync, full page writes), and commits not
# waiting for their WAL flush, the same promise the SQLite hub makes with WAL and
# synchronous=NORMAL (a power cut may lose the last commits, never corrupts the data).
CRASH_SAFE = "-c synchronous_commit=off"


def start_postgres(folder: Path, settings: str = THROWAWAY) -> PostgresServer:
    binary = pg_bin()
    if binary is None:
        raise FileNotFoundError("PostgreSQL server binaries not found (Debian: apt-get install postgresql)")
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
        os.chmod(folder, 0o700)
    data, sock = folder / "data", folder / "sock"
    for d in (data, sock):
        d.mkdir()
        if as_user:
            shutil.chown(d, "postgres")
    port = free_port()

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True)

    run(str(binary / "initdb"), "-D", str(data), "-U", "vitrine", "--auth=trust", "-E", "UTF8", "--locale=C")
    run(
        str(binary / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(folder / "server.log"),
        "-w",
        "-o",
        f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 {settings} -c max_connections=200",
        "start",
    )
    run(str(binary / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "vitrine", "vitrine")
    return PostgresServer(f"postgresql://vitrine@127.0.0.1:{port}/vitrine", data, binary, as_user)
