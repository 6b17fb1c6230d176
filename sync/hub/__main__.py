"""`python -m sync.hub serve|seed|migrate|run-due|import-csv|import-members|brands|stores|accounts`: the loyalty API."""

from __future__ import annotations

import argparse
import logging
import os
import sys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sync.hub", description="Vitrine central loyalty hub")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="run the HTTP API")
    s.add_argument("--db", default="var/hub.sqlite", help="SQLite file path or postgresql:// URL")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8700)
    s.add_argument("--workers", type=int, default=1)
    s.add_argument(
        "--expiry-interval",
        type=float,
        default=3600,
        help="seconds between runs of the points-expiry job (0: never; use `expire` from cron)",
    )
    s.add_argument("--program", help="loyalty program: a built-in name (dboutique, intermoda) or a TOML path")
    s.add_argument(
        "--docs",
        choices=("on", "off"),
        default=os.environ.get("VITRINE_HUB_DOCS", "on"),
        help="serve /docs, /redoc and /openapi.json (default: on, or VITRINE_HUB_DOCS); "
        "turn off on a hub reachable beyond the back office",
    )
    s.add_argument("--certfile", help="serve HTTPS with this PEM certificate (chain); needs --keyfile")
    s.add_argument(
        "--keyfile",
        help="the certificate's PEM private key; a passphrase, if any, is read from VITRINE_HUB_KEY_PASSWORD",
    )
    s.add_argument(
        "--access-minutes",
        type=float,
        default=float(os.environ.get("VITRINE_ACCESS_MINUTES", "15")),
        help="minutes an access token lives before the device renews it (default 15, or VITRINE_ACCESS_MINUTES)",
    )
    s.add_argument(
        "--refresh-days",
        type=float,
        default=float(os.environ.get("VITRINE_REFRESH_DAYS", "30")),
        help="days a session can be renewed without a login (default 30, or VITRINE_REFRESH_DAYS)",
    )
    s.add_argument(
        "--web-app",
        metavar="MODULE:FACTORY",
        help="also serve a web UI from this port under --web-path: the Vitrine app's is app.web:hub_mount "
        "(every browser session logs in for itself); one worker only",
    )
    s.add_argument("--web-path", default="/app", help="where the web UI is served (default /app)")
    s.add_argument(
        "--web-app-hub",
        help="the hub URL the web UI talks to (default: this hub on loopback, http://127.0.0.1:PORT; "
        "give the hub's own https:// name with --certfile)",
    )
    s.add_argument("--web-app-data", default="var/web-app", help="the web UI's per-browser cache folders")
    d = sub.add_parser("seed", help="fill a new database with demo data (accounts with shared demo passwords)")
    d.add_argument("--db", default="var/hub.sqlite")
    d.add_argument("--demo", action="store_true", help="the demo boutique (5,000 clients)")
    d.add_argument("--clients", type=int, default=None, help="how many clients (e.g. 1000000)")
    d.add_argument("--seed", type=int, default=1)
    d.add_argument("--program", help="loyalty program: built-in name or TOML path")
    e = sub.add_parser("expire", help="run the points-expiry job once")
    e.add_argument("--db", default="var/hub.sqlite")
    e.add_argument("--program")
    r = sub.add_parser("run-due", help="run the scheduled loyalty job once (for cron): unlocks, expiries, birthdays")
    r.add_argument("--db", default="var/hub.sqlite")
    r.add_argument("--program")
    c = sub.add_parser("import-csv", help="import till receipts from a 1C CSV export")
    c.add_argument("files", nargs="+")
    c.add_argument("--db", default="var/hub.sqlite")
    im = sub.add_parser(
        "import-members", help="import members (clients, cards, points, tiers, consents) from another system's export"
    )
    im.add_argument("file", help="the export: CSV or XLSX, one row per member")
    im.add_argument("--mapping", required=True, help="the column mapping (TOML), see docs/loyalty.md")
    im.add_argument("--dry-run", action="store_true", help="check and reconcile, keep nothing")
    im.add_argument("--rejects", help="write every rejected row (row, external id, reason) to this CSV")
    im.add_argument("--db", default="var/hub.sqlite")
    im.add_argument("--program", help="loyalty program: built-in name or TOML path")
    m = sub.add_parser("migrate", help="bring the schema up to date")
    m.add_argument("--db", default="var/hub.sqlite")
    from sync.hub import admin

    admin.add_parsers(sub)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.cmd in admin.COMMANDS:
        return admin.run(args)

    from sync.hub.storage import HubDB

    if getattr(args, "program", None):
        os.environ["VITRINE_PROGRAM"] = args.program  # read by worker processes too
    if args.cmd == "expire":
        from sync.hub.handlers import expire_points

        db = HubDB(args.db)
        db.migrate()
        print(f"expired: {expire_points(db)} ledger entries")
        return 0
    if args.cmd == "run-due":
        from sync.hub.handlers import expire_points
        from sync.hub.schedule import run_due

        db = HubDB(args.db)
        db.migrate()
        done = run_due(db)
        print(f"loyalty job: {done.clients} clients up to date, {done.entries + expire_points(db)} ledger entries")
        return 0
    if args.cmd == "migrate":
        HubDB(args.db).migrate()
        return 0
    if args.cmd == "import-members":
        from sync.hub import member_import

        return member_import.main(HubDB(args.db), args.file, args.mapping, args.dry_run, args.rejects)
    if args.cmd == "import-csv":
        from pathlib import Path

        from sync.hub.csv_import import import_file

        db = HubDB(args.db)
        db.migrate()
        status = 0
        for f in args.files:
            rep = import_file(db, Path(f))
            print(f"{f}: {rep.receipts} receipts ({rep.duplicates} already known, {rep.identified} with a client)")
            for err in rep.errors:
                print(f"  ! {err}")
            status = status or (1 if rep.errors else 0)
        return status
    if args.cmd == "seed":
        from sync.hub.seed import seed

        if not args.demo and args.clients is None:
            ap.error("seed needs --demo or --clients N")
        db = HubDB(args.db)
        db.migrate()
        counts = seed(db, n_clients=args.clients or 5000, seed_=args.seed)
        print(f"seeded {args.db}: {counts}")
        print("its accounts share the demo passwords (README): a demo or a benchmark, never a real hub")
        return 0
    import uvicorn

    from sync.hub import sessions
    from sync.hub.api import create_app

    if bool(args.certfile) != bool(args.keyfile):
        ap.error("--certfile and --keyfile go together")
    key_password = os.environ.get("VITRINE_HUB_KEY_PASSWORD")
    if not args.certfile and args.host not in ("127.0.0.1", "::1", "localhost"):
        logging.getLogger("vitrine.hub").warning(
            "serving plain HTTP on %s: passwords and client data cross the network in the clear unless a "
            "TLS reverse proxy is in front (or give --certfile and --keyfile)",
            args.host,
        )
    if args.web_app and args.workers > 1:
        ap.error("--web-app serves from one worker: its browser sessions live in that process")
    if args.web_app and args.certfile and not args.web_app_hub:
        ap.error("--web-app with --certfile needs --web-app-hub https://NAME:PORT (the certificate's name)")
    db = HubDB(args.db)
    db.migrate()
    if args.workers > 1:
        db.dispose()
        os.environ["VITRINE_HUB_DB"] = args.db
        os.environ["VITRINE_EXPIRY_INTERVAL"] = str(args.expiry_interval)
        os.environ["VITRINE_HUB_DOCS"] = args.docs
        os.environ[sessions.ACCESS_ENV] = str(args.access_minutes)
        os.environ[sessions.REFRESH_ENV] = str(args.refresh_days)
        uvicorn.run(
            "sync.hub.asgi:app",
            factory=True,
            workers=args.workers,
            host=args.host,
            port=args.port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=5,
            ssl_certfile=args.certfile,
            ssl_keyfile=args.keyfile,
            ssl_keyfile_password=key_password,
        )
    else:
        api = create_app(
            db,
            expiry_interval=args.expiry_interval or None,
            freeze_gc=True,
            docs=args.docs == "on",
            lifetimes=sessions.Lifetimes.of(args.access_minutes, args.refresh_days),
            web_ui_path=args.web_path if args.web_app else None,
        )
        if args.web_app:
            from sync.hub import web_app

            try:
                web_app.mount(
                    api,
                    args.web_app,
                    path=args.web_path,
                    hub_url=args.web_app_hub or f"http://127.0.0.1:{args.port}",
                    data_dir=args.web_app_data,
                )
            except web_app.WebAppSpecError as e:
                ap.error(str(e))
        uvicorn.run(
            api,
            host=args.host,
            port=args.port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=5,
            ssl_certfile=args.certfile,
            ssl_keyfile=args.keyfile,
            ssl_keyfile_password=key_password,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
