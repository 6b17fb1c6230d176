"""The hub's tables (SQLAlchemy Core). Alembic revisions in sync/hub/migrations mirror them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# BigInteger on PostgreSQL, INTEGER (rowid alias, autoincrementing) on SQLite.
SeqType = BigInteger().with_variant(Integer(), "sqlite")

# A brand owns stores; an account reaches no further than its store's brand (sync.hub.auth).
brands = Table(
    "brands",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", Text, nullable=False),
)

stores = Table(
    "stores",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", Text, nullable=False),
    Column("address", Text),
    Column("brand_id", String(36), nullable=False),
    Index("stores_brand", "brand_id"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("store_id", String(36), nullable=False),
    Column("login", String(100), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("role", String(20), nullable=False),  # sync.hub.auth.ROLES: consultant | manager | till | admin
    Column("password_hash", Text, nullable=False),
    Column("disabled_at", Text),  # set: no login, and its sessions are gone (admin CLI)
)

# One login: a session bound to one device (sync.hub.sessions). Only token hashes are kept;
# times are epoch seconds. The refresh token rotates; the ones it replaced are kept in
# spent_refresh_tokens until the session expires, so a copy used later is recognised.
sessions = Table(
    "sessions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("device_id", String(36), nullable=False, index=True),
    Column("access_hash", String(64), nullable=False, unique=True),
    Column("access_expires", Float, nullable=False),
    Column("refresh_hash", String(64), nullable=False, unique=True),
    Column("refresh_expires", Float, nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float),
)

spent_refresh_tokens = Table(
    "spent_refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("session_id", String(36), nullable=False, index=True),
    Column("spent_at", Float, nullable=False),
)

# The device registry: ids the hub issued at login, the store they serve, who logged in last.
# `key_hash`: the key a later login proves the id with. A revoked device's requests are refused.
devices = Table(
    "devices",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("store_id", String(36), nullable=False, index=True),
    Column("account_id", String(36), nullable=False),
    Column("label", String(100)),
    Column("key_hash", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("revoked_at", Float),
)

# Login tries by account ("account:<login>") and by client address ("address:<ip>"), in
# epoch seconds (sync.hub.throttle). `expires`: when the row can be dropped.
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(120), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_start", Float, nullable=False),
    Column("locked_until", Float),
    Column("expires", Float, nullable=False),
    Index("login_throttle_expires", "expires"),
)

clients = Table(
    "clients",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("store_id", String(36), nullable=False),
    Column("phone", String(20)),
    Column("card_number", String(32)),
    Column("data", Text, nullable=False),  # sync.models.Client as JSON
    Column("email", String(200)),  # match keys of a brand-wide lookup (sync.hub.duplicates)
    Column("name_key", String(200)),  # sync.rules.matching.name_key
    Index("clients_phone", "phone"),
    Index("clients_card", "card_number"),
    Index("clients_email", "email"),
    Index("clients_name_key", "name_key"),
)

# A client of one store served in another store of her brand (sync.hub.shares): that
# store's devices get her entities in their feed too (sync.hub.feed, a page's third range).
client_shares = Table(
    "client_shares",
    metadata,
    Column("client_id", String(36), primary_key=True),
    Column("store_id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False),
    Column("at", Text, nullable=False),
    Index("client_shares_store", "store_id", "client_id"),
)

# Two clients of a brand with one phone or e-mail (two tablets registered her offline):
# kept both, flagged for a manager to merge or dismiss (sync.hub.duplicates, sync.hub.merge).
duplicate_pairs = Table(
    "duplicate_pairs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("brand_id", String(36), nullable=False),
    Column("client_a", String(36), nullable=False),  # the smaller id of the two
    Column("client_b", String(36), nullable=False),
    Column("reason", String(20), nullable=False),  # phone | email
    Column("status", String(20), nullable=False),  # open | merged | dismissed
    Column("created_at", Text, nullable=False),
    Column("resolved_at", Text),
    Column("resolved_by", String(36)),
    Column("survivor_id", String(36)),
    UniqueConstraint("client_a", "client_b", name="duplicate_pairs_clients"),
    Index("duplicate_pairs_brand", "brand_id", "status"),
    Index("duplicate_pairs_b", "client_b"),
)

# Values overwritten by a later write in hub order (conflict rule for profile fields).
client_history = Table(
    "client_history",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("client_id", String(36), nullable=False, index=True),
    Column("field", String(40), nullable=False),
    Column("old_value", Text),
    Column("new_value", Text),
    Column("mutation_id", String(36), nullable=False),
    Column("device_id", String(100), nullable=False),
    Column("at", Text, nullable=False),
)

receipts = Table(
    "receipts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("store_id", String(36), nullable=False),
    Column("fn", String(16), nullable=False),
    Column("i", String(20), nullable=False),
    Column("fp", String(20), nullable=False),
    Column("client_id", String(36), index=True),
    Column("data", Text, nullable=False),
    # Copies of the snapshot's time (UTC "YYYY-MM-DDTHH:MM:SS"), fiscal type and till cashier,
    # for the reports' period and type filters (migration 0012).
    Column("at", String(32)),
    Column("kind", Integer),
    Column("cashier", String(100)),
    Column("linked_by", String(36)),  # who tied it to its client: an account id, or "till"
    UniqueConstraint("fn", "i", "fp", name="receipts_fiscal"),
    Index("receipts_store_at", "store_id", "at"),
)

# A consultant's link of a receipt to a client; may arrive before the till's upload.
receipt_links = Table(
    "receipt_links",
    metadata,
    Column("fn", String(16), primary_key=True),
    Column("i", String(20), primary_key=True),
    Column("fp", String(20), primary_key=True),
    Column("client_id", String(36), nullable=False),
    Column("mutation_id", String(36), nullable=False),
    Column("account_id", String(36), nullable=False),
    Column("at", Text, nullable=False),
    Column("receipt_id", String(36)),
)

ledger = Table(
    "ledger",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("client_id", String(36), nullable=False, index=True),
    Column("data", Text, nullable=False),  # sync.hub.loyalty.LedgerEntry as JSON
    Column("expires_at", String(32), index=True),  # UTC "YYYY-MM-DDTHH:MM:SS", buckets only
)

hub_state = Table(
    "hub_state",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text),
)

# Diary revisions, contact log entries, signed forms: append-only records by client.
records = Table(
    "records",
    metadata,
    Column("entity", String(20), primary_key=True),
    Column("id", String(36), primary_key=True),
    Column("owner_id", String(36), nullable=False, index=True),  # the client; a revision's entry
    Column("data", Text, nullable=False),
)

# The brand's list of diary tags (sync.hub.diary_tags): data, edited per brand, published to
# each of its stores' devices as one `diary_tags` feed row.
diary_tags = Table(
    "diary_tags",
    metadata,
    Column("brand_id", String(36), primary_key=True),
    Column("tag", String(40), primary_key=True),
    Column("position", Integer, nullable=False),
)

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("content", LargeBinary, nullable=False),
)

# Which stores may read a blob: those whose devices uploaded it (sync.hub.records).
blob_stores = Table(
    "blob_stores",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("store_id", String(36), primary_key=True),
)

# Exactly once: (device, mutation) -> the first answer, replayed on a retry.
mutations = Table(
    "mutations",
    metadata,
    Column("device_id", String(100), primary_key=True),
    Column("id", String(36), primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("status", String(20), nullable=False),
    Column("response", Text, nullable=False),
    Column("at", Text, nullable=False),
)

# The change feed: the latest version of each entity, ordered by one monotonic seq.
feed = Table(
    "feed",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("entity", String(20), nullable=False),
    Column("entity_id", String(36), nullable=False),
    Column("store_id", String(36)),  # NULL: visible to every store
    Column("deleted", Boolean, nullable=False, default=False),
    Column("data", Text),
    Column("client_id", String(36)),  # the client the entity belongs to (feed.client_of)
    UniqueConstraint("entity", "entity_id", name="feed_entity"),
    Index("feed_store_seq", "store_id", "seq"),
    Index("feed_client_seq", "client_id", "seq"),  # a shared client's entities (client_shares)
)

# 152-FZ consent records (sync.hub.consents): append-only, one row per purpose answered.
# `received_at` is the hub's clock; `device_time` is the device's, kept for reference only.
consents = Table(
    "consents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("client_id", String(36), nullable=False, index=True),
    Column("store_id", String(36), nullable=False),
    Column("purpose", String(20), nullable=False),  # sync.models.CONSENT_PURPOSES
    Column("granted", Boolean, nullable=False),
    Column("text_version", String(40)),  # NULL: no text was shown (a toggle on the profile)
    Column("source", String(20), nullable=False),  # form | consent | register | profile | erase
    Column("form_id", String(36)),
    Column("account_id", String(36), nullable=False),
    Column("device_id", String(100), nullable=False),
    Column("mutation_id", String(36), nullable=False),
    Column("device_time", Text),
    Column("received_at", Text, nullable=False),
)

# Who changed or viewed which client (sync.hub.audit): ids only, never personal data.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=True),
    Column("at", Text, nullable=False),  # the hub's clock
    Column("client_id", String(36), nullable=False),
    Column("store_id", String(36)),
    Column("account_id", String(36), nullable=False),
    Column("role", String(20), nullable=False),
    Column("device_id", String(100)),
    Column("action", String(20), nullable=False),  # change | view | read | export
    Column("kind", String(40), nullable=False),  # a mutation kind, or the endpoint read
    Column("entity_id", String(36)),
    Column("mutation_id", String(36)),
    Column("device_time", Text),
    Index("audit_log_client", "client_id", "id"),
)

# When each client's loyalty figures next change by time alone (sync.hub.schedule):
# UTC "YYYY-MM-DDTHH:MM:SS"; '' is due at once. No row: nothing scheduled.
loyalty_due = Table(
    "loyalty_due",
    metadata,
    Column("client_id", String(36), primary_key=True),
    Column("due_at", String(32), nullable=False),
    Index("loyalty_due_at", "due_at"),
)

# Referral codes of clients and stylists (sync.hub.loyalty.referral_code) -> their owner.
referral_codes = Table(
    "referral_codes",
    metadata,
    Column("code", String(40), primary_key=True),
    Column("owner_id", String(36), nullable=False),
    Column("owner_kind", String(10), nullable=False),  # client | stylist
    Column("store_id", String(36), nullable=False),
)

# A newcomer's accepted referral: sync.hub.loyalty.ReferralLink as JSON.
referrals = Table(
    "referrals",
    metadata,
    Column("client_id", String(36), primary_key=True),
    Column("owner_id", String(36), nullable=False),
    Column("data", Text, nullable=False),
    Index("referrals_owner", "owner_id"),
)

# Members imported from another loyalty system (import-members, migration 0012): the
# client each external member id became, so a re-run adds nothing; and each run's report.
member_imports = Table(
    "member_imports",
    metadata,
    Column("source", String(40), primary_key=True),
    Column("external_id", String(100), primary_key=True),
    Column("client_id", String(36), nullable=False, unique=True),
    Column("run_id", String(36), nullable=False),
    Column("row", Integer, nullable=False),  # her row in the file: a re-run tells a repeat from her
    Column("points", BigInteger, nullable=False),  # available + pending, as the file gave them
    Column("tier", String(40)),  # the tier the other system gave her
)

import_runs = Table(
    "import_runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("source", String(40), nullable=False),
    Column("file", Text, nullable=False),
    Column("started_at", Text, nullable=False),
    Column("finished_at", Text),
    Column("report", Text),  # the reconciliation as JSON
)

# Outreach (migration 0014): the brand's message templates (sync.hub.outreach, published to
# its stores' devices as one `outreach_templates` feed row each), its outreach settings, and
# every contact.log as a row with its author and UTC time, for the results' period queries.
outreach_templates = Table(
    "outreach_templates",
    metadata,
    Column("brand_id", String(36), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("occasion", String(40), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("title", String(80), nullable=False),
    Column("text", Text, nullable=False),
    Column("position", Integer, nullable=False),
)

outreach_settings = Table(
    "outreach_settings",
    metadata,
    Column("brand_id", String(36), primary_key=True),
    Column("attribution_days", Integer, nullable=False),
)

contact_log = Table(
    "contact_log",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("client_id", String(36), nullable=False),
    Column("store_id", String(36), nullable=False),  # the client's store when it was logged
    Column("author_id", String(36)),
    Column("at", String(32), nullable=False),  # UTC "YYYY-MM-DDTHH:MM:SS", as receipts.at
    Column("channel", String(20), nullable=False),
    Column("template", String(40)),
    Index("contact_log_author_at", "author_id", "at"),  # a consultant's contacts of a period
    Index("contact_log_client_at", "client_id", "at"),
)

# Today (sync.hub.tasks): a brand's task rules as data (sync.rules.today.TaskSettings as
# JSON; no row: the defaults), each task's one outcome per store (the first done or
# dismissed wins), and a manager's campaign lists with their consultants.
task_settings = Table(
    "task_settings",
    metadata,
    Column("brand_id", String(36), primary_key=True),
    Column("data", Text, nullable=False),
)

task_outcomes = Table(
    "task_outcomes",
    metadata,
    Column("store_id", String(36), primary_key=True),
    Column("task_key", String(200), primary_key=True),
    Column("client_id", String(36), nullable=False),
    Column("status", String(20), nullable=False),
    Column("data", Text, nullable=False),
)

task_lists = Table(
    "task_lists",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("store_id", String(36), nullable=False),
    Column("data", Text, nullable=False),
    Index("task_lists_store", "store_id"),
)
