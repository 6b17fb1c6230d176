"""The account tools: `python -m sync.hub brands|stores|accounts ...` on the hub's database.

A hub starts with no account at all (only the demo seed has shared passwords). These
commands create brands, stores under a brand, and accounts with a role; they reset a
password and disable an account, and both end the account's sessions. A password is never
an argument (a command line is visible to every user of the machine and stays in shell
histories): it comes from a file (`--password-file`, `-` for stdin), the environment
(VITRINE_ACCOUNT_PASSWORD), or a prompt on a terminal.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import os
import re
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import Connection, insert, or_, select, update

from sync.hub import auth, diary_tags, feed, outreach, sessions, tasks
from sync.hub.storage import HubDB, schema
from sync.models import utcnow
from sync.rules import today

COMMANDS = ("brands", "stores", "accounts", "diary-tags", "outreach", "task-rules")
PASSWORD_ENV = "VITRINE_ACCOUNT_PASSWORD"
MIN_PASSWORD = 10
LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,99}$")


class AdminError(Exception):
    """What the operator must fix; printed, exit status 1."""


# --- what the commands do (one transaction each) ---------------------------------------------


def add_brand(conn: Connection, name: str) -> str:
    brand_id = str(uuid.uuid4())
    conn.execute(insert(schema.brands).values(id=brand_id, name=name))
    outreach.start_brand(conn, brand_id)  # the default message templates (sync.rules.outreach)
    return brand_id


def find_brand(conn: Connection, ref: str | None) -> str:
    """A brand by id or exact name; none named: the only brand there is."""
    brands = schema.brands
    q = select(brands.c.id)
    if ref is not None:
        q = q.where(or_(brands.c.id == ref, brands.c.name == ref))
    found = list(conn.scalars(q.limit(2)))
    if len(found) == 1:
        return found[0]
    if ref is None:
        raise AdminError("name the brand (--brand): there is none yet, or more than one" if found else "no brand yet")
    raise AdminError(f"no single brand {ref!r}" if found else f"no brand {ref!r}")


def add_store(conn: Connection, brand_id: str, name: str, address: str | None) -> str:
    store_id = str(uuid.uuid4())
    store = {"id": store_id, "name": name, "address": address, "brand_id": brand_id}
    conn.execute(insert(schema.stores).values(**store))
    feed.publish(conn, "store", store_id, store_id, store)  # seen by its own devices only
    if diary_tags.brand_tags(conn, brand_id):  # its devices get the brand's diary tags too
        diary_tags.publish(conn, brand_id)
    outreach.publish(conn, brand_id)  # and its message templates
    return store_id


def find_store(conn: Connection, ref: str) -> str:
    stores = schema.stores
    found = list(conn.scalars(select(stores.c.id).where(or_(stores.c.id == ref, stores.c.name == ref)).limit(2)))
    if len(found) != 1:
        raise AdminError(f"no single store {ref!r} (give its id)" if found else f"no store {ref!r}")
    return found[0]


def add_account(conn: Connection, store_id: str, login: str, name: str, role: str, password_hash: str) -> str:
    accounts = schema.accounts
    if conn.execute(select(accounts.c.id).where(accounts.c.login == login)).first() is not None:
        raise AdminError(f"the login {login!r} is taken")
    account_id = str(uuid.uuid4())
    conn.execute(
        insert(accounts).values(
            id=account_id, store_id=store_id, login=login, name=name, role=role, password_hash=password_hash
        )
    )
    if role == auth.CONSULTANT:  # the store's devices show who looks after a client
        feed.publish(conn, "consultant", account_id, store_id, {"id": account_id, "store_id": store_id, "name": name})
    if role in auth.STORE_STAFF:  # whom the store's manager may assign clients and lists to
        brand = conn.scalar(select(schema.stores.c.brand_id).where(schema.stores.c.id == store_id))
        if brand:
            tasks.publish(conn, brand, only_store=store_id)
    return account_id


def _account_id(conn: Connection, login: str) -> str:
    found = conn.scalar(select(schema.accounts.c.id).where(schema.accounts.c.login == login))
    if found is None:
        raise AdminError(f"no account {login!r}")
    return found


def _end_sessions(conn: Connection, account_id: str) -> int:
    return sessions.end_all(conn, account_id, time.time())


def reset_password(conn: Connection, login: str, password_hash: str) -> int:
    """The new password; every session of the account ends (how many: returned)."""
    account_id = _account_id(conn, login)
    conn.execute(update(schema.accounts).where(schema.accounts.c.id == account_id).values(password_hash=password_hash))
    return _end_sessions(conn, account_id)


def disable_account(conn: Connection, login: str) -> int:
    """No login any more, and every session ends (how many: returned)."""
    account_id = _account_id(conn, login)
    accounts = schema.accounts
    conn.execute(
        update(accounts)
        .where(accounts.c.id == account_id, accounts.c.disabled_at.is_(None))
        .values(disabled_at=utcnow().isoformat())
    )
    return _end_sessions(conn, account_id)


def enable_account(conn: Connection, login: str) -> None:
    account_id = _account_id(conn, login)
    conn.execute(update(schema.accounts).where(schema.accounts.c.id == account_id).values(disabled_at=None))


# --- the command line ------------------------------------------------------------------------


class _NoPasswordArgument(argparse.Action):
    """`--password VALUE` is refused without echoing the value."""

    def __call__(self, parser, namespace, values, option_string=None):
        parser.error(
            f"a password is never taken from the command line: use --password-file PATH (or - for stdin), "
            f"{PASSWORD_ENV}, or run on a terminal to be asked"
        )


def _password_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--password-file",
        type=Path,
        help=f"read the password from this file's first line (- for stdin); else {PASSWORD_ENV}, else a prompt",
    )
    p.add_argument("--password", nargs="?", action=_NoPasswordArgument, help=argparse.SUPPRESS)


def add_parsers(sub) -> None:
    """The admin commands, as subcommands of `python -m sync.hub`."""
    b = sub.add_parser("brands", help="brands (the top of the store tree)").add_subparsers(dest="action", required=True)
    ba = b.add_parser("add", help="create a brand; prints its id")
    ba.add_argument("--db", default="var/hub.sqlite")
    ba.add_argument("--name", required=True)

    s = sub.add_parser("stores", help="stores of a brand").add_subparsers(dest="action", required=True)
    sa = s.add_parser("add", help="create a store under a brand; prints its id")
    sa.add_argument("--db", default="var/hub.sqlite")
    sa.add_argument("--brand", help="brand id or name (may be left out when the hub has one brand)")
    sa.add_argument("--name", required=True)
    sa.add_argument("--address")

    a = sub.add_parser("accounts", help="accounts: add, reset-password, disable, enable")
    acts = a.add_subparsers(dest="action", required=True)
    aa = acts.add_parser("add", help="create an account with a role in a store; prints its id")
    aa.add_argument("--db", default="var/hub.sqlite")
    aa.add_argument("--store", required=True, help="store id or name")
    aa.add_argument("--login", required=True)
    aa.add_argument("--name", required=True, help="the name shown to colleagues")
    aa.add_argument("--role", required=True, choices=auth.ROLES)
    _password_options(aa)
    ar = acts.add_parser("reset-password", help="set a new password; ends the account's sessions")
    ar.add_argument("--db", default="var/hub.sqlite")
    ar.add_argument("--login", required=True)
    _password_options(ar)
    for action, what in (("disable", "refuse its logins and end its sessions"), ("enable", "allow its logins again")):
        ad = acts.add_parser(action, help=what)
        ad.add_argument("--db", default="var/hub.sqlite")
        ad.add_argument("--login", required=True)

    t = sub.add_parser("diary-tags", help="a brand's list of diary tags (published to its stores' devices)")
    tacts = t.add_subparsers(dest="action", required=True)
    ts = tacts.add_parser("set", help="replace the brand's list, in the order given")
    ts.add_argument("--db", default="var/hub.sqlite")
    ts.add_argument("--brand", help="brand id or name (may be left out when the hub has one brand)")
    ts.add_argument("tags", nargs="+", help="each tag (up to 40 characters)")
    tshow = tacts.add_parser("show", help="print the brand's list, one tag a line")
    tshow.add_argument("--db", default="var/hub.sqlite")
    tshow.add_argument("--brand")
    outreach.add_parser(sub)

    r = sub.add_parser("task-rules", help="a brand's Today task rules (published to its stores' devices)")
    racts = r.add_subparsers(dest="action", required=True)
    rs = racts.add_parser("set", help="switch a rule on or off, set its number of days (or the time zone)")
    rs.add_argument("--db", default="var/hub.sqlite")
    rs.add_argument("--brand", help="brand id or name (may be left out when the hub has one brand)")
    rs.add_argument("rule", nargs="?", choices=today.RULES, help="the rule to change")
    rs.add_argument("--days", type=int, help="the rule's N")
    rs.add_argument("--on", dest="enabled", action="store_true", default=None)
    rs.add_argument("--off", dest="enabled", action="store_false")
    rs.add_argument("--tz", help="the stores' time zone, e.g. Europe/Moscow")
    rshow = racts.add_parser("show", help="print the brand's rules, one a line")
    rshow.add_argument("--db", default="var/hub.sqlite")
    rshow.add_argument("--brand")


def set_task_rules(
    conn: Connection, brand_id: str, rule: str | None, enabled: bool | None, days: int | None, tz: str | None
) -> today.TaskSettings:
    """Change one rule (and/or the time zone) of the brand's Today and publish the result."""
    settings = tasks.brand_settings(conn, brand_id)
    try:
        if rule is not None:
            settings = settings.changed(rule, enabled=enabled, days=days)
        elif enabled is not None or days is not None:
            raise AdminError("name the rule to change")
    except today.TaskRuleError as e:
        raise AdminError(str(e)) from None
    if tz is not None:
        if not today.valid_tz(tz):
            raise AdminError(f"unknown time zone {tz!r} (e.g. Europe/Moscow)")
        settings = dataclasses.replace(settings, tz=tz)
    tasks.set_settings(conn, brand_id, settings)
    return settings


