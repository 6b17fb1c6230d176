"""Member import benchmark: a generated export of a million members, dry run, then import.

    python tests/bench/bench_import.py [--members 1000000] [--db URL] [--keep DIR]

1. Writes a CSV export (streamed) as another loyalty system would: id, names, phone,
   e-mail, birthday, card, tier, available points with their expiry date, pending points
   with their unlock date, two consents. One row in a thousand is bad (a phone that is
   not one, or an expiry date already past), so the rejections are exercised.
2. A fresh hub database (SQLite in a temp dir, or --db postgresql://...) with the demo
   stores.
3. `import-members --dry-run`, then the import, each in its own process (its peak
   memory is its own: ru_maxrss of that process), through sync.hub.member_import.run.
   ru_maxrss counts the database file's pages that SQLite maps (the hub sets mmap_size
   to 2 GB), which grow with the database, not with the import; `peak_anon_mib` (RssAnon,
   sampled) is the process's own memory.

Ends with one JSON line: {"members", "dry_run": {...}, "import": {...}, "equal_totals"}.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MAPPING = """
source = "bench"
store = "Петровка"
delimiter = ";"
[columns]
external_id = "member_id"
last_name = "last_name"
first_name = "first_name"
phone = "phone"
email = "email"
birthday = "birthday"
card_number = "card"
tier = "level"
points = "points"
points_expire = "points_expire"
pending_points = "pending"
pending_unlock = "pending_unlock"
[tiers]
"Silver" = "Silver"
"Gold" = "Gold"
"Platinum" = "Platinum"
[consents]
processing = "pd_consent"
sms = "sms_consent"
"""
HEADER = [
    "member_id",
    "last_name",
    "first_name",
    "phone",
    "email",
    "birthday",
    "card",
    "level",
    "points",
    "points_expire",
    "pending",
    "pending_unlock",
    "pd_consent",
    "sms_consent",
]
LAST = ["Иванова", "Петрова", "Смирнова", "Кузнецова", "Соколова", "Попова", "Лебедева", "Козлова", "Новикова"]
FIRST = ["Анна", "Мария", "Елена", "Ольга", "Наталья", "Ирина", "Татьяна", "Светлана", "Дарья", "Вера"]


def generate(path: Path, n: int, seed: int = 1) -> dict:
    """The export, and what it holds (points of the good rows, the bad rows)."""
    rnd = random.Random(seed)
    today = dt.date(2026, 12, 1)
    bad = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(HEADER)
        for k in range(n):
            points = rnd.choice([0, 0, 120, 500, 1500, 4000, 12000])
            pending = rnd.choice([0, 0, 0, 300, 900])
            phone = f"+7916{k:07d}"
            expire = (today + dt.timedelta(days=rnd.randrange(10, 400))).strftime("%d.%m.%Y") if points else ""
            if k % 1000 == 999:  # one row in a thousand is bad
                bad += 1
                if k % 2000 == 1999:
                    phone = "n/a"
                else:
                    expire = "01.01.2020"
                    points = points or 10
            w.writerow(
                [
                    f"M{k:08d}",
                    rnd.choice(LAST),
                    rnd.choice(FIRST),
                    phone,
                    f"m{k}@mail.ru" if k % 3 == 0 else "",
                    f"{rnd.randrange(1, 29):02d}.{rnd.randrange(1, 13):02d}.{rnd.randrange(1955, 2005)}",
                    f"77{k:09d}",
                    rnd.choice(["Silver", "Silver", "Silver", "Gold", "Platinum"]),
                    points,
                    expire,
                    pending,
                    (today + dt.timedelta(days=rnd.randrange(1, 14))).strftime("%d.%m.%Y") if pending else "",
                    rnd.choice(["да", "да", "нет"]),
                    rnd.choice(["1", "0", ""]),
                ]
            )
    return {"bad_rows": bad, "bytes": path.stat().st_size}


def child(db_url: str, export: str, mapping: str, dry: bool) -> None:
    """One pass, in its own process: prints its report and peak memory as JSON."""
    from sync.hub import member_import
    from sync.hub.storage import HubDB

    db = HubDB(db_url)
    peak_anon = [0]
    done = threading.Event()

    def sample() -> None:  # the heap's own pages, without the file pages SQLite maps
        while not done.wait(0.25):
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("RssAnon:"):
                    peak_anon[0] = max(peak_anon[0], int(line.split()[1]))

    threading.Thread(target=sample, daemon=True).start()
    t0 = time.monotonic()
    rep = member_import.run(db, Path(export), member_import.load_mapping(Path(mapping)), dry_run=dry)
    seconds = time.monotonic() - t0
    done.set()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: KiB
    out = rep.as_dict() | {
        "seconds": round(seconds, 1),
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "peak_anon_mib": round(peak_anon[0] / 1024, 1),
    }
    print(json.dumps(out, ensure_ascii=False))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=1_000_000)
    ap.add_argument("--db", help="a hub database URL (default: a fresh SQLite file in the work dir)")
    ap.add_argument("--keep", help="work in this directory and keep it")
    ap.add_argument("--child", choices=["dry", "import"], help=argparse.SUPPRESS)
    ap.add_argument("--export", help=argparse.SUPPRESS)
    ap.add_argument("--mapping", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.db, args.export, args.mapping, args.child == "dry")
        return

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="vitrine-import-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        export, mapping = work / "members.csv", work / "mapping.toml"
        mapping.write_text(MAPPING, encoding="utf-8")
        t0 = time.monotonic()
        made = generate(export, args.members)
        gen_s = time.monotonic() - t0
        print(f"export: {args.members:,} members, {made['bytes'] / 1e6:.0f} MB in {gen_s:.0f} s", file=sys.stderr)

        from sync.hub.seed import seed
        from sync.hub.storage import HubDB

        url = args.db or str(work / "hub.sqlite")
        db = HubDB(url)
        db.migrate()
        seed(db, n_clients=20, log=None)  # the demo stores and accounts, a few clients
        db.dispose()

        results = {}
        for step in ("dry", "import"):
            cmd = [sys.executable, __file__, "--child", step, "--db", url, "--export", str(export)]
            proc = subprocess.run([*cmd, "--mapping", str(mapping)], capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                print(proc.stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"{step} failed")
            results[step] = json.loads(proc.stdout.strip().splitlines()[-1])
            r = results[step]
            print(
                f"{step:>6}: {r['rows_read']:,} rows, {r['imported']:,} imported, {r['rejected']:,} rejected "
                f"in {r['seconds']:.0f} s ({r['rows_read'] / max(r['seconds'], 0.001):,.0f} rows/s), "
                f"peak RSS {r['peak_rss_mib']:.0f} MiB (own {r.get('peak_anon_mib', 0):.0f} MiB); "
                f"points expected {r['points_expected']:,}, in hub {r['points_in_hub']:,}",
                file=sys.stderr,
            )
        d, i = results["dry"], results["import"]
        equal = d["balanced"] and i["balanced"] and d["points_in_hub"] == i["points_in_hub"]
        summary = {
            "members": args.members,
            "bad_rows_generated": made["bad_rows"],
            "export_mb": round(made["bytes"] / 1e6, 1),
            "db": "postgresql" if url.startswith("postgres") else "sqlite",
            "dry_run": {
                k: d[k]
                for k in (
                    "rows_read",
                    "imported",
                    "rejected",
                    "points_expected",
                    "points_in_hub",
                    "seconds",
                    "peak_rss_mib",
                )
            },
            "import": {
                k: i[k]
                for k in (
                    "rows_read",
                    "imported",
                    "rejected",
                    "points_expected",
                    "points_in_hub",
                    "seconds",
                    "peak_rss_mib",
                )
            },
            "points_in_file": i["points_in_file"],
            "equal_totals": equal,
        }
        print(json.dumps(summary))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
