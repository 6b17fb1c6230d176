"""The account tools (`python -m sync.hub brands|stores|accounts ...`) as real processes on a
real SQLite hub database, with the hub serving it on loopback meanwhile: a hub starts with no
account, brands and stores are made, accounts get a role, a password is reset and an account
disabled, passwords never come from the command line."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sync.hub.admin import PASSWORD_ENV
from tests.conftest import ROOT, HubProcess, free_port, spawn_hub, wait_http

PASSWORDS = {"anna.admin": "Ann-admin-2026", "boris.manager": "Boris-mgr-2026", "vera": "Vera-nord-2026"}


def cli(db: Path, *args: str, password: str | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    if password is not None:
        env[PASSWORD_ENV] = password
    return subprocess.run(
        [sys.executable, "-m", "sync.hub", *args, "--db", str(db)],
        cwd=ROOT,
        env=env,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,  # never a terminal here
        capture_output=True,
        text=True,
        timeout=120,
    )


def ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@dataclass
class Hub:
    db: Path
    proc: HubProcess
    brands: dict[str, str]
    stores: dict[str, str]

    @property
    def url(self) -> str:
        return self.proc.url

    def login(self, who: str, password: str) -> httpx.Response:
        return httpx.post(self.url + "/v1/auth/login", json={"login": who, "password": password}, timeout=30)

    def get(self, path: str, token: str) -> httpx.Response:
        return httpx.get(
            self.url + path, headers={"Authorization": f"Bearer {token}", "X-Vitrine-Protocol": "1"}, timeout=30
        )


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> Iterator[Hub]:
    folder = tmp_path_factory.mktemp("admin-cli")
    db = folder / "hub.sqlite"
    subprocess.run([sys.executable, "-m", "sync.hub", "migrate", "--db", str(db)], cwd=ROOT, check=True, timeout=120)
    port = free_port()
    proc = HubProcess(f"http://127.0.0.1:{port}", db, spawn_hub(db, port))
    wait_http(proc.url + "/healthz")
    h = Hub(db, proc, {}, {})
    yield h
    proc.stop()


def test_a_new_hub_has_no_account_and_no_shared_password(hub):
    for who, password in (("admin", "vitrine"), ("demo", "vitrine-demo"), ("manager1", "vitrine"), ("admin", "admin")):
        assert hub.login(who, password).status_code == 401


def test_brands_stores_and_accounts_are_made_by_the_cli(hub, tmp_path):
    hub.brands["vitrine"] = ok(cli(hub.db, "brands", "add", "--name", "Витрина"))
    hub.brands["nord"] = ok(cli(hub.db, "brands", "add", "--name", "Maison Nord"))
    done = cli(hub.db, "stores", "add", "--name", "Без бренда")  # two brands now: which one?
    assert done.returncode == 1 and "--brand" in done.stderr
    hub.stores["petrovka"] = ok(cli(hub.db, "stores", "add", "--brand", "Витрина", "--name", "Петровка"))
    hub.stores["nevsky"] = ok(cli(hub.db, "stores", "add", "--brand", hub.brands["vitrine"], "--name", "Невский"))
    hub.stores["kutuzovsky"] = ok(cli(hub.db, "stores", "add", "--brand", "Maison Nord", "--name", "Кутузовский"))

    # a password from the environment, from a file, and from stdin
    ok(
        cli(
            hub.db,
            *("accounts", "add", "--store", "Петровка", "--login", "Anna.Admin", "--name", "Анна", "--role", "admin"),
            password=PASSWORDS["anna.admin"],
        )
    )
    file = tmp_path / "pw.txt"
    file.write_text(PASSWORDS["boris.manager"] + "\n")
    ok(
        cli(
            hub.db,
            *("accounts", "add", "--store", "Петровка", "--login", "boris.manager", "--name", "Борис"),
            *("--role", "manager", "--password-file", str(file)),
        )
    )
    ok(
        cli(
            hub.db,
            *("accounts", "add", "--store", "Кутузовский", "--login", "vera", "--name", "Вера Орлова"),
            *("--role", "consultant", "--password-file", "-"),
            stdin=PASSWORDS["vera"] + "\n",
        )
    )
    me = {}
    for who, password in PASSWORDS.items():
        r = hub.login(who, password)
        assert r.status_code == 200, (who, r.text)
        me[who] = hub.get("/v1/me", r.json()["access_token"]).json()
    assert me["anna.admin"]["role"] == "admin" and me["anna.admin"]["store_id"] == hub.stores["petrovka"]
    assert me["anna.admin"]["brand_id"] == me["boris.manager"]["brand_id"] == hub.brands["vitrine"]
    assert (me["vera"]["role"], me["vera"]["store_id"], me["vera"]["brand_id"]) == (
        "consultant",
        hub.stores["kutuzovsky"],
        hub.brands["nord"],
    )


def test_a_new_store_and_consultant_are_seen_by_that_store_only(hub):
    vera = hub.login("vera", PASSWORDS["vera"]).json()["access_token"]
    seen = hub.get("/v1/changes?cursor=0", vera).json()["changes"]
    assert {(c["entity"], c["entity_id"]) for c in seen} == {
        ("store", hub.stores["kutuzovsky"]),
        ("consultant", next(c["entity_id"] for c in seen if c["entity"] == "consultant")),
        ("outreach_templates", hub.stores["kutuzovsky"]),  # a new brand's default message templates
        ("task_rules", hub.stores["kutuzovsky"]),  # Today's rules, with the store's staff (sync.hub.tasks)
    }
    assert [c["data"]["name"] for c in seen if c["entity"] == "consultant"] == ["Вера Орлова"]
    boris = hub.login("boris.manager", PASSWORDS["boris.manager"]).json()["access_token"]
    theirs = hub.get("/v1/changes?cursor=0", boris).json()["changes"]
    assert {c["entity_id"] for c in theirs} == {hub.stores["petrovka"]}  # no other store, no other brand


def test_reset_password_takes_the_old_one_and_its_sessions_away(hub, tmp_path):
    old = hub.login("boris.manager", PASSWORDS["boris.manager"]).json()["access_token"]  # not used before the reset
    file = tmp_path / "new.txt"
    file.write_text("Boris-new-password-1")
    done = cli(hub.db, "accounts", "reset-password", "--login", "Boris.Manager", "--password-file", str(file))
    assert ok(done).startswith("password set;") and "0 session" not in done.stdout
    assert hub.login("boris.manager", PASSWORDS["boris.manager"]).status_code == 401
    assert hub.get("/v1/me", old).status_code == 401
    assert hub.login("boris.manager", "Boris-new-password-1").status_code == 200
    PASSWORDS["boris.manager"] = "Boris-new-password-1"


def test_a_disabled_account_cannot_log_in_and_loses_its_sessions(hub):
    token = hub.login("vera", PASSWORDS["vera"]).json()["access_token"]
    assert "session(s) ended" in ok(cli(hub.db, "accounts", "disable", "--login", "vera"))
    refused = hub.login("vera", PASSWORDS["vera"])
    wrong = hub.login("vera", "not-her-password")
    assert refused.status_code == wrong.status_code == 401
    assert refused.json()["title"] == wrong.json()["title"]  # no word on which of the two
    assert hub.get("/v1/me", token).status_code == 401
    ok(cli(hub.db, "accounts", "enable", "--login", "vera"))
    assert hub.login("vera", PASSWORDS["vera"]).status_code == 200


def test_a_password_on_the_command_line_is_refused_and_not_echoed(hub):
    for how in (["--password", "Secret-on-cmdline-1"], ["--password=Secret-on-cmdline-1"]):
        done = cli(
            hub.db,
            *("accounts", "add", "--store", "Невский", "--login", "leak", "--name", "X", "--role", "consultant"),
            *how,
            password="Secret-in-env-123",
        )
        assert done.returncode == 2 and "never taken from the command line" in done.stderr
        assert "Secret-on-cmdline-1" not in done.stderr + done.stdout
    assert hub.login("leak", "Secret-in-env-123").status_code == 401  # nothing was created


def test_no_password_source_short_passwords_and_taken_logins_are_refused(hub):
    args = ("accounts", "add", "--store", "Невский", "--login", "gleb", "--name", "Глеб", "--role", "till")
    done = cli(hub.db, *args)  # no file, no environment, no terminal
    assert done.returncode == 1 and PASSWORD_ENV in done.stderr
    done = cli(hub.db, *args, password="short")
    assert done.returncode == 1 and "too short" in done.stderr
    assert ok(cli(hub.db, *args, password="Gleb-till-2026"))
    done = cli(hub.db, *args, password="Gleb-till-2026")
    assert done.returncode == 1 and "taken" in done.stderr
    done = cli(hub.db, "accounts", "reset-password", "--login", "nobody", password="Whatever-2026")
    assert done.returncode == 1 and "no account" in done.stderr


def test_a_brands_diary_tags_are_set_by_the_cli_and_reach_its_stores_only(hub):
    """The list is data: set per brand, published to each of its stores (a store added later
    gets it too), never to another brand's."""
    done = ok(cli(hub.db, "diary-tags", "set", "--brand", "Витрина", "подарки", " размеры ", "подарки", "жалоба"))
    assert done == "3 tag(s) set"
    assert cli(hub.db, "diary-tags", "show", "--brand", "Витрина").stdout.split("\n")[:3] == [
        "подарки",
        "размеры",
        "жалоба",
    ]
    refused = cli(hub.db, "diary-tags", "set", "--brand", "Витрина", "x" * 41)
    assert refused.returncode == 1 and "40" in refused.stderr
    later = ok(cli(hub.db, "stores", "add", "--brand", "Витрина", "--name", "Тверская"))
    boris = hub.login("boris.manager", PASSWORDS["boris.manager"]).json()["access_token"]
    rows = [c for c in hub.get("/v1/changes?cursor=0", boris).json()["changes"] if c["entity"] == "diary_tags"]
    assert [(c["entity_id"], c["data"]["tags"]) for c in rows] == [
        (hub.stores["petrovka"], ["подарки", "размеры", "жалоба"])
    ]
    with sqlite3.connect(hub.db) as conn:
        published = dict(conn.execute("SELECT entity_id, data FROM feed WHERE entity = 'diary_tags'").fetchall())
    assert set(published) == {hub.stores["petrovka"], hub.stores["nevsky"], later}  # the brand's three stores
    vera = hub.login("vera", PASSWORDS["vera"]).json()["access_token"]
    assert not [c for c in hub.get("/v1/changes?cursor=0", vera).json()["changes"] if c["entity"] == "diary_tags"]


