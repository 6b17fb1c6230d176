"""Hub migrations that move data, run on a database already in use (SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from sync.hub.storage import MIGRATIONS, HubDB


def test_0003_files_existing_feed_rows_under_their_client(hub_url):
    db = HubDB(hub_url)
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0002")
            conn.execute(text(
                "INSERT INTO feed (seq, entity, entity_id, store_id, deleted, data) VALUES "
                "(1, 'client', 'c1', 's', false, '{\"id\": \"c1\"}'), "
                "(2, 'ledger', 'l1', 's', false, '{\"id\": \"l1\", \"client_id\": \"c1\", \"points\": 5}'), "
                "(3, 'store', 's', NULL, false, '{\"id\": \"s\"}'), "
                "(4, 'ledger', 'l2', 's', true, NULL)"))
        db.migrate()
        with db.read() as conn:
            got = conn.execute(text("SELECT entity_id, client_id FROM feed ORDER BY seq")).fetchall()
        assert [tuple(r) for r in got] == [("c1", "c1"), ("l1", "c1"), ("s", None), ("l2", None)]
    finally:
        db.dispose()
