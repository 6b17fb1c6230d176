"""The scheduled loyalty job: how fast a hub catches up after downtime.

    python tests/bench/bench_loyalty_due.py [--clients 20000] [--days 200] [--db URL]

Seeds a hub (the demo boutique's clients with their purchases, through the live rules),
then runs `sync.hub.schedule.run_due` once with the hub's clock `--days` ahead, as a hub
that was down that long would on start: every client with a pending unlock, an expiry, a
purchase leaving the tier window or a birthday since is brought up to date and
republished. Ends with one JSON line: clients/s and entries written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sync.hub import schedule  # noqa: E402
from sync.hub.seed import seed  # noqa: E402
from sync.hub.storage import HubDB  # noqa: E402
from sync.models import utcnow  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=200)
    ap.add_argument("--db", help="a database URL (default: a fresh SQLite file)")
    args = ap.parse_args()
    url = args.db or str(Path(tempfile.mkdtemp(prefix="vitrine-due-")) / "hub.sqlite")
    db = HubDB(url)
    db.migrate()
    t0 = time.monotonic()
    counts = seed(db, n_clients=args.clients, log=None)
    seeded = time.monotonic() - t0
    with db.read() as conn:
        due_rows = conn.exec_driver_sql("SELECT count(*) FROM loyalty_due").scalar_one()
    later = utcnow() + dt.timedelta(days=args.days)
    t0 = time.monotonic()
    done = schedule.run_due(db, later)
    took = time.monotonic() - t0
    again = schedule.run_due(db, later)  # a second worker, or a second run: nothing left
    db.dispose()
    print(f"seeded {counts['clients']} clients in {seeded:.1f} s; {due_rows} with a due time")
    print(f"run_due {args.days} days ahead: {done.clients} clients, {done.entries} entries in {took:.1f} s")
    print(f"second run: {again.clients} clients, {again.entries} entries")
    print(
        json.dumps(
            {
                "bench": "loyalty_due",
                "db": "sqlite" if "://" not in url else url.split(":", 1)[0],
                "clients": counts["clients"],
                "days_ahead": args.days,
                "clients_brought_up_to_date": done.clients,
                "entries_written": done.entries,
                "seconds": round(took, 2),
                "clients_per_s": round(done.clients / took, 1) if took else None,
                "second_run_clients": again.clients,
            }
        )
    )


if __name__ == "__main__":
    main()