def _show_rules(s: today.TaskSettings) -> str:
    lines = [f"tz {s.tz}"]
    lines += [f"{k} {'on' if s.on(k) else 'off'} {s.days(k)}" for k in today.RULES]
    return "\n".join(lines)


def read_password(file: Path | None) -> str:
    """From the file, else the environment, else asked twice on a terminal."""
    if file is not None:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        password = text.splitlines()[0] if text else ""
    elif os.environ.get(PASSWORD_ENV):
        password = os.environ[PASSWORD_ENV]
    elif sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise AdminError("the passwords differ")
    else:
        raise AdminError(f"no password: give --password-file PATH (- for stdin), set {PASSWORD_ENV}, or use a terminal")
    if len(password) < MIN_PASSWORD:
        raise AdminError(f"the password is too short: at least {MIN_PASSWORD} characters")
    return password


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except AdminError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    cmd = (args.cmd, args.action)
    login: str = (getattr(args, "login", None) or "").strip().lower()  # as auth.check_password reads it
    if cmd == ("accounts", "add") and not LOGIN.match(login):
        raise AdminError("a login is 2-100 of a-z, 0-9, '.', '_', '-', starting with a letter or digit")
    # argon2 before the transaction: it takes a while, and a write holds SQLite's one lock
    password_hash = auth.hash_password(read_password(args.password_file)) if hasattr(args, "password_file") else ""
    db = HubDB(args.db)
    try:
        db.migrate()
        with db.write() as conn:
            if cmd == ("brands", "add"):
                print(add_brand(conn, args.name))
            elif cmd == ("stores", "add"):
                print(add_store(conn, find_brand(conn, args.brand), args.name, args.address))
            elif cmd == ("accounts", "add"):
                print(add_account(conn, find_store(conn, args.store), login, args.name, args.role, password_hash))
            elif cmd == ("accounts", "reset-password"):
                print(f"password set; {reset_password(conn, login, password_hash)} session(s) ended")
            elif cmd == ("accounts", "disable"):
                print(f"disabled; {disable_account(conn, login)} session(s) ended")
            elif cmd == ("accounts", "enable"):
                enable_account(conn, login)
                print("enabled")
            elif cmd == ("diary-tags", "set"):
                if any(len(x.strip()) > 40 for x in args.tags):
                    raise AdminError("a tag is at most 40 characters")
                tags = diary_tags.set_tags(conn, find_brand(conn, args.brand), args.tags)
                print(f"{len(tags)} tag(s) set")
            elif cmd == ("diary-tags", "show"):
                print("\n".join(diary_tags.brand_tags(conn, find_brand(conn, args.brand))))
            elif args.cmd == "outreach":
                try:
                    print(outreach.run_command(conn, args, find_brand))
                except outreach.TemplateError as e:
                    raise AdminError(str(e)) from None
            elif cmd == ("task-rules", "set"):
                brand = find_brand(conn, args.brand)
                print(_show_rules(set_task_rules(conn, brand, args.rule, args.enabled, args.days, args.tz)))
            elif cmd == ("task-rules", "show"):
                print(_show_rules(tasks.brand_settings(conn, find_brand(conn, args.brand))))
    finally:
        db.dispose()
    return 0
