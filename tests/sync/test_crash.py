"""SIGKILL the app's sync process at random points of push and pull: the cache survives
and no committed local mutation is lost.

tests/sync/crash_worker.py writes locally and syncs in a loop, printing a marker before
each step; this test waits for a chosen marker, lets a random few milliseconds pass and
kills it with SIGKILL, over and over on the same cache file. After every kill the cache
must pass `PRAGMA integrity_check` and every mutation the worker logged as committed must
be on the hub or still in the outbox (with its row, for a registration). After the last
kill, one clean sync must leave the outbox empty, every logged mutation applied on the
hub exactly once, and the cache equal to the hub's view of the store.

VITRINE_CRASH_KILLS (default 60) sets the number of kills.
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from app.cache import cipher, sync_state
from tests.conftest import ROOT
from tests.sync.helpers import STORES, TEST_KEY, Device, compare_cache_with_hub

KILLS = int(os.environ.get("VITRINE_CRASH_KILLS", "60"))
WORKER = Path(__file__).with_name("crash_worker.py")
# Where to aim: inside an HTTP exchange, inside a local sync transaction, right after
# one, while writing locally, and right after opening.
TARGETS = ["push", "record_results", "pull", "apply_page", "pushed", "pulled", "write", "opened", "synced"]


def _read_until(proc: subprocess.Popen[bytes], target: str, skip: int, timeout: float = 30.0) -> str:
    """Read the worker's markers until the (skip+1)-th `target`; returns the last line seen."""
    deadline = time.monotonic() + timeout
    buf = b""
    seen = 0
    out, err = proc.stdout, proc.stderr
    assert out is not None and err is not None, "the worker must run with stdout and stderr piped"
    fd = out.fileno()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            if proc.poll() is not None:
                raise AssertionError(
                    f"worker exited with {proc.returncode} before '{target}': "
                    f"{err.read().decode(errors='replace')[-2000:]}"
                )
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            raise AssertionError(
                f"worker closed its output before '{target}' "
                f"({proc.wait()}): {err.read().decode(errors='replace')[-2000:]}"
            )
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            text = line.decode()
            if text.startswith("error"):
                continue
            if text == target:
                if seen == skip:
                    return text
                seen += 1
    raise AssertionError(f"no '{target}' marker within {timeout}s")


def _integrity(path: Path) -> str:
    conn = cipher.connect(path, TEST_KEY, timeout=30)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def _logged(log: Path) -> list[tuple[str, str, str]]:
    if not log.exists():
        return []
    logged = []
    for line in log.read_text().splitlines():
        if line.strip():
            mid, kind, entity_id = line.split()
            logged.append((mid, kind, entity_id))
    return logged


def _accounted(cache_path: Path, hub, device_id: str, logged: list[tuple[str, str, str]]) -> list[str]:
    """Logged mutations neither on the hub nor in the outbox (with their row), as messages."""
    conn = cipher.connect(cache_path, TEST_KEY, timeout=30)
    try:
        waiting = {r[0]: r[1] for r in conn.execute("SELECT id, status FROM outbox")}
        clients = {r[0] for r in conn.execute("SELECT id FROM clients")}
        diary = {r[0] for r in conn.execute("SELECT id FROM entities WHERE entity = 'diary'")}
    finally:
        conn.close()
    on_hub = {k[1] for k in hub.view.mutations([device_id])}
    problems = []
    for mid, kind, entity in logged:
        if mid not in on_hub and mid not in waiting:
            problems.append(f"lost: {kind} {mid} ({entity}) is neither on the hub nor in the outbox")
        if mid in waiting and kind == "client.register" and entity not in clients:
            problems.append(f"{kind} {mid} is queued but its client row {entity} is gone")
        if mid in waiting and kind == "diary.add" and entity not in diary:
            problems.append(f"{kind} {mid} is queued but its diary row {entity} is gone")
    return problems


async def test_sigkill_during_push_and_pull_loses_no_committed_mutation(hub, tmp_path):
    rnd = random.Random(int(os.environ.get("VITRINE_CRASH_SEED", "42")))
    login = "consultant01"
    cache_path, log = tmp_path / "cache.sqlite", tmp_path / "committed.log"
    session = hub.session(login)  # one session for the worker's every life and the last clean sync
    device_id = session["device_id"]
    base = [
        sys.executable,
        str(WORKER),
        "--cache",
        str(cache_path),
        "--log",
        str(log),
        "--hub",
        hub.url,
        "--token",
        session["access_token"],
        "--device-id",
        device_id,
        "--store",
        STORES[0],
        "--pull-limit",
        "150",
        "--push-batch",
        "20",
        "--bulk-min",
        "300",
    ]
    where: Counter[str] = Counter()
    for k in range(KILLS):
        target = TARGETS[k % len(TARGETS)]
        if k == 0:
            target = "apply_page_file"  # the very first pull, into an empty cache
        # Leaving the with block closes the pipes and waits for the worker.
        with subprocess.Popen(
            [*base, "--seed", str(k)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        ) as proc:
            try:
                _read_until(proc, target, skip=rnd.randrange(3) if target in ("write", "pull", "apply_page") else 0)
                time.sleep(rnd.choice([0, 0, rnd.uniform(0, 0.003), rnd.uniform(0, 0.03)]))
                proc.send_signal(signal.SIGKILL)
            finally:
                if proc.poll() is None:
                    proc.kill()
        assert proc.returncode == -signal.SIGKILL, f"kill {k}: the worker ended by itself ({proc.returncode})"
        where[target] += 1
        assert _integrity(cache_path) == "ok", f"kill {k} at {target}: cache damaged"
        problems = _accounted(cache_path, hub, device_id, _logged(log))
        assert not problems, f"kill {k} at {target}:\n" + "\n".join(problems[:10])

    logged = _logged(log)
    assert len(logged) > KILLS, "the worker committed too little to prove anything"
    # one clean sync after the last kill
    d = Device(
        tmp_path,
        login,
        session["access_token"],
        hub.url,
        device_id=device_id,
        refresh_token=session["refresh_token"],
        cache_file=cache_path.name,
    )
    try:
        await d.settle()
        assert d.outbox() == []
        stored = hub.view.mutations([device_id])
        missing = [m for m, _, _ in logged if (device_id, m) not in stored]
        assert not missing, f"{len(missing)} committed mutations never reached the hub: {missing[:5]}"
        not_applied = {
            m: stored[(device_id, m)]["response"] for m, _, _ in logged if stored[(device_id, m)]["status"] != "applied"
        }
        assert not not_applied, not_applied
        # each logged registration and diary entry exists once on the hub
        for mid, kind, entity in logged:
            if kind == "client.register":
                assert hub.view.client(entity) is not None
            elif kind == "diary.add":
                assert [r["id"] for r in hub.view.diary_revisions(entity)] == [mid]
        assert compare_cache_with_hub(d.cache, hub.view, d.store_id) == []
        assert await d.cache.read(sync_state.cursor) > 0
    finally:
        await d.close()
    print(f"crash: {KILLS} kills {dict(where)}, {len(logged)} committed mutations, all accounted for")
    assert sum(where.values()) == KILLS >= 50 or KILLS < 50
