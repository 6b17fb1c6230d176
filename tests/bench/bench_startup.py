"""Start-up benchmark: a returning consultant opens the app on a device with 100,000 clients.

    python tests/bench/bench_startup.py [--clients 100000] [--runs 5] [--keep DIR]

1. Builds (or, with --keep DIR, reuses) a device folder as the app leaves it: the encrypted
   cache (SQLCipher, its key in the secret store) with the clients of sync.hub.demo
   indexed for search, a stored session, its tokens and the consultant's PIN hash (the
   file secret store, `--secrets-file`). The hub is unreachable (a closed loopback port):
   a returning consultant's start never waits for it.
2. `startup_ms` (what she feels): `python -m app --web` is launched, and Chromium opens
   the page as soon as the port answers; the clock runs from the launch until the first
   screen a returning consultant sees, the PIN lock screen ("Приложение заблокировано"),
   is in the browser's semantics tree with its PIN field (responsive: the field takes the
   PIN). Flutter updates that tree a frame or a few before the canvas paints: a screenshot
   taken at that instant may still show Flet's "Working..." overlay. Then the PIN is
   typed and `unlock_to_book_ms` runs until the book screen (its search field and the
   consultant's name) shows. Each run is a fresh process on the same folder; `served_ms`
   is the part until the app's port answered.
3. `app_start_ms`: the app's own start-up path in this process (App() opening the cache,
   App.start() resuming the session up to the lock) and `book_ready_ms`: until the client
   list behind the lock is read, without the browser or Python's imports.

Ends with one JSON line: {"startup_ms", "startup_p50_ms", "unlock_to_book_ms", "served_ms", "app_start_ms",
"book_ready_ms", "clients", "runs"}; startup_ms is the worst of the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HUB = "http://127.0.0.1:9"  # nothing listens: the device is offline, as it may well be
PIN = "4817"
LOCK_TEXT = "Приложение заблокировано"
TARGET_MS = 2000
WEB_FLAGS = ["--secrets-file", "--single-session"]  # the tablet's own browser is the device


def build(data: Path, n: int) -> None:
    from app.cache import search_index, sync_state
    from app.cache.store import open_device_cache
    from app.services.pins import hash_pin, pins_secret_key
    from app.services.secrets import EncryptedFileStore
    from app.state.session import OWNER_KEY, SESSION_KEY, Session
    from sync.hub.demo import iter_clients
    from tests.bench.bench_lookup import _put

    t0 = time.perf_counter()
    secrets = EncryptedFileStore(data / "secrets")
    cache = open_device_cache(data / "cache.sqlite", secrets).cache
    buf: list[dict] = []
    store = ""
    pending = None
    for c in iter_clients(n, 1):
        store = store or c["store_id"]
        buf.append(c)
        if len(buf) >= 5000:
            if pending is not None:
                pending.result()
            pending = cache.submit(_put, buf)
            buf = []
    if pending is not None:
        pending.result()
    if buf:
        cache.write_sync(_put, buf)
    cache.write_sync(search_index.optimize)
    who = Session(consultant_name="Бенч", store_name="Бенч", store_id=store, consultant_id="bench-1", role="consultant")
    for key in (SESSION_KEY, OWNER_KEY):
        cache.write_sync(sync_state.set_state, key, who.dumps())
    cache.write_sync(sync_state.set_state, "store_id", store)
    cache.close()
    secrets.set(f"token:{HUB}", "bench-access")
    secrets.set(f"refresh:{HUB}", "bench-refresh")
    secrets.set(f"device:{HUB}", json.dumps({"id": "bench-device", "key": "k"}))
    secrets.set(pins_secret_key(HUB), json.dumps({"bench-1": {"hash": hash_pin(PIN), "failures": 0}}))
    print(f"  built {n:,} clients in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def browser_run(data: Path, browser) -> tuple[float, float, float]:
    """One launch: ms to the lock screen in the browser, then ms from the PIN to the book,
    and ms from the launch until the app's port answered (Python's imports, Flet's server)."""
    import urllib.request

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = open(data / "app.log", "ab")  # noqa: SIM115 - the child writes to it until stopped
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "--web",
            str(port),
            "--hub",
            HUB,
            "--data",
            str(data),
            "--secrets-file",
            "--single-session",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "VITRINE_LOGIN": "", "VITRINE_PASSWORD": ""},
    )
    try:
        while True:
            try:
                urllib.request.urlopen(url, timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"the app exited: see {data / 'app.log'}") from None
                time.sleep(0.02)
        served = (time.perf_counter() - t0) * 1000
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ru-RU")
        page = context.new_page()
        page.route("**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url else r.abort())
        page.goto(url)
        holder = page.locator("flt-semantics-placeholder")
        holder.wait_for(state="attached", timeout=60_000)
        holder.dispatch_event("click")
        page.get_by_text(LOCK_TEXT).first.wait_for(state="attached", timeout=60_000)
        box = page.get_by_role("textbox", name="PIN-код", exact=True)
        box.wait_for(state="attached", timeout=60_000)
        locked = (time.perf_counter() - t0) * 1000
        page.screenshot(path=str(data / "startup-lock.png"))
        t1 = time.perf_counter()
        box.click()
        box.fill(PIN)
        box.press("Enter")
        page.get_by_role("textbox", name="Поиск").first.wait_for(state="attached", timeout=60_000)
        page.get_by_text("Бенч").first.wait_for(state="attached", timeout=60_000)
        book = (time.perf_counter() - t1) * 1000
        page.screenshot(path=str(data / "startup-book.png"))
        context.close()
        return locked, book, served
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


async def in_process(data: Path) -> tuple[float, float]:
    """The app's own start-up path: App() (the cache opened) and start() up to the lock."""
    from app.services.secrets import EncryptedFileStore
    from app.state.app import App
    from app.state.context import Config

    t0 = time.perf_counter()
    app = await asyncio.to_thread(App, Config(HUB, data), EncryptedFileStore(data / "secrets"))
    await app.start()
    assert app.lock.blocking, "a resumed session starts locked"
    started = (time.perf_counter() - t0) * 1000
    while not app.clients.rows:
        await asyncio.sleep(0.002)
    ready = (time.perf_counter() - t0) * 1000
    await app.close()
    return started, ready


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep", metavar="DIR", help="build (or reuse) the device folder in DIR and keep it")
    args = ap.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="vitrine-startup-"))
    data = work / "device"
    marker = work / f"built-{args.clients}"
    try:
        if not marker.exists():
            shutil.rmtree(data, ignore_errors=True)
            data.mkdir(parents=True)
            build(data, args.clients)
            marker.touch()
        size = sum(p.stat().st_size for p in data.glob("cache.sqlite*"))
        print(f"device folder {data} (cache {size / 1e6:.0f} MB)", file=sys.stderr)

        starts, readies = [], []
        for _ in range(args.runs):
            s, r = asyncio.run(in_process(data))
            starts.append(s)
            readies.append(r)
        print(f"in process: start {statistics.median(starts):.0f} ms, book read {statistics.median(readies):.0f} ms")

        from playwright.sync_api import sync_playwright

        locks, books, serves = [], [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
            )
            for i in range(args.runs):
                lock_ms, book_ms, served_ms = browser_run(data, browser)
                print(
                    f"  run {i + 1}: port answered at {served_ms:.0f} ms, lock screen at {lock_ms:.0f} ms, "
                    f"PIN to book {book_ms:.0f} ms"
                )
                locks.append(lock_ms)
                books.append(book_ms)
                serves.append(served_ms)
            browser.close()
        worst = max(locks)
        print(
            f"launch to lock screen: p50 {statistics.median(locks):.0f} ms, worst {worst:.0f} ms (target {TARGET_MS})"
        )
        print(
            json.dumps(
                {
                    "startup_ms": round(worst),
                    "startup_p50_ms": round(statistics.median(locks)),
                    "unlock_to_book_ms": round(statistics.median(books)),
                    "served_ms": round(statistics.median(serves)),
                    "app_start_ms": round(statistics.median(starts)),
                    "book_ready_ms": round(statistics.median(readies)),
                    "clients": args.clients,
                    "runs": args.runs,
                }
            )
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
