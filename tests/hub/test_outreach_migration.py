"""Migration 0014 on a database already in use (SQLite and PostgreSQL): each brand gets the
default templates, each store a feed row with them, and the contacts already logged a row
each in contact_log (UTC time, the client's store); and it goes back."""

from __future__ import annotations

import json

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from sync.hub.storage import MIGRATIONS, HubDB
from sync.rules.outreach import DEFAULT_TEMPLATES


def test_0014_gives_brands_their_templates_and_logs_existing_contacts(hub_url):
    db = HubDB(hub_url)
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0012")
            conn.execute(text("INSERT INTO brands (id, name) VALUES ('b1', 'Витрина')"))
            conn.execute(text("INSERT INTO stores (id, name, brand_id) VALUES ('s1', 'Петровка', 'b1')"))
            conn.execute(text("INSERT INTO clients (id, store_id, data) VALUES ('c1', 's1', '{}')"))
            contact = {
                "id": "k1",
                "client_id": "c1",
                "channel": "calls",
                "text": "Позвонила",
                "at": "2026-03-01T02:30:00+03:00",
                "author_id": "a1",
            }
            conn.execute(
                text("INSERT INTO records (entity, id, owner_id, data) VALUES ('contact', 'k1', 'c1', :d)"),
                {"d": json.dumps(contact)},
            )
        db.migrate()
        with db.read() as conn:
            logged = conn.execute(text("SELECT id, client_id, store_id, author_id, at, channel FROM contact_log"))
            assert [tuple(r) for r in logged] == [("k1", "c1", "s1", "a1", "2026-02-28T23:30:00", "calls")]
            ids = [r[0] for r in conn.execute(text("SELECT id FROM outreach_templates ORDER BY position"))]
            assert ids == [t.id for t in DEFAULT_TEMPLATES]
            (row,) = conn.execute(text("SELECT store_id, data FROM feed WHERE entity = 'outreach_templates'")).all()
            data = json.loads(row[1])
            assert row[0] == "s1" and data["attribution_days"] == 14 and len(data["templates"]) == len(ids)
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0012")
            assert not conn.execute(text("SELECT count(*) FROM feed WHERE entity = 'outreach_templates'")).scalar()
        db.migrate()  # and forward again
    finally:
        db.dispose()
