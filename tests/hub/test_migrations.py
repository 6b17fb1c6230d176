"""Hub migrations that move data, run on a database already in use (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from sync.hub.storage import MIGRATIONS, HubDB


def test_0003_files_existing_feed_rows_under_their_client(hub_url):
    db = HubDB(hub_url)
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0002")
            conn.execute(
                text(
                    "INSERT INTO feed (seq, entity, entity_id, store_id, deleted, data) VALUES "
                    "(1, 'client', 'c1', 's', false, '{\"id\": \"c1\"}'), "
                    '(2, \'ledger\', \'l1\', \'s\', false, \'{"id": "l1", "client_id": "c1", "points": 5}\'), '
                    "(3, 'store', 's', NULL, false, '{\"id\": \"s\"}'), "
                    "(4, 'ledger', 'l2', 's', true, NULL)"
                )
            )
        db.migrate()
        with db.read() as conn:
            got = conn.execute(text("SELECT entity_id, client_id FROM feed ORDER BY seq")).fetchall()
        assert [tuple(r) for r in got] == [("c1", "c1"), ("l1", "c1"), ("s", None), ("l2", None)]
    finally:
        db.dispose()


def test_0004_gives_each_stored_blob_to_the_store_whose_form_names_it(hub_url):
    db = HubDB(hub_url)
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        a, b, pdf = "a" * 64, "b" * 64, "c" * 64
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")  # the module's database: the test before migrated it
            command.upgrade(cfg, "0003")
            conn.execute(text("INSERT INTO clients (id, store_id, data) VALUES ('c1', 's1', '{}'), ('c2', 's2', '{}')"))
            conn.execute(
                text(
                    "INSERT INTO records (entity, id, owner_id, data) VALUES "
                    "('form', 'f1', 'c1', :f1), ('form', 'f2', 'c2', :f2), ('contact', 'k1', 'c2', :k1)"
                ),
                {
                    "f1": f'{{"signature_sha256": "{a}", "pdf_sha256": "{pdf}"}}',
                    "f2": f'{{"signature_sha256": "{a}", "pdf_sha256": null}}',
                    "k1": f'{{"signature_sha256": "{b}"}}',
                },
            )
            conn.execute(
                text(
                    "INSERT INTO blobs (sha256, size, content_type, content) VALUES "
                    "(:a, 1, 'text/html', :x), (:b, 1, 'image/svg+xml', :x)"
                ),
                {"a": a, "b": b, "x": b"x"},
            )
        db.migrate()
        with db.read() as conn:
            owners = conn.execute(text("SELECT sha256, store_id FROM blob_stores ORDER BY sha256, store_id")).all()
            types = {r[0] for r in conn.execute(text("SELECT content_type FROM blobs"))}
        # the pdf was never uploaded, and a contact names no blob: b is nobody's
        assert [tuple(r) for r in owners] == [(a, "s1"), (a, "s2")]
        assert types == {"application/octet-stream"}
    finally:
        db.dispose()


def test_0008_files_existing_stores_under_one_brand_and_their_feed_rows_under_their_store(hub_url):
    db = HubDB(hub_url)
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
            command.upgrade(cfg, "0005")
            conn.execute(text("INSERT INTO stores (id, name) VALUES ('s1', 'Петровка'), ('s2', 'Невский')"))
            conn.execute(
                text(
                    "INSERT INTO accounts (id, store_id, login, name, role, password_hash) VALUES "
                    "('a1', 's2', 'anna', 'Анна', 'consultant', 'x')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO feed (seq, entity, entity_id, store_id, deleted, data) VALUES "
                    "(1, 'store', 's1', NULL, false, '{\"id\": \"s1\"}'), "
                    "(2, 'consultant', 'a1', NULL, false, '{\"id\": \"a1\"}'), "
                    "(3, 'client', 'c1', 's1', false, '{\"id\": \"c1\"}')"
                )
            )
        db.migrate()
        with db.read() as conn:
            brands = conn.execute(text("SELECT id FROM brands")).all()
            stores = conn.execute(text("SELECT id, brand_id FROM stores ORDER BY id")).all()
            feed_rows = conn.execute(
                text(
                    "SELECT entity_id, store_id FROM feed"
                    " WHERE entity NOT IN ('diary_tags', 'outreach_templates') ORDER BY seq"  # 0010's, 0014's
                )
            ).all()
            disabled = conn.execute(text("SELECT disabled_at FROM accounts")).all()
            tags = conn.execute(text("SELECT entity_id, store_id, data FROM feed WHERE entity = 'diary_tags'")).all()
            listed = conn.execute(text("SELECT brand_id, tag FROM diary_tags ORDER BY position")).all()
        assert len(brands) == 1
        assert [tuple(r) for r in stores] == [("s1", brands[0][0]), ("s2", brands[0][0])]
        assert [tuple(r) for r in feed_rows] == [("s1", "s1"), ("a1", "s2"), ("c1", "s1")]
        assert [tuple(r) for r in disabled] == [(None,)]
        # 0010: the brand starts with the default diary tags, published to each of its stores
        assert [r[1] for r in listed][:3] == ["предпочтения", "размеры", "подарки"]
        assert {r[0] for r in listed} == {brands[0][0]}
        assert sorted((r[0], r[1]) for r in tags) == [("s1", "s1"), ("s2", "s2")]
        assert all(json.loads(r[2])["tags"] == [x[1] for x in listed] for r in tags)
        # a store added later names its brand: the default was for the rows already there
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(text("INSERT INTO stores (id, name) VALUES ('s3', 'Без бренда')"))
    finally:
        db.dispose()


def test_0008_on_an_empty_database_makes_no_brand(hub_url):
    db = HubDB(hub_url)
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        db.migrate()
        with db.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM brands")).scalar() == 0
            assert conn.execute(text("SELECT count(*) FROM accounts")).scalar() == 0  # and no default login
    finally:
        db.dispose()


def test_0009_indexes_existing_clients_by_email_and_name_and_birthday_and_goes_back(hub_url):
    db = HubDB(hub_url)
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
            command.upgrade(cfg, "0008")
            conn.execute(
                text(
                    "INSERT INTO clients (id, store_id, data)"
                    " VALUES ('c1', 's1', :a), ('c2', 's1', :b), ('c3', 's1', :c)"
                ),
                {
                    "a": (
                        '{"last_name": "Ковалёва ", "first_name": "Анна", "birthday": "1990-04-12", "email": "a@b.ru"}'
                    ),
                    "b": '{"last_name": "Орлова", "first_name": "Вера"}',  # no birthday: no name key
                    "c": '{"last_name": "—", "first_name": "—", "birthday": "1980-01-01"}',  # erased: none
                },
            )
        db.migrate()
        with db.read() as conn:
            got = conn.execute(text("SELECT id, email, name_key FROM clients ORDER BY id")).all()
            assert conn.execute(text("SELECT count(*) FROM client_shares")).scalar() == 0
            assert conn.execute(text("SELECT count(*) FROM duplicate_pairs")).scalar() == 0
        assert [tuple(r) for r in got] == [
            ("c1", "a@b.ru", "ковалева|анна|1990-04-12"),
            ("c2", None, None),
            ("c3", None, None),
        ]
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0008")
        with db.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM clients")).scalar() == 3
        db.migrate()
    finally:
        db.dispose()


def test_0012_copies_each_receipts_time_type_cashier_and_linker_into_columns(hub_url):
    db = HubDB(hub_url)
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")  # the tests before left the database at head
            command.upgrade(cfg, "0011")
            conn.execute(
                text(
                    "INSERT INTO receipts (id, store_id, fn, i, fp, client_id, data) VALUES "
                    "('r1', 's', '1', '1', '1', 'c1', "
                    '\'{"at": "2026-03-01T02:30:00+03:00", "type": 2, "cashier": "anna", "linked_by": "a1"}\'), '
                    "('r2', 's', '1', '2', '1', NULL, '{\"at\": \"2026-03-01T10:00:00\"}')"
                )
            )
        db.migrate()
        with db.read() as conn:
            got = conn.execute(text("SELECT id, at, kind, cashier, linked_by FROM receipts ORDER BY id")).fetchall()
        assert [tuple(r) for r in got] == [
            ("r1", "2026-02-28T23:30:00", 2, "anna", "a1"),  # UTC, as the reports' bounds are
            ("r2", "2026-03-01T10:00:00", 1, None, None),
        ]
    finally:
        db.dispose()


def test_0013_adds_todays_tables_and_goes_back(hub_url):
    """Today's tables on a hub in use; going back drops them and their feed rows, the rest stays."""
    db = HubDB(hub_url)
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")  # the tests before left the database at head
            command.upgrade(cfg, "0012")
        db.migrate()
        with db.write() as conn:
            conn.execute(text("INSERT INTO task_settings (brand_id, data) VALUES ('b', '{}')"))
            conn.execute(
                text(
                    "INSERT INTO task_outcomes (store_id, task_key, client_id, status, data)"
                    " VALUES ('s', 'birthday:c1:2027', 'c1', 'done', '{}')"
                )
            )
            conn.execute(text("INSERT INTO task_lists (id, store_id, data) VALUES ('l1', 's', '{}')"))
            for entity in ("task_list", "store"):
                conn.execute(
                    text(
                        "INSERT INTO feed (entity, entity_id, store_id, deleted, data)"
                        f" VALUES ('{entity}', 'x1', 's', false, '{{}}')"
                    )
                )
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0012")
        with db.read() as conn:
            assert [r[0] for r in conn.execute(text("SELECT entity FROM feed")).all()] == ["store"]
            with pytest.raises(Exception):  # noqa: B017 - the table is gone (the error differs per database)
                conn.execute(text("SELECT 1 FROM task_outcomes")).all()
        db.migrate()
        with db.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM task_lists")).scalar() == 0
    finally:
        db.dispose()