def test_a_brands_today_rules_are_set_by_the_cli_and_reach_its_stores_only(hub):
    """Today's rules are data: defaults until set, changed per rule, published to each of the
    brand's stores with its staff (whom a manager assigns work to), never to another brand's."""

    def lines(*args: str) -> list[str]:
        done = cli(hub.db, "task-rules", *args)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()

    shown = lines("show", "--brand", "Витрина")
    assert shown[0] == "tz Europe/Moscow" and "birthday on 7" in shown
    assert "birthday on 3" in lines("set", "--brand", "Витрина", "birthday", "--days", "3")
    done = lines("set", "--brand", "Витрина", "top_not_seen", "--off", "--tz", "Asia/Omsk")
    assert "top_not_seen off 60" in done and done[0] == "tz Asia/Omsk"
    for bad, why in (
        (("birthday", "--days", "500"), "between"),
        (("--days", "2"), "name the rule"),
        (("--tz", "Mars/Base"), "time zone"),
    ):
        refused = cli(hub.db, "task-rules", "set", "--brand", "Витрина", *bad)
        assert refused.returncode == 1 and why in refused.stderr, refused.stderr
    boris = hub.login("boris.manager", PASSWORDS["boris.manager"]).json()["access_token"]
    rows = [c for c in hub.get("/v1/changes?cursor=0", boris).json()["changes"] if c["entity"] == "task_rules"]
    assert [c["entity_id"] for c in rows] == [hub.stores["petrovka"]]
    data = rows[0]["data"]
    assert data["rules"]["birthday"] == {"enabled": True, "days": 3} and data["tz"] == "Asia/Omsk"
    assert data["rules"]["top_not_seen"]["enabled"] is False
    assert "Борис" in {s["name"] for s in data["staff"]}
    vera = hub.login("vera", PASSWORDS["vera"]).json()["access_token"]
    theirs = [c for c in hub.get("/v1/changes?cursor=0", vera).json()["changes"] if c["entity"] == "task_rules"]
    assert [(c["entity_id"], c["data"]["tz"]) for c in theirs] == [(hub.stores["kutuzovsky"], "Europe/Moscow")]
