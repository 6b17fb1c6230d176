"""Versioned schema of the device cache (sqlite-utils Migrations).

Append new migrations at the end; never edit one that has shipped. Each runs in one
transaction together with its record in _sqlite_migrations.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("vitrine.cache")


@migrations()
def m001_core(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE sync_state (
            key TEXT PRIMARY KEY,
            value TEXT
        );
        -- Clients as last seen: the hub's snapshot with pending local patches rebased on it.
        CREATE TABLE clients (
            id TEXT PRIMARY KEY,
            last_name TEXT NOT NULL,
            first_name TEXT NOT NULL,
            middle_name TEXT,
            phone TEXT,
            email TEXT,
            birthday TEXT,
            card_number TEXT,
            store_id TEXT,
            consultant_id TEXT,
            tier TEXT,
            points_balance INTEGER NOT NULL DEFAULT 0,
            last_visit TEXT,
            created_at TEXT,
            data TEXT NOT NULL,          -- full JSON snapshot (sync.models.Client)
            hub_data TEXT                -- the hub's own snapshot, NULL until it has one (see clients.SAME_AS_DATA)
        );
        CREATE INDEX clients_name ON clients(last_name, first_name);
        CREATE INDEX clients_store ON clients(store_id);
        -- Every other entity of the change feed: receipts, ledger, diary, contacts...
        CREATE TABLE entities (
            entity TEXT NOT NULL,
            id TEXT NOT NULL,
            client_id TEXT,
            data TEXT NOT NULL,
            PRIMARY KEY (entity, id)
        );
        CREATE INDEX entities_client ON entities(client_id, entity);
        -- Local writes waiting for the hub. Written in the same transaction as the row.
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            payload TEXT NOT NULL,
            client_time TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',  -- pending | waiting | rejected
            reason TEXT,
            attempts INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX outbox_status ON outbox(status, seq);
        CREATE INDEX outbox_entity ON outbox(entity_id);
        -- Values overwritten by a later write in hub order (conflict rule for profiles).
        CREATE TABLE field_history (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            client_id TEXT NOT NULL,
            field TEXT NOT NULL,
            old_value TEXT,
            new_value TEXT,
            at TEXT NOT NULL,
            source TEXT NOT NULL
        );
        CREATE INDEX field_history_client ON field_history(client_id);
        """
    )


@migrations()
def m002_search(db: Database) -> None:
    from app.cache import search_index

    search_index.create_schema(db)


@migrations()
def m003_outbox_code(db: Database) -> None:
    # The hub's machine-readable rejection code, so the UI can explain it in Russian.
    db.execute("ALTER TABLE outbox ADD COLUMN code TEXT")


@migrations()
def m004_entities_key(db: Database) -> None:
    # The entity key becomes a unique index instead of the table's primary key, so a bulk
    # load can set it aside (bulk_load.begin_bulk) and append rows as a plain insert does.
    # `bulk_gone` holds the deletions a bulk load defers until the key is back.
    db.executescript(
        """
        CREATE TABLE entities_new (
            entity TEXT NOT NULL,
            id TEXT NOT NULL,
            client_id TEXT,
            data TEXT NOT NULL
        );
        INSERT INTO entities_new (entity, id, client_id, data) SELECT entity, id, client_id, data FROM entities;
        DROP TABLE entities;
        ALTER TABLE entities_new RENAME TO entities;
        CREATE UNIQUE INDEX entities_key ON entities(entity, id);
        CREATE INDEX entities_client ON entities(client_id, entity);
        CREATE TABLE bulk_gone (
            entity TEXT NOT NULL,
            id TEXT NOT NULL,
            upto INTEGER NOT NULL   -- the entities rowid reached when the deletion came
        );
        """
    )


@migrations()
def m005_hub_data_same(db: Database) -> None:
    # A hub snapshot equal to the local view is stored as clients.SAME_AS_DATA.
    db.execute("UPDATE clients SET hub_data = '' WHERE hub_data = data")


@migrations()
def m006_drafts(db: Database) -> None:
    # Half-typed forms (app.cache.drafts): personal data, so in the cache, never in a settings file.
    db.executescript(
        """
        CREATE TABLE drafts (
            form TEXT PRIMARY KEY,     -- which form: 'register', 'profile:<client id>'
            owner TEXT NOT NULL,       -- the consultant who typed it
            data TEXT NOT NULL,        -- JSON: only the fields she changed
            saved_at TEXT NOT NULL
        );
        """
    )


@migrations()
def m007_outbox_replayed(db: Database) -> None:
    # A pending edit replayed over a pulled snapshot (pages.apply_page): once the hub applies
    # it, the client is rebased, or the replay would keep its value over a later one.
    db.execute("ALTER TABLE outbox ADD COLUMN replayed INTEGER NOT NULL DEFAULT 0")


@migrations()
def m008_consents(db: Database) -> None:
    # 152-FZ consent records come through the feed as 'consent' entities (sync.hub.consents),
    # append-only; this view is each client's current answer per purpose: the latest by the
    # hub's time of receipt (a device's clock never dates a consent).
    db.executescript(
        """
        CREATE VIEW consent_state AS
        SELECT client_id, purpose, granted, text_version, source, form_id, received_at FROM (
            SELECT client_id,
                   json_extract(data, '$.purpose') AS purpose,
                   json_extract(data, '$.granted') AS granted,
                   json_extract(data, '$.text_version') AS text_version,
                   json_extract(data, '$.source') AS source,
                   json_extract(data, '$.form_id') AS form_id,
                   json_extract(data, '$.received_at') AS received_at,
                   row_number() OVER (
                       PARTITION BY client_id, json_extract(data, '$.purpose')
                       ORDER BY json_extract(data, '$.received_at') DESC, id DESC
                   ) AS n
            FROM entities WHERE entity = 'consent'
        ) WHERE n = 1;
        -- Clients erased while a bulk load has the entity indexes aside: their entities
        -- are deleted when it finishes (bulk_load.finish_bulk), as bulk_gone's are.
        CREATE TABLE bulk_gone_clients (
            client_id TEXT NOT NULL,
            upto INTEGER NOT NULL   -- the entities rowid reached when the tombstone came
        );
        """
    )


@migrations()
def m010_blobs(db: Database) -> None:
    # Files the device keeps (a signed form's signature until the hub has it): in the
    # cache, so SQLCipher encrypts them with everything else and a wipe removes them.
    db.executescript(
        """
        CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY,
            content_type TEXT NOT NULL,
            data BLOB NOT NULL
        );
        """
    )


@migrations()
def m011_diary_search(db: Database) -> None:
    # Diary search and paging (issue 15): FTS5 over the entries' text, keyset paging index.
    from app.cache import diary_index

    diary_index.create_schema(db)


@migrations()
def m013_diary_follow_ups(db: Database) -> None:
    # Open follow-ups of diary entries (issue 15): the upcoming list reads them by author and day.
    from app.cache import diary_index

    diary_index.create_follow_ups(db)


@migrations()
def m016_today(db: Database) -> None:
    # Today's task list (issue 17): indexes that answer each rule without reading every client.
    from app.cache import today_index

    today_index.create_indexes(db)


def apply(db: Database) -> None:
    migrations.apply(db)
