"""Initial hub schema.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "stores",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("address", sa.Text),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("store_id", sa.String(36), nullable=False),
        sa.Column("login", sa.String(100), nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
    )
    op.create_table(
        "clients",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("store_id", sa.String(36), nullable=False),
        sa.Column("phone", sa.String(20)),
        sa.Column("card_number", sa.String(32)),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("clients_phone", "clients", ["phone"])
    op.create_index("clients_card", "clients", ["card_number"])
    op.create_table(
        "client_history",
        sa.Column("id", Seq, primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("old_value", sa.Text),
        sa.Column("new_value", sa.Text),
        sa.Column("mutation_id", sa.String(36), nullable=False),
        sa.Column("device_id", sa.String(100), nullable=False),
        sa.Column("at", sa.Text, nullable=False),
    )
    op.create_index("ix_client_history_client_id", "client_history", ["client_id"])
    op.create_table(
        "receipts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("store_id", sa.String(36), nullable=False),
        sa.Column("fn", sa.String(16), nullable=False),
        sa.Column("i", sa.String(20), nullable=False),
        sa.Column("fp", sa.String(20), nullable=False),
        sa.Column("client_id", sa.String(36)),
        sa.Column("data", sa.Text, nullable=False),
        sa.UniqueConstraint("fn", "i", "fp", name="receipts_fiscal"),
    )
    op.create_index("ix_receipts_client_id", "receipts", ["client_id"])
    op.create_table(
        "receipt_links",
        sa.Column("fn", sa.String(16), primary_key=True),
        sa.Column("i", sa.String(20), primary_key=True),
        sa.Column("fp", sa.String(20), primary_key=True),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("mutation_id", sa.String(36), nullable=False),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("receipt_id", sa.String(36)),
    )
    op.create_table(
        "ledger",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_ledger_client_id", "ledger", ["client_id"])
    op.create_table(
        "records",
        sa.Column("entity", sa.String(20), primary_key=True),
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_records_owner_id", "records", ["owner_id"])
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "mutations",
        sa.Column("device_id", sa.String(100), primary_key=True),
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("at", sa.Text, nullable=False),
    )
    op.create_table(
        "feed",
        sa.Column("seq", Seq, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("store_id", sa.String(36)),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("data", sa.Text),
        sa.UniqueConstraint("entity", "entity_id", name="feed_entity"),
    )
    op.create_index("feed_store_seq", "feed", ["store_id", "seq"])


def downgrade() -> None:
    for name in (
        "feed",
        "mutations",
        "blobs",
        "records",
        "ledger",
        "receipt_links",
        "receipts",
        "client_history",
        "clients",
        "sessions",
        "accounts",
        "stores",
    ):
        op.drop_table(name)
